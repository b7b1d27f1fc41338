@testable import Expressions
@testable import Ingest
import Testing

/// Reading and checking expressions: what is accepted, and errors that say what and where.
@Suite struct ParserTests {
    static let columns = ["open", "high", "low", "close", "volume", "signal"]

    func compile(_ text: String, _ expecting: Compiler.Expectation = .condition, parameters: [String: Double] = [:]) throws -> (ExpressionGraph, Int) {
        var graph = ExpressionGraph()
        let root = try Compiler(columns: Self.columns, parameters: parameters).compile(text, expecting: expecting, into: &graph)
        return (graph, root)
    }

    func failure(_ text: String, _ expecting: Compiler.Expectation = .condition, parameters: [String: Double] = [:]) -> ExpressionError? {
        do {
            _ = try compile(text, expecting, parameters: parameters)
            return nil
        } catch let error as ExpressionError {
            return error
        } catch {
            Issue.record("not an ExpressionError: \(error)")
            return nil
        }
    }

    @Test func precedenceIsTheUsualOne() throws {
        let tree = try Parser.parse("a + b * c > d or not e < f and g == h")
        guard case .binary("or", let left, let right, _) = tree else { Issue.record("\(tree)"); return }
        guard case .binary(">", .binary("+", _, .binary("*", _, _, _), _), _, _) = left else { Issue.record("\(left)"); return }
        guard case .binary("and", .unary("not", .binary("<", _, _, _), _), .binary("==", _, _, _), _) = right else { Issue.record("\(right)"); return }
    }

    @Test func unknownNamesSuggestTheClosestKnownOnesWithACaret() throws {
        let error = try #require(failure("close > sma(clsoe, 20)"))
        #expect(error.range == 12..<17)
        #expect(error.message.contains("unknown column 'clsoe'") && error.message.contains("did you mean 'close'"), "\(error.message)")
        #expect(error.description == "close > sma(clsoe, 20)\n            ^^^^^\n\(error.message)")
        let function = try #require(failure("close > smaa(close, 20)"))
        #expect(function.message.contains("unknown function 'smaa'") && function.message.contains("'sma'"), "\(function.message)")
        #expect(function.range == 8..<12)
    }

    @Test func argumentCountsAndTypesAreChecked() throws {
        #expect(failure("sma(close) > 1")?.message.contains("sma takes 2 arguments, sma(x, n); got 1") == true)
        #expect(failure("close")?.message.contains("a number where a condition is needed") == true)
        #expect(failure("close > 1", .number)?.message.contains("a condition where a number is needed") == true)
        #expect(failure("close > 1 and volume")?.message.contains("the right side of 'and' is a number") == true)
        #expect(failure("sma(close > 1, 5) > 0")?.message.contains("argument 1 of sma is a condition") == true)
        #expect(failure("where(close, 1, 2) > 0")?.message.contains("argument 1 of where is a number where a condition is needed") == true)
        #expect(failure("sma(close, volume) > 0")?.message.contains("must be known before the run") == true)
        #expect(failure("sma(close, 2.5) > 0")?.message.contains("whole number") == true)
        #expect(failure("sma(close, 0) > 0")?.message.contains("at least 1") == true)
        #expect(failure("std(close, 1) > 0")?.message.contains("at least 2") == true)
        #expect(failure("close(1) > 0")?.message.contains("'close' is a column, not a function") == true)
        #expect(failure("sma > 0")?.message.contains("'sma' is a function: call it as sma(x, n)") == true)
    }

    @Test func aNegativeLagIsLookAheadAndSaysSo() throws {
        let error = try #require(failure("close > shift(close, -1)"))
        #expect(error.message.contains("look-ahead"), "\(error.message)")
        #expect(error.range == 21..<23)
        #expect(failure("close > shift(close, 1 - {k})", parameters: ["k": 3])?.message.contains("look-ahead") == true)
    }

