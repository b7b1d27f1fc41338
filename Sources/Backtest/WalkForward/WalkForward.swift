import Expressions
import Foundation

/// What walk-forward optimises: a built-in strategy or the user's own rules, over a grid of
/// their parameters.
public enum WalkForwardSubject: Sendable {
    case strategy(String)
    case rules(SignalRules)
}

/// Everything a walk-forward run needs besides the bars and the windows.
public struct WalkForwardConfiguration: Sendable {
    public var grid: ParameterGrid
    public var settings: ExecutionSettings
    public var convention: MetricsConvention
    public var annualization: Annualization
    /// The in-sample figure that chooses a window's parameters, and whether smaller is better.
    public var select: String
    public var ascending: Bool
    public var threads: Int
    /// Time blocks for each window's overfitting statistics (of its in-sample sweep); nil: none.
    public var overfittingPartitions: Int? = 16

    public init(grid: ParameterGrid, settings: ExecutionSettings, convention: MetricsConvention = .backtestingPy, annualization: Annualization = .inferred,
                select: String = "sharpe", ascending: Bool = false, threads: Int = 0) {
        self.grid = grid
        self.settings = settings
        self.convention = convention
        self.annualization = annualization
        self.select = select
        self.ascending = ascending
        self.threads = threads
    }
}

/// A walk-forward run: per window the parameters chosen in sample and both parts' figures; the
/// out-of-sample parts stitched into one equity curve with its metrics; walk-forward efficiency
/// and how stable the chosen parameters were.
public struct WalkForwardResult: Sendable {
    /// One window's choice and figures.
    public struct WindowResult: Sendable {
        public var window: WalkForwardWindows.Window
        /// First and last bar times of the in-sample and the out-of-sample parts (ns, UTC).
        public var trainFrom: Int64, trainTo: Int64, testFrom: Int64, testTo: Int64
        /// The chosen cell: its grid index and axis values.
        public var index: Int
        public var parameters: [Double]
        /// The chosen cell's figures in sample (as the sweep ranked it) and out of sample.
        public var inSample: SweepMetrics
        public var outOfSample: PerformanceMetrics
        /// How likely the in-sample choice was luck: the chosen cell's deflated Sharpe ratio
        /// and the in-sample grid's PBO (nil when not asked or the in-sample part is too short).
        public var overfitting: OverfittingReport?
    }

    /// How one axis's chosen value moved across the windows.
    public struct Stability: Sendable, Codable, Equatable {
        public var name: String
        public var mean: Double
        /// Population standard deviation of the chosen values.
        public var deviation: Double
        /// Windows whose choice differs from the window before.
        public var changes: Int
        public var distinct: Int

        public init(name: String, mean: Double, deviation: Double, changes: Int, distinct: Int) {
            self.name = name
            self.mean = mean
            self.deviation = deviation
            self.changes = changes
            self.distinct = distinct
        }
    }

    public var windows: [WindowResult]
    /// The stitched out-of-sample equity, its times and trades (bar indices into `equity`).
    public var equity: [Double]
    /// Units held at each stitched bar's close.
    public var positions: [Double]
    public var timestamps: [Int64]
    public var trades: [TradeRecord]
    public var metrics: PerformanceMetrics
    /// Out-of-sample annualised return over the mean in-sample annualised return of the chosen cells.
    public var efficiency: Double
    public var stability: [Stability]
}

