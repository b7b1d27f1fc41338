import Backtest
import Expressions
import Ingest

/// The state of a paper-trading replay after bar `bar`: Backtest's run over bars 0…bar only.
struct PaperStep: Sendable {
    var bar: Int
    var time: Int64
    var close: Double
    var position: Double
    var equity: Double
    var trades: Int
    var metrics: PerformanceMetrics

    static let empty = PaperStep(bar: 0, time: 0, close: .nan, position: 0, equity: .nan, trades: 0,
                                 metrics: PerformanceMetrics(equity: [1], timestamps: [0], trades: []))
}

// In an extension, so the struct keeps its synthesized memberwise initializer (used by `empty`).
extension PaperStep {
    /// What trades in a replay: a built-in rule, signal expressions or a target-position expression.
    enum Strategy: Sendable {
        case rule(String)
        case rules(SignalRules)
        case position(String)
    }

    /// The run over bars 0…i of `bars` (and of `frame`, the same bars' columns).
    /// - Throws: `BacktestError` for a bad rule parameter, `RuleError` for expressions that do not
    ///   compile on these columns.
    init(_ strategy: Strategy, parameters: [String: Double], bars: BarSeries, frame: Frame, through i: Int, settings: ExecutionSettings) throws {
        let open = Array(bars.open[...i]), close = Array(bars.close[...i]), times = Array(bars.timestamps[...i])
        var settings = settings
        let result: (equity: [Double], positions: [Double], trades: [TradeRecord], openTrade: TradeRecord?)
        switch strategy {
        case .rule(let rule):
            let run = try FusedBacktest.run(StrategySpec(name: rule, parameters: parameters), open: open, close: close, timestamps: times, settings: settings)
            result = (run.equity, run.positions, run.trades, run.openTrade)
        case .rules(let rules):
            if rules.tradesShort { settings.allowShort = true }
            let prefix = Frame(symbol: frame.symbols[0], columns: frame.columns.mapValues { Array($0[...i]) })
            let signals = try RuleSignals.signals(rules, frame: prefix, parameters: parameters, arithmetic: settings.peer?.meanArithmetic ?? .quantforge)
            let run = SignalBacktest.run(open: open, close: close, timestamps: times, signals: signals, settings: settings)
            result = (run.equity, run.positions, run.trades, run.openTrade)
        case .position(let expression):
            settings.allowShort = true
            let prefix = Frame(symbol: frame.symbols[0], columns: frame.columns.mapValues { Array($0[...i]) })
            let targets = try RuleSignals.positions(expression, frame: prefix, parameters: parameters, arithmetic: settings.peer?.meanArithmetic ?? .quantforge)
            let run = PortfolioBacktest.run(open: open, close: close, timestamps: times, targets: targets, kind: .fraction, settings: settings)
            result = (run.equity, run.units[0], run.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }, nil)
        }
        bar = i
        time = times[i]
        self.close = close[i]
        position = result.positions[i]
        equity = result.equity[i]
        trades = result.trades.count
        metrics = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, benchmark: close,
                                     initialCash: settings.initialCash, openTrade: result.openTrade)
    }

    /// Bar `i` of a finished run revealed as a replay starting at bar `from` (bar numbers and
    /// figures count from there): equity, position and the trades closed so far.
    init(revealing run: EvaluationRunner.Run, from: Int, through i: Int, startingEquity: Double) {
        let equity = Array(run.equity[from...i]), times = Array(run.timestamps[from...i])
        // The trades closed by bar i, re-based to the replay's first bar.
        let closed = run.trades.filter { $0.exitBar <= i && $0.entryBar >= from }.map { trade -> TradeRecord in
            var t = trade
            t.entryBar -= from
            t.exitBar -= from
            return t
        }
        bar = i - from
        time = run.timestamps[i]
        close = run.benchmark[i]
        position = run.positions[i]
        self.equity = run.equity[i]
        trades = closed.count
        metrics = PerformanceMetrics(equity: equity, timestamps: times, trades: closed, benchmark: Array(run.benchmark[from...i]),
                                     initialCash: startingEquity)
    }

    func json(strategyID: Int, of total: Int) -> JSONValue {
        func number(_ v: Double) -> JSONValue { v.isFinite ? .double(v) : .null }
        return .object(["strategy_id": .int(Int64(strategyID)), "status": .string("active"), "bar": .int(Int64(bar + 1)), "bars": .int(Int64(total)),
                        "time": .string(TimestampParser.format(time)), "close": number(close), "position": number(position), "equity": number(equity),
                        "total_return": number(metrics.totalReturn * 100), "max_drawdown": number(-metrics.maxDrawdown * 100), "trades": .int(Int64(trades))])
    }
}