    @Test func syntaxErrorsPointAtTheToken() throws {
        #expect(failure("close > ")?.message.contains("ends where a value is expected") == true)
        #expect(failure("(close > 1")?.message.contains("never closed") == true)
        #expect(failure("sma(close, 5 > 1")?.message.contains("never closed") == true)
        #expect(failure("1 < close < 2")?.message.contains("do not chain") == true)
        #expect(failure("close = 1")?.message.contains("'=='") == true)
        #expect(failure("close > 1 && open > 1")?.message.contains("write 'and'") == true)
        #expect(failure("close > 1 1")?.message.contains("after a complete expression") == true)
        #expect(failure("close > 1e400")?.message.contains("too large") == true)
        #expect(failure("close > 20x")?.message.contains("cannot run into a name") == true)
        #expect(failure("close > $")?.range == 8..<9)
        #expect(failure("")?.message.contains("empty") == true)
        #expect(failure("close > {}")?.message.contains("needs a name") == true)
    }

    @Test func parametersAreBoundOrNamedWhenMissing() throws {
        let (graph, root) = try compile("sma(close, {fast}) > sma(close, {slow})", parameters: ["fast": 5, "slow": 20])
        #expect(graph.nodes[root].isCondition)
        let missing = try #require(failure("sma(close, {fast}) > 1", parameters: ["slow": 3]))
        #expect(missing.message.contains("parameter {fast} has no value") && missing.message.contains("given: slow"), "\(missing.message)")
        #expect(try Compiler.parameterNames("sma(close,{fast}) > sma(close,{slow}) and {fast} > 0") == ["fast", "slow"])
        // The parsed tree names them in the same order as the text.
        for text in ["sma(close,{fast}) > sma(close,{slow}) and {fast} > 0", "-{k} * ({b} + {a}) < where(close > {c}, {a}, not ({d} > 1))", "close > 0"] {
            #expect(try Parser.parse(text).parameterNames == Compiler.parameterNames(text), "\(text)")
        }
    }

    /// Checking before the data and parameter values are known (a strategy saved over REST):
    /// any name may be a column to come, a window sized by an unknown parameter is not checked,
    /// and everything else still is.
    @Test func aCheckBeforeTheDataIsKnownStillCatchesTheRest() throws {
        var graph = ExpressionGraph()
        let lenient = Compiler(columns: [], parameters: ["k": 2], anyColumn: true, anyParameter: true)
        _ = try lenient.compile("my_signal > 0 and atr({n} - 5) > shift(close, {m})", expecting: .condition, into: &graph)
        #expect(throws: ExpressionError.self) { try lenient.compile("sma(close, {k} - 5) > 0", expecting: .condition, into: &graph) }
        #expect(throws: ExpressionError.self) { try lenient.compile("smaa(close, 5) > 0", expecting: .condition, into: &graph) }
        #expect(throws: ExpressionError.self) { try lenient.compile("close", expecting: .condition, into: &graph) }
        #expect(throws: ExpressionError.self) { try Compiler(columns: Self.columns, anyParameter: true).compile("my_signal > 0", expecting: .condition, into: &graph) }
    }

