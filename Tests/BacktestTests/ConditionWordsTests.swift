@testable import Backtest
import Expressions
import Testing

/// Rules made of one comparison or crossing each run as 64-bar words of bits; their signal events
/// must be exactly those of the rules evaluated over whole series (`RuleSignals.signals`), on real
/// daily bars, for every comparison, a constant on either side, lags past a word (NaN bars before
/// them), crossings of two series and of a constant, one pair read on one side or on both, and
/// shorts; rules that are not such
/// conditions are refused (left to the block evaluator).
@Suite struct ConditionWordsTests {
    static let rules: [SignalRules] = [
        SignalRules(entry: "close > shift(highest(high, 20), 1)", exit: "close < shift(lowest(low, 10), 1)"),
        SignalRules(entry: "zscore(close, 30) < -1.5", exit: "zscore(close, 30) > 0"),
        SignalRules(entry: "crossed_above(sma(close, 10), sma(close, 30))", exit: "crossed_below(sma(close, 10), sma(close, 30))"),
        SignalRules(entry: "crossed_above(sma(close, 5), sma(close, 20))", exit: "crossed_below(sma(close, 5), sma(close, 20))",
                    shortEntry: "crossed_below(sma(close, 5), sma(close, 20))", shortExit: "crossed_above(sma(close, 5), sma(close, 20))"),
        SignalRules(entry: "70 >= rsi(close, 14)", exit: "rsi(close, 14) >= 75", shortEntry: "rsi(close, 14) <= 25", shortExit: "30 < rsi(close, 14)"),
        SignalRules(entry: "shift(close, 70) != shift(close, 71)", exit: "close == shift(close, 1)"),
        SignalRules(entry: "crossed_above(pct_change(close, 1), 0.02)", exit: "crossed_below(0, diff(close, 3))"),
        SignalRules(entry: "shift(shift(close, 40), 40) <= open", exit: "open <= shift(close, 65)"),
        // One pair read on both sides by two strict tests.
        SignalRules(entry: "close > open", exit: "close < open"),
    ]

    static func wordEvents(_ rules: SignalRules, frame: Frame) throws -> [(Int, Signal)]? {
        var graph = ExpressionGraph()
        let roots = try RuleSignals.compile(rules, columns: frame.columnNames, parameters: [:], into: &graph)
        let evaluator = Evaluator(graph: graph)
        let known = evaluator.evaluate(shared: evaluator.sharedFunctions([roots.compactMap { $0 }, roots.compactMap { $0 }]), on: frame, threads: 1)
        guard let conditions = ConditionWords(graph: graph, roots: roots.compactMap { $0 }, known: known, frame: frame) else { return nil }
        let n = frame.bars
        let memory = UnsafeMutableRawPointer.allocate(byteCount: SignalEvents.byteCount(capacity: n), alignment: 64)
        defer { memory.deallocate() }
        var events = SignalEvents(memory: memory, capacity: n)
        RuleSweep.wordEvents(roots: roots, conditions: conditions, bars: n, into: &events)
        return (0..<events.count).map { (events.bars[$0], events.signals[$0]) }
    }

    @Test(arguments: ["btc", "dji"])
    func wordsGiveTheEventsOfWholeSeries(_ data: String) throws {
        let (_, frame) = try RuleAgreementTests.frame(data)
        for rules in Self.rules {
            let got = try #require(try Self.wordEvents(rules, frame: frame), "\(rules.named)")
            let signals = try RuleSignals.signals(rules, frame: frame)
            let want = signals.indices.compactMap { i in signals[i] == .hold ? nil : (i, signals[i]) }
            #expect(!want.isEmpty, "\(data) \(rules.named): no signal at all, a weak case")
            #expect(got.count == want.count && zip(got, want).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
                    "\(data) \(rules.named): \(got.count) events, want \(want.count); first difference at \(zip(got, want).first { $0.0 != $1.0 || $0.1 != $1.1 }.map { "\($0.0) vs \($1.0)" } ?? "the end")")
        }
    }

    @Test func otherRulesAreLeftToBlocks() throws {
        let (_, frame) = try RuleAgreementTests.frame("btc")
        for text in ["close > open and close > shift(close, 1)", "not (close > open)", "close - open > 0", "sma(close - open, 5) > 0"] {
            var graph = ExpressionGraph()
            let root = try Compiler(columns: frame.columnNames).compile(text, expecting: .condition, into: &graph)
            #expect(ConditionWords(graph: graph, roots: [root], known: [:], frame: frame) == nil, "\(text)")
        }
    }
}
