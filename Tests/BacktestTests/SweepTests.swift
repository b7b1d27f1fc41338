import Backtest
import Foundation
import Testing

/// Sweeps against single runs: every row's figures equal `PerformanceMetrics` of the readable
/// path for that combination, across time blocks, batches and threads; grids parse and reject.
@Suite struct SweepTests {
    func agrees(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= 1e-9 * max(1, abs(b))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var strategy: String
        var axes: [String]
        var fixed: [String: Double] = [:]
        var fill: ExecutionSettings.Fill
        var convention: MetricsConvention
        var allowShort = false
        var testDescription: String { "\(strategy) \(fill.rawValue) \(convention.rawValue)\(allowShort ? " shorts" : "")" }
    }

    static let cases: [Case] = [
        Case(strategy: "sma_cross", axes: ["fast=2:12:3", "slow=5:40:7"], fill: .close, convention: .vectorbt),
        Case(strategy: "sma_cross", axes: ["fast=3,8", "slow=20,60"], fill: .nextOpen, convention: .backtestingPy, allowShort: true),
        Case(strategy: "ema_cross", axes: ["fast=4,9", "slow=12:30:9"], fill: .close, convention: .backtestingPy),
        Case(strategy: "rsi", axes: ["period=7,14", "lower=25,35"], fixed: ["upper": 70], fill: .nextOpen, convention: .vectorbt, allowShort: true),
        Case(strategy: "mean_reversion", axes: ["window=10,30", "entry=1,2"], fixed: ["exit": 0.25], fill: .close, convention: .vectorbt),
        Case(strategy: "momentum", axes: ["lookback=5,50"], fill: .nextOpen, convention: .backtestingPy),
    ]

    @Test(arguments: cases)
    func rowsEqualSingleRunMetrics(_ c: Case) throws {
        // Hourly bars over ~14 months: Backtesting.py's figures come from daily resampling.
        let (open, close, times) = FusedBacktestTests.bars(10_000, seed: 3)
        let settings = ExecutionSettings(fill: c.fill, commission: 0.001, fixedFee: 0.1, initialCash: 10_000, allowShort: c.allowShort)
        let grid = ParameterGrid(axes: try c.axes.map { try ParameterGrid.Axis(parsing: $0) }, fixed: c.fixed)
        // Tiny budget and batches: several time blocks and several batches.
        let config = SweepConfiguration(strategy: c.strategy, grid: grid, settings: settings, convention: c.convention, threads: 2,
                                        batchSize: 3, memoryBudget: 4 * 4_096 * 8)
        var rows: [SweepRow] = []
        let summary = try Sweep.run(config, open: open, close: close, timestamps: times, onRows: { rows += $0 })
        #expect(summary.evaluated == rows.count && summary.evaluated + summary.rejected == grid.count)
        for row in rows {
            let spec = StrategySpec(name: c.strategy, parameters: grid.parameters(at: row.index))
            // The slow reference under the convention's library semantics (rounding, ties, a
            // crossing into the position held reopening it for Backtesting.py).
            let reopens = c.strategy.hasSuffix("_cross") && c.convention == .backtestingPy
            let single = SignalBacktest.run(open: open, close: close, timestamps: times, signals: try Strategies.signals(spec, close: close, peer: c.convention),
                                            settings: settings, reopensHeldPosition: reopens)
            let m = PerformanceMetrics(equity: single.equity, timestamps: times, trades: single.trades, convention: c.convention,
                                       initialCash: settings.initialCash, openTrade: single.openTrade)
            let expected: [(String, Double)] = [
                ("equity_final", m.equityFinal), ("total_return", m.totalReturn), ("cagr", m.cagr), ("annual_return", m.annualReturn),
                ("annual_volatility", m.annualVolatility), ("sharpe", m.sharpe), ("sortino", m.sortino), ("calmar", m.calmar),
                ("max_drawdown", m.maxDrawdown), ("exposure", m.exposure), ("trades", Double(m.tradeCount)), ("win_rate", m.winRate),
                ("profit_factor", m.profitFactor), ("expectancy", m.expectancy), ("sqn", m.sqn),
            ]
            for (name, value) in expected {
                #expect(agrees(row.metrics.value(name)!, value), "\(spec.parameters) \(name): sweep \(row.metrics.value(name)!), single run \(value)")
            }
        }
        #expect(rows.contains { $0.metrics.trades > 0 })
    }

    @Test func gridsParseAndRejectWhatTheStrategyRefuses() throws {
        #expect(try ParameterGrid.Axis(parsing: "fast=2:51").values == (2...51).map(Double.init))
        #expect(try ParameterGrid.Axis(parsing: "slow=10:208:2").values.count == 100)
        #expect(try ParameterGrid.Axis(parsing: "k=0.5:1.0:0.1").values.count == 6)
        #expect(try ParameterGrid.Axis(parsing: "lookback=5,10,20").values == [5, 10, 20])
        for bad in ["fast", "fast=", "fast=2:x", "fast=5:2", "fast=1:5:0", "fast=1:2:3:4"] {
            #expect(throws: BacktestError.self, "\(bad)") { try ParameterGrid.Axis(parsing: bad) }
        }
        // The benchmark grid: 50 × 100 axes, of which 4,538 have fast < slow.
        let grid = ParameterGrid(axes: [try .init(parsing: "slow=10:208:2"), try .init(parsing: "fast=2:51")])
        let valid = (0..<grid.count).filter { let p = grid.parameters(at: $0); return p["fast"]! < p["slow"]! }
        #expect(grid.count == 5_000 && valid.count == 4_538)
        let (open, close, times) = FusedBacktestTests.bars(500, seed: 1)
        let small = ParameterGrid(axes: [try .init(parsing: "fast=5,30"), try .init(parsing: "slow=10,20")])
        var rows: [SweepRow] = []
        let summary = try Sweep.run(SweepConfiguration(strategy: "sma_cross", grid: small, settings: ExecutionSettings()),
                                    open: open, close: close, timestamps: times, onRows: { rows += $0 })
        #expect(summary.rejected == 2 && rows.map(\.parameters) == [[5, 10], [5, 20]])
        #expect(summary.firstRejection == "sma_cross: parameter 'fast' (30) must be below 'slow' (10)")
    }
}
