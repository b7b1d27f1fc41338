@testable import Backtest
import Expressions
import Foundation
import Ingest
import Testing

/// Strategies written as expressions equal vectorbt's `from_signals` on the same signals, for
/// every cell of each rule's grid, on TradeMaster's real daily BTC and DJI bars: Fixtures/rules.json
/// (make_rule_fixtures.py) holds vectorbt 1.2's total return, final value, trade count and Sharpe
/// ratio for signals computed there with pandas, independently of our evaluator. Close fills,
/// cash 10,000, fees 0.0001, vectorbt's metric convention.
@Suite struct RuleAgreementTests {
    struct Fixture: Decodable {
        struct Rule: Decodable {
            var name: String
            var entry: String
            var exit: String
            var short_entry: String?
            var short_exit: String?
            var cells: [[String: Double]]
        }
        var rules: [Rule]
        var data: [String: [String: [[Double]]]]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rules.json")
        return try! JSONDecoder().decode(Fixture.self, from: try! Data(contentsOf: url))
    }()

    static func frame(_ name: String) throws -> (BarSeries, Frame) {
        let csv = name == "btc" ? "\(PeerAgreementTests.shared)/data/trademaster/algorithmic_trading/BTC/BTC.csv"
            : "\(PeerAgreementTests.shared)/data/trademaster/portfolio_management/dj30/DJI.csv"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("\(name).h5").path
        _ = try CSVIngestor.ingest(csv: csv, to: out, options: IngestOptions())
        return try BarSeries.frame(path: out, symbol: nil)
    }