/// Walk-forward optimisation. For each window the grid is swept on the in-sample bars (the same
/// fused sweep as `qf sweep`) and the cell best by the selection figure is run on the following
/// out-of-sample bars; its indicators are computed from the window's first in-sample bar on, so
/// they are warmed up on earlier bars and never see later ones (signals are causal). Each
/// out-of-sample part starts flat with the equity the previous part ended with (an open position
/// is valued at its last close, as a run's final equity values it, and counted as a trade closed
/// there); the parts are stitched into one curve whose metrics are computed as a single run's.
public enum WalkForward {
    /// Runs every window of `windows` over `bars` (and, for rules, the same bars' `frame`).
    /// `progress` gets the windows done and the total.
    public static func run(_ subject: WalkForwardSubject, configuration c: WalkForwardConfiguration, windows: WalkForwardWindows,
                           bars: BarSeries, frame: Frame? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> WalkForwardResult {
        var choices: [Choice] = []
        for (k, window) in windows.windows.enumerated() {
            choices.append(try choose(subject, configuration: c, window: window, number: k + 1, bars: bars, frame: frame))
            progress?(k + 1, windows.windows.count)
        }
        return try stitch(subject, configuration: c, windows: windows, choices: choices, bars: bars, frame: frame)
    }

    /// A window's in-sample choice: the cell best by the selection figure, its in-sample figures
    /// and the overfitting statistics of the in-sample sweep. One window's work, so a service can
    /// run the windows as tasks on any worker and stitch them after.
    public struct Choice: Sendable {
        public var index: Int
        public var parameters: [Double]
        public var inSample: SweepMetrics
        public var overfitting: OverfittingReport?

        public init(index: Int, parameters: [Double], inSample: SweepMetrics, overfitting: OverfittingReport?) {
            self.index = index
            self.parameters = parameters
            self.inSample = inSample
            self.overfitting = overfitting
        }
    }

    /// Sweeps the grid on `window`'s in-sample bars and returns the best cell (window `number`
    /// in errors).
    public static func choose(_ subject: WalkForwardSubject, configuration c: WalkForwardConfiguration, window: WalkForwardWindows.Window, number: Int,
                              bars: BarSeries, frame: Frame? = nil) throws -> Choice {
        let train = window.trainStart..<window.testStart
        var ranking = try SweepRanking(metric: c.select, ascending: c.ascending, limit: 1)
        var overfitting = SweepOverfitting()
        let inSample = slice(bars, train)
        switch subject {
        case .strategy(let name):
            var sweep = SweepConfiguration(strategy: name, grid: c.grid, settings: c.settings, convention: c.convention, annualization: c.annualization,
                                           threads: c.threads)
            sweep.overfittingPartitions = c.overfittingPartitions
            _ = try Sweep.run(sweep, open: inSample.open, close: inSample.close, timestamps: inSample.timestamps, onRows: { ranking.add($0); overfitting.add($0) })
        case .rules(let rules):
            guard let frame else { throw BacktestError.invalidParameter("walk-forward over rules needs the bars' columns") }
            _ = try RuleSweep.run(rules, grid: c.grid, bars: inSample, frame: slice(frame, train), settings: c.settings, convention: c.convention,
                                  annualization: c.annualization, threads: c.threads, overfittingPartitions: c.overfittingPartitions,
                                  onRows: { ranking.add($0); overfitting.add($0) })
        }
        guard let best = ranking.rows.first else {
            throw BacktestError.invalidParameter("window \(number): no cell of the grid ran on the in-sample bars")
        }
        return Choice(index: best.index, parameters: best.parameters, inSample: best.metrics,
                      overfitting: overfitting.report(selected: best.index, threads: c.threads))
    }

    /// Runs each window's choice on its out-of-sample bars and stitches the parts.
    public static func stitch(_ subject: WalkForwardSubject, configuration c: WalkForwardConfiguration, windows: WalkForwardWindows, choices: [Choice],
                              bars: BarSeries, frame: Frame? = nil) throws -> WalkForwardResult {
        precondition(choices.count == windows.windows.count, "WalkForward.stitch: a choice per window")
        var results: [WalkForwardResult.WindowResult] = []
        var equity: [Double] = [], positions: [Double] = [], times: [Int64] = [], trades: [TradeRecord] = []
        var cash = c.settings.initialCash
        for (window, choice) in zip(windows.windows, choices) {
            let train = window.trainStart..<window.testStart, warm = window.trainStart..<window.testEnd, test = window.testStart..<window.testEnd
            // The chosen cell's signals from the window's first bar; traded from the out-of-sample part on.
            let parameters = c.grid.parameters(at: choice.index)
            var settings = c.settings
            settings.initialCash = cash
            let signals: [Signal]
            var reopens = false
            switch subject {
            case .strategy(let name):
                signals = try Strategies.signals(StrategySpec(name: name, parameters: parameters), close: Array(bars.close[warm]), peer: c.convention)
                reopens = name.hasSuffix("_cross") && c.convention == .backtestingPy
            case .rules(let rules):
                guard let frame else { throw BacktestError.invalidParameter("walk-forward over rules needs the bars' columns") }
                signals = try RuleSignals.signals(rules, frame: slice(frame, warm), parameters: parameters, arithmetic: c.convention.meanArithmetic)
                if rules.tradesShort { settings.allowShort = true }
                settings.peer = c.convention
            }
            let outOfSample = slice(bars, test)
            let run = SignalBacktest.run(open: outOfSample.open, close: outOfSample.close, timestamps: outOfSample.timestamps,
                                         signals: Array(signals[(window.testStart - window.trainStart)...]), settings: settings, reopensHeldPosition: reopens)
            let metrics = PerformanceMetrics(equity: run.equity, timestamps: outOfSample.timestamps, trades: run.trades, convention: c.convention,
                                             annualization: c.annualization, initialCash: cash, openTrade: run.openTrade)
            results.append(.init(window: window, trainFrom: bars.timestamps[train.lowerBound], trainTo: bars.timestamps[train.upperBound - 1],
                                 testFrom: bars.timestamps[test.lowerBound], testTo: bars.timestamps[test.upperBound - 1], index: choice.index,
                                 parameters: choice.parameters, inSample: choice.inSample, outOfSample: metrics, overfitting: choice.overfitting))
            for trade in run.trades + (run.openTrade.map { [$0] } ?? []) {
                var shifted = trade
                shifted.entryBar += equity.count
                shifted.exitBar += equity.count
                trades.append(shifted)
            }
            equity += run.equity
            positions += run.positions
            times += outOfSample.timestamps
            cash = run.equity.last ?? cash
        }
        let metrics = PerformanceMetrics(equity: equity, timestamps: times, trades: trades, convention: c.convention, annualization: c.annualization,
                                         initialCash: c.settings.initialCash)
        let inSampleReturn = results.map(\.inSample.annualReturn).reduce(0, +) / Double(results.count)
        return WalkForwardResult(windows: results, equity: equity, positions: positions, timestamps: times, trades: trades, metrics: metrics,
                                 efficiency: inSampleReturn == 0 ? .nan : metrics.annualReturn / inSampleReturn,
                                 stability: stability(results, names: c.grid.axes.map(\.name)))
    }

    static func stability(_ windows: [WalkForwardResult.WindowResult], names: [String]) -> [WalkForwardResult.Stability] {
        names.enumerated().map { axis, name in
            let values = windows.map { $0.parameters[axis] }
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            let changes = zip(values, values.dropFirst()).filter { $0 != $1 }.count
            return .init(name: name, mean: mean, deviation: deviation, changes: changes, distinct: Set(values).count)
        }
    }

    static func slice(_ bars: BarSeries, _ range: Range<Int>) -> BarSeries {
        BarSeries(symbol: bars.symbol, open: Array(bars.open[range]), close: Array(bars.close[range]), timestamps: Array(bars.timestamps[range]))
    }

    static func slice(_ frame: Frame, _ range: Range<Int>) -> Frame {
        Frame(symbols: frame.symbols, bars: range.count, columns: frame.columns.mapValues { Array($0[range]) })
    }
}

extension WalkForwardResult {
    /// Where each out-of-sample part after the first begins in the stitched curve.
    public var windowStarts: [Int] {
        var starts: [Int] = [], at = 0
        for w in windows.dropLast() {
            at += w.window.testEnd - w.window.testStart
            starts.append(at)
        }
        return starts
    }

    /// Each axis's chosen value at every stitched bar (for the report's parameter chart).
    public func parameterLines(names: [String]) -> [(name: String, values: [Double])] {
        names.enumerated().map { axis, name in
            (name, windows.flatMap { w in [Double](repeating: w.parameters[axis], count: w.window.testEnd - w.window.testStart) })
        }
    }

    /// The HTML report of the stitched run, with the windows marked and the parameters charted.
    public func report(title: String, statistics: [(String, String)], names: [String], benchmark: [Double]?) -> String {
        var content = HTMLReport.Content(title: title, metrics: metrics, statistics: statistics, equity: equity, timestamps: timestamps,
                                         trades: trades, benchmark: benchmark)
        content.windowStarts = windowStarts
        content.parameterLines = parameterLines(names: names)
        return HTMLReport.html(content)
    }
}