    @Test func constantsFoldAndCommonSubexpressionsAreShared() throws {
        var graph = ExpressionGraph()
        let compiler = Compiler(columns: Self.columns)
        let a = try compiler.compile("close * (2 + 3) > sma(close, 4 * 5)", expecting: .condition, into: &graph)
        let b = try compiler.compile("sma(close, 20) < close * 5", expecting: .condition, into: &graph)
        #expect(a != b)
        // close, 5 (folded from 2 + 3), close * 5, 20 (folded from 4 * 5), sma(close, 20), 4, and the two comparisons;
        // the second expression adds only its comparison.
        let smas = graph.nodes.filter { if case .function(.sma, let n) = $0.operation { return n == 20 } else { return false } }
        #expect(smas.count == 1)
        let products = graph.nodes.filter { $0.operation == .multiply }
        #expect(products.count == 1, "close * 5 is one node")
        // Many sweep cells of one window share one node per distinct window.
        var sweep = ExpressionGraph()
        for fast in 2...30 {
            for slow in (fast + 1)...40 {
                _ = try Compiler(columns: Self.columns, parameters: ["fast": Double(fast), "slow": Double(slow)])
                    .compile("crossed_above(sma(close, {fast}), sma(close, {slow}))", expecting: .condition, into: &sweep)
            }
        }
        let means = sweep.nodes.filter { if case .function(.sma, _) = $0.operation { return true } else { return false } }
        #expect(means.count == 39, "one sma per distinct window (2…40)")
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "(", count: 5_000) + "close" + String(repeating: ")", count: 5_000) + " > 1"
        #expect(failure(deep)?.message.contains("nests deeper") == true)
        let negations = String(repeating: "not ", count: 5_000) + "close > 1"
        #expect(failure(negations)?.message.contains("nests deeper") == true)
        let minus = String(repeating: "-", count: 5_000) + "close > 1"
        #expect(failure(minus)?.message.contains("nests deeper") == true)
        let calls = String(repeating: "abs(", count: 5_000) + "close" + String(repeating: ")", count: 5_000) + " > 1"
        #expect(failure(calls)?.message.contains("nests deeper") == true)
        // A long chain of operations makes a tall tree too.
        #expect(failure(Array(repeating: "close", count: 5_000).joined(separator: " + ") + " > 1")?.message.contains("nests deeper") == true)
        // Right at the limit everything still compiles (and runs within a thread's stack).
        #expect(throws: Never.self) { try compile(Array(repeating: "close", count: 99).joined(separator: " + ") + " > 1") }
        #expect(throws: Never.self) { try compile(String(repeating: "abs(", count: 98) + "close" + String(repeating: ")", count: 98) + " > 1") }
        #expect(throws: Never.self) { try compile(String(repeating: "(", count: 99) + "close" + String(repeating: ")", count: 99) + " > 1") }
    }

    /// Random token streams, random characters and random edits of valid expressions: each is
    /// compiled or refused with an `ExpressionError` whose span lies inside the text, never a crash.
    @Test func fuzzedInputIsCompiledOrRefusedNeverCrashes() throws {
        var rng = SplitMix64(seed: 17)
        let pieces = ["close", "open", "sma(", "ema(", "shift(", "rsi(", "atr(", "where(", "crossed_above(", "cs_rank(", "(", ")", ",", "+", "-", "*", "/",
                      "<", ">=", "==", "!=", "and", "or", "not", "1", "0", "-3", "1e308", "1e999", "0.5", "{n}", "{", "}", "20", "9999999999", "nan", " ", "é", "\u{0}"]
        let valid = ["crossed_above(sma(close, 10), sma(close, 30))", "close > shift(highest(high, 20), 1)", "zscore(close, 20) < -2 and rsi(close, 14) < 30"]
        for round in 0..<3_000 {
            var text = ""
            switch round % 3 {
            case 0: for _ in 0..<Int(rng.next() % 25) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            case 1: text = String((0..<Int(rng.next() % 30)).map { _ in Character(Unicode.Scalar(UInt8(32 + rng.next() % 95))) })
            default:
                var characters = Array(valid[Int(rng.next() % 3)])
                for _ in 0..<(1 + Int(rng.next() % 3)) where !characters.isEmpty {
                    let at = Int(rng.next() % UInt64(characters.count))
                    if rng.next() % 2 == 0 { characters.remove(at: at) } else { characters.insert(Array("(),+-<>{} 19az")[Int(rng.next() % 14)], at: at) }
                }
                text = String(characters)
            }
            do {
                _ = try compile(text, rng.next() % 2 == 0 ? .condition : .number, parameters: ["n": 5])
            } catch let error as ExpressionError {
                #expect(error.range.lowerBound >= 0 && error.range.lowerBound <= text.count, "\(text): \(error.range)")
                #expect(!error.description.isEmpty)
            }
        }
    }
}