    static func agrees(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        a.isNaN && b.isNaN || abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test(arguments: ["btc", "dji"])
    func everyCellEqualsVectorbtOnTheSameSignals(_ name: String) throws {
        let (bars, frame) = try Self.frame(name)
        let expected = try #require(Self.fixture.data[name])
        var checked = 0
        for rule in Self.fixture.rules {
            let rules = SignalRules(entry: rule.entry, exit: rule.exit, shortEntry: rule.short_entry, shortExit: rule.short_exit)
            for (k, cell) in rule.cells.enumerated() {
                let signals = try RuleSignals.signals(rules, frame: frame, parameters: cell, arithmetic: .vectorbt)
                var settings = ExecutionSettings(fill: .close, commission: 0.0001, allowShort: rules.tradesShort)
                settings.peer = .vectorbt
                let result = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, signals: signals, settings: settings)
                let m = PerformanceMetrics(equity: result.equity, timestamps: bars.timestamps, trades: result.trades, convention: .vectorbt,
                                           benchmark: bars.close, benchmarkStart: 0, initialCash: 10_000, openTrade: result.openTrade)
                let theirs = try #require(expected[rule.name]?[k])
                let ours = [m.totalReturn, m.equityFinal, Double(m.tradeCount + m.openTradeCount), m.sharpe]
                #expect(Self.agrees(ours[0], theirs[0]) && Self.agrees(ours[1], theirs[1]) && ours[2] == theirs[2] && Self.agrees(ours[3], theirs[3], 1e-7),
                        "\(name) \(rule.name) \(cell): ours \(ours), vectorbt \(theirs)")
                checked += 1
            }
        }
        #expect(checked == 9 + 9 + 6 + 4)
    }

    /// The same grids run as sweeps (shared series computed once, cells across cores): every row
    /// equals vectorbt's figures for its cell, and a grid naming a parameter no rule has is refused.
    @Test(arguments: ["btc", "dji"])
    func everySweptCellEqualsVectorbt(_ name: String) throws {
        let (bars, frame) = try Self.frame(name)
        let expected = try #require(Self.fixture.data[name])
        for rule in Self.fixture.rules {
            let rules = SignalRules(entry: rule.entry, exit: rule.exit, shortEntry: rule.short_entry, shortExit: rule.short_exit)
            let names = try rules.parameterNames()
            let axes = names.map { key in ParameterGrid.Axis(name: key, values: Array(Set(rule.cells.map { $0[key]! })).sorted()) }
            let grid = ParameterGrid(axes: axes)
            var rows: [SweepRow] = []
            let summary = try RuleSweep.run(rules, grid: grid, bars: bars, frame: frame, settings: ExecutionSettings(fill: .close, commission: 0.0001),
                                            convention: .vectorbt, threads: 2, onRows: { rows += $0 })
            #expect(summary.evaluated == rule.cells.count && summary.rejected == 0)
            for row in rows {
                let cell = Dictionary(uniqueKeysWithValues: zip(names, row.parameters))
                let k = try #require(rule.cells.firstIndex(of: cell))
                let theirs = try #require(expected[rule.name]?[k])
                let m = row.metrics
                #expect(Self.agrees(m.totalReturn, theirs[0]) && Self.agrees(m.equityFinal, theirs[1]) && Self.agrees(m.sharpe, theirs[3], 1e-7),
                        "\(name) \(rule.name) \(cell): swept \([m.totalReturn, m.equityFinal, m.sharpe]), vectorbt \(theirs)")
            }
        }
        let rules = SignalRules(entry: "close > sma(close, {n})")
        #expect(throws: BacktestError.self) {
            try RuleSweep.run(rules, grid: ParameterGrid(axes: [.init(name: "m", values: [1])]), bars: bars, frame: frame,
                              settings: ExecutionSettings(fill: .close), convention: .vectorbt, onRows: { _ in })
        }
        // A window of 0 is refused for its cell only.
        var count = 0
        let summary = try RuleSweep.run(rules, grid: ParameterGrid(axes: [.init(name: "n", values: [0, 5, 10])]), bars: bars, frame: frame,
                                        settings: ExecutionSettings(fill: .close), convention: .vectorbt, onRows: { count += $0.count })
        #expect(summary.rejected == 1 && count == 2 && summary.firstRejection?.contains("at least 1") == true, "\(summary)")
    }

    /// Every swept row equals the single run of its cell (`qf backtest`'s path: signals,
    /// `SignalBacktest`, `PerformanceMetrics`), under both conventions and both fills, shorts too.
    @Test(arguments: [(MetricsConvention.vectorbt, ExecutionSettings.Fill.close), (.backtestingPy, .nextOpen)])
    func sweptRowsEqualSingleRuns(convention: MetricsConvention, fill: ExecutionSettings.Fill) throws {
        let (bars, frame) = try Self.frame("btc")
        let rules = SignalRules(entry: "crossed_above(ema(close, {f}), sma(close, {s}))", exit: "rsi(close, 14) > 75",
                                shortEntry: "crossed_below(ema(close, {f}), sma(close, {s}))", shortExit: "rsi(close, 14) < 25")
        let grid = ParameterGrid(axes: [.init(name: "f", values: [5, 10, 20]), .init(name: "s", values: [30, 60])])
        var settings = ExecutionSettings(fill: fill, commission: 0.001, initialCash: 100_000, allowShort: true, lot: .fractional)
        var rows: [SweepRow] = []
        _ = try RuleSweep.run(rules, grid: grid, bars: bars, frame: frame, settings: settings, convention: convention, threads: 2, onRows: { rows += $0 })
        settings.peer = convention
        #expect(rows.count == 6)
        for row in rows {
            let parameters = grid.parameters(at: row.index)
            let signals = try RuleSignals.signals(rules, frame: frame, parameters: parameters, arithmetic: convention.meanArithmetic)
            let single = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, signals: signals, settings: settings)
            let m = PerformanceMetrics(equity: single.equity, timestamps: bars.timestamps, trades: single.trades, convention: convention,
                                       benchmark: bars.close, benchmarkStart: 0, initialCash: 100_000, openTrade: single.openTrade)
            let expected = SweepMetrics(m)
            for (name, (a, b)) in zip(SweepMetrics.names, zip(row.metrics.values, expected.values)) {
                #expect(Self.agrees(a, b), "\(parameters) \(name): swept \(a), single \(b)")
            }
        }
    }

    @Test func sameBarSignalsResolveAsFromSignals() {
        // bars:            0  1  2  3  4  5  6  7  8
        let le: [Double] = [1, 1, 0, 1, 0, 0, 0, 1, 0]
        let lx: [Double] = [0, 0, 1, 1, 0, 1, 0, 0, 1]
        let se: [Double] = [0, 0, 0, 0, 1, 0, 1, 1, 0]
        let sx: [Double] = [0, 0, 0, 0, 0, 1, 0, 0, 0]
        let signals = RuleSignals.signals(count: 9, longEntry: le, longExit: lx, shortEntry: se, shortExit: sx)
        // 0 opens long; 1 adds nothing; 2 closes; 3 entry and exit cancel; 4 opens short; 5 closes it
        // (the long exit does nothing while short); 6 opens short; 7 long and short entries cancel; 8 nothing held long.
        #expect(signals == [.long, .hold, .flat, .hold, .short, .flat, .short, .hold, .hold])
        // An opposite entry reverses and wins over the held side's exit.
        #expect(RuleSignals.signals(count: 2, longEntry: [1, 0], longExit: [0, 1], shortEntry: [0, 1], shortExit: nil) == [.long, .short])
    }

    @Test func theBuiltInCrossWrittenAsAnExpressionTradesIdentically() throws {
        let (bars, frame) = try Self.frame("dji")
        for (fast, slow) in [(10, 30), (5, 20), (20, 100)] {
            let spec = StrategySpec(name: "sma_cross", parameters: ["fast": Double(fast), "slow": Double(slow)])
            let builtIn = try Strategies.signals(spec, close: bars.close)
            let rules = SignalRules(entry: "crossed_above(sma(close, {fast}), sma(close, {slow}))", exit: "crossed_below(sma(close, {fast}), sma(close, {slow}))")
            let written = try RuleSignals.signals(rules, frame: frame, parameters: ["fast": Double(fast), "slow": Double(slow)])
            let settings = ExecutionSettings(fill: .nextOpen, commission: 0.001)
            let a = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, signals: builtIn, settings: settings)
            let b = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, signals: written, settings: settings)
            #expect(a.equity == b.equity && a.trades.count == b.trades.count, "sma_cross \(fast)/\(slow): the expression trades as the built-in")
        }
    }

    /// `--position`: the expression's value per bar is the target fraction of equity, held to ±1,
    /// NaN leaving the position alone; the run is the one-asset rebalancing of those targets.
    @Test func aPositionExpressionIsATargetFractionPerBar() throws {
        let (bars, frame) = try Self.frame("dji")
        let sma = Indicators.sma(bars.close, window: 50)
        let targets = try RuleSignals.positions("where(close > sma(close, 50), 1, -0.5)", frame: frame)
        #expect(targets == bars.close.indices.map { bars.close[$0] > sma[$0] ? 1 : -0.5 }, "where() over the built-in average, NaN comparing false")
        let scaled = try RuleSignals.positions("(close - sma(close, {n})) / 100", frame: frame, parameters: ["n": 20])
        let mean20 = Indicators.sma(bars.close, window: 20)
        for i in bars.close.indices {
            let raw = (bars.close[i] - mean20[i]) / 100
            #expect(raw.isNaN ? scaled[i].isNaN : scaled[i] == max(-1, min(1, raw)), "bar \(i)")
        }
        #expect(scaled.contains(1) && scaled.contains(-1), "values beyond ±1 are held to ±1")
        // A million in cash: whole units of an index at 10,000+ need it.
        let settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 1_000_000, allowShort: true)
        let run = PortfolioBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, targets: targets, kind: .fraction, settings: settings)
        #expect(run.units[0].contains { $0 < 0 } && run.units[0].contains { $0 > 0 }, "long and short")
        #expect(throws: RuleError.self) { try RuleSignals.positions("close > 1", frame: frame) }
    }

    /// `qf portfolio --weights EXPR` over DJ30's 29 symbols: each bar's weights are the values over
    /// their gross sum (a NaN counting as 0), nil while every value is NaN, and cross-sectional
    /// functions rank the symbols of each bar.
    @Test func portfolioWeightsAreNormalisedPerBar() throws {
        let csv = "\(PeerAgreementTests.shared)/data/trademaster/portfolio_management/dj30/test.csv"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("dj30.h5").path
        _ = try CSVIngestor.ingest(csv: csv, to: out, options: IngestOptions())
        let file = try BarFile(path: out)
        let panel = try Panel(file: file, symbols: file.symbols, columns: ["open", "close"], alignment: .inner)
        let frame = Frame(symbols: panel.symbols, bars: panel.timestamps.count, columns: ["open": panel.values[0].flatMap { $0 }, "close": panel.values[1].flatMap { $0 }])
        #expect(frame.symbols.count == 29)
        let weights = try RuleSignals.portfolioWeights("cs_rank(pct_change(close, 20)) - 0.5", frame: frame)
        #expect(weights.prefix(20).allSatisfy { $0 == nil }, "no weights while the changes are still NaN")
        var checked = 0
        for t in 20..<frame.bars {
            let w = try #require(weights[t])
            #expect(abs(w.reduce(0) { $0 + abs($1) } - 1) < 1e-12, "gross exposure 1 on bar \(t)")
            // Against the ranks computed here: the k-th of 29 changes gets (k/29 − 0.5), scaled.
            let changes = (0..<29).map { s in panel.values[1][s][t] / panel.values[1][s][t - 20] - 1 }
            let raw = changes.map { c in (Double(changes.filter { $0 < c }.count) + Double(changes.filter { $0 == c }.count + 1) / 2) / 29 - 0.5 }
            let gross = raw.reduce(0) { $0 + abs($1) }
            #expect(zip(w, raw).allSatisfy { abs($0 - $1 / gross) < 1e-12 }, "bar \(t)")
            checked += 1
        }
        #expect(checked > 200)
        let settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 1_000_000, allowShort: true, lot: .fractional)
        let run = PortfolioBacktest.run(open: panel.values[0], close: panel.values[1], timestamps: panel.timestamps, schedule: .everyBars(5), settings: settings) { weights[$0] }
        #expect(run.units.contains { $0.contains { $0 < 0 } } && run.units.contains { $0.contains { $0 > 0 } }, "long the leaders, short the laggards")
    }

    @Test func aRuleThatDoesNotCompileNamesItsField() throws {
        let (_, frame) = try Self.frame("dji")
        #expect(throws: RuleError.self) { try RuleSignals.signals(SignalRules(entry: "close > 1", exit: "clsoe < 1"), frame: frame) }
        do {
            _ = try RuleSignals.signals(SignalRules(entry: "close > 1", exit: "clsoe < 1"), frame: frame)
        } catch let error as RuleError {
            #expect(error.field == "exit" && error.error.message.contains("did you mean 'close'"), "\(error)")
        }
    }
}
