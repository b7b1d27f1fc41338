import Backtest
import Foundation
import Testing

/// Walk-forward against a straightforward reference on real BTC daily bars: every window's every
/// cell run on its own by the readable single-run path and ranked by hand, the chosen cell run on
/// the out-of-sample part from a fresh account, and the parts chained by their growth (fractional
/// lots and proportional costs make a run scale with its cash) — against the fused sweep and the
/// stitched run. Windows, durations and bad options too.
@Suite struct WalkForwardTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var fill: ExecutionSettings.Fill
        var convention: MetricsConvention
        var anchored: Bool
        var select = "sharpe"
        var testDescription: String { "\(fill.rawValue) \(convention.rawValue)\(anchored ? " anchored" : "") by \(select)" }
    }

    static let cases = [
        Case(fill: .close, convention: .vectorbt, anchored: false),
        Case(fill: .nextOpen, convention: .backtestingPy, anchored: true, select: "total_return"),
    ]

    static func agrees(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test(arguments: cases)
    func equalsEveryWindowRunOnItsOwn(_ c: Case) throws {
        let (open, close, times) = try PeerAgreementTests().bars("btc")
        let bars = BarSeries(symbol: "BTC", open: open, close: close, timestamps: times)
        let settings = ExecutionSettings(fill: c.fill, commission: 0.001, initialCash: 10_000, lot: .fractional)
        let grid = ParameterGrid(axes: try ["fast=2:20:3", "slow=10:60:10"].map { try ParameterGrid.Axis(parsing: $0) })
        let windows = try WalkForwardWindows(bars: bars.count, train: 500, test: 250, anchored: c.anchored)
        #expect(windows.windows.count == (bars.count - 500 + 248) / 250, "windows tile the series after the first 500 bars")
        let config = WalkForwardConfiguration(grid: grid, settings: settings, convention: c.convention, select: c.select, threads: 2)
        let result = try WalkForward.run(.strategy("sma_cross"), configuration: config, windows: windows, bars: bars)
        #expect(result.windows.count == windows.windows.count)

        var growth = 1.0
        var chained: [Double] = []
        for (k, window) in windows.windows.enumerated() {
            let train = window.trainStart..<window.testStart
            // Every cell of the grid on the in-sample bars, by the readable path.
            var best: (index: Int, figure: Double)?
            var validCells = 0
            for index in 0..<grid.count {
                let spec = StrategySpec(name: "sma_cross", parameters: grid.parameters(at: index))
                guard let signals = try? Strategies.signals(spec, close: Array(close[train]), peer: c.convention) else { continue }
                validCells += 1
                let run = SignalBacktest.run(open: Array(open[train]), close: Array(close[train]), timestamps: Array(times[train]), signals: signals,
                                             settings: settings, reopensHeldPosition: c.convention == .backtestingPy)
                let m = PerformanceMetrics(equity: run.equity, timestamps: Array(times[train]), trades: run.trades, convention: c.convention,
                                           initialCash: settings.initialCash, openTrade: run.openTrade)
                let figure = c.select == "sharpe" ? m.sharpe : m.totalReturn
                if !figure.isNaN, best == nil || figure > best!.figure { best = (index, figure) }
            }
            let chosen = try #require(best)
            #expect(result.windows[k].index == chosen.index, "window \(k + 1): chose \(result.windows[k].parameters), the reference \(grid.values(at: chosen.index))")
            // Its overfitting statistics judge the in-sample choice among every cell that ran there.
            let judged = try #require(result.windows[k].overfitting)
            #expect(judged.selectedIndex == chosen.index && judged.trials == validCells && judged.overfittingProbability?.splits == 12_870)
            // Returns: one per bar (vectorbt), one per day after the first (Backtesting.py, daily bars).
            #expect(judged.deflatedSharpe.observations == (c.convention == .vectorbt ? train.count : train.count - 1))
            // The chosen cell out of sample, warmed up on the in-sample bars, from a fresh account.
            let warm = window.trainStart..<window.testEnd, test = window.testStart..<window.testEnd
            let spec = StrategySpec(name: "sma_cross", parameters: grid.parameters(at: chosen.index))
            let signals = try Strategies.signals(spec, close: Array(close[warm]), peer: c.convention)
            let run = SignalBacktest.run(open: Array(open[test]), close: Array(close[test]), timestamps: Array(times[test]),
                                         signals: Array(signals[(window.testStart - window.trainStart)...]), settings: settings,
                                         reopensHeldPosition: c.convention == .backtestingPy)
            chained += run.equity.map { $0 / settings.initialCash * growth * settings.initialCash }
            growth *= run.equity.last! / settings.initialCash
        }
        #expect(result.equity.count == chained.count && zip(result.equity, chained).allSatisfy { Self.agrees($0, $1) }, "the stitched equity")
        #expect(result.timestamps == Array(times[windows.windows[0].testStart..<windows.windows.last!.testEnd]))
        let stitched = PerformanceMetrics(equity: chained, timestamps: result.timestamps, trades: result.trades, convention: c.convention,
                                          initialCash: settings.initialCash)
        #expect(Self.agrees(result.metrics.sharpe, stitched.sharpe) && Self.agrees(result.metrics.totalReturn, stitched.totalReturn))
        let inSample = result.windows.map(\.inSample.annualReturn).reduce(0, +) / Double(result.windows.count)
        #expect(Self.agrees(result.efficiency, stitched.annualReturn / inSample))
        let fast = result.windows.map { $0.parameters[0] }
        #expect(result.stability[0].name == "fast" && result.stability[0].distinct == Set(fast).count)
        #expect(result.stability[0].changes == zip(fast, fast.dropFirst()).filter { $0 != $1 }.count)
        // The report marks where each out-of-sample part begins and charts the choices bar by bar.
        let starts = result.windowStarts
        #expect(starts.count == result.windows.count - 1 && starts.allSatisfy { result.timestamps[$0] == result.windows[starts.firstIndex(of: $0)! + 1].testFrom })
        let lines = result.parameterLines(names: ["fast", "slow"])
        #expect(lines[0].values.count == result.equity.count && lines[0].values[starts[0]] == result.windows[1].parameters[0])
    }

    @Test func windowsRollOrAnchorAndStopAtTheEnd() throws {
        let rolling = try WalkForwardWindows(bars: 100, train: 40, test: 25)
        #expect(rolling.windows.map { [$0.trainStart, $0.testStart, $0.testEnd] } == [[0, 40, 65], [25, 65, 90], [50, 90, 100]])
        let anchored = try WalkForwardWindows(bars: 100, train: 40, test: 25, step: 30, anchored: true)
        #expect(anchored.windows.map { [$0.trainStart, $0.testStart, $0.testEnd] } == [[0, 40, 65], [0, 70, 95]])
        #expect(throws: BacktestError.self) { try WalkForwardWindows(bars: 41, train: 40, test: 25) }
        #expect(throws: BacktestError.self) { try WalkForwardWindows(bars: 100, train: 1, test: 25) }
        // Lengths from a request can be any Int: no overflow, the window just takes the rest.
        #expect(throws: BacktestError.self) { try WalkForwardWindows(bars: 100, train: Int.max, test: Int.max) }
        #expect(try WalkForwardWindows(bars: 100, train: 40, test: Int.max).windows.map(\.testEnd) == [100])
        #expect(try WalkForwardWindows(bars: 100, train: 40, test: 25, step: Int.max).windows.count == 1)
    }

    @Test func durationsCountBarsOnTheSeriesOwnCalendar() throws {
        // Daily bars from 2020-01-01: a year is 366 bars (a leap year), six months 182, 90 days 90.
        let day: Int64 = 86_400_000_000_000, start: Int64 = 1_577_836_800_000_000_000
        let times = (0..<1_000).map { start + Int64($0) * day }
        #expect(try WalkForwardWindows.bars("1y", option: "--train", timestamps: times) == 366)
        #expect(try WalkForwardWindows.bars("6m", option: "--train", timestamps: times) == 182)
        #expect(try WalkForwardWindows.bars("90d", option: "--test", timestamps: times) == 90)
        #expect(try WalkForwardWindows.bars("2w", option: "--test", timestamps: times) == 14)
        #expect(try WalkForwardWindows.bars("250", option: "--test", timestamps: times) == 250)
        #expect(try WalkForwardWindows.bars("9999y", option: "--train", timestamps: times) == times.count, "past year 2262: every bar")
        for bad in ["0", "2x", "y", "-3d", "1.5y"] {
            #expect(throws: BacktestError.self, "\(bad)") { try WalkForwardWindows.bars(bad, option: "--train", timestamps: times) }
        }
    }
}
