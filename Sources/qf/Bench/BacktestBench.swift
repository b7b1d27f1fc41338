import ArgumentParser
import Backtest
import Compute
import Foundation

/// `qf bench backtest`: the three backtest figures of BENCHMARKS.md — a single SMA-cross run over
/// 10 M bars, the SMA grid over 100 k bars, and one Backtesting.py-style run (stats included) over
/// 100 k bars — on synthetic bars shaped like the peers' (`../shared/peers/backtest/common.py`:
/// a geometric random walk from 100 with σ = 0.001 per bar, open = previous close, 1-minute bars).
struct BacktestBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Benchmark single runs and sweeps of the backtester.")

    @Option(help: "Bars of the single-run benchmark.") var bars = 10_000_000
    @Option(help: "Bars of the sweep and Backtesting.py-style benchmarks.") var sweepBars = 100_000
    @Option(help: "Which parts to run: single, sweep, run (comma-separated).") var parts = "single,sweep,run"
    @Option(help: "Samples per measurement (the median is reported).") var repeats = 5
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "Bar file for the single-run benchmark (default: an in-process random walk).") var singleData: String?
    @Option(help: "Bar file for the sweep and Backtesting.py-style benchmarks (default: an in-process random walk).") var sweepData: String?

    /// Bars from a file (the peers' data, ingested) or the in-process walk.
    func load(_ path: String?, bars: Int, seed: UInt64) throws -> (open: [Double], close: [Double], times: [Int64]) {
        guard let path else { return Self.walk(bars, seed: seed) }
        let (_, open, close, times) = try readBars(path: path, symbol: nil)
        return (open, close, times)
    }

    struct Result: Codable {
        var name: String
        var bars: Int
        var combinations: Int
        var seconds: Double
        var barsPerSecond: Double
        var timing: Timing
        var check: [String: Double]
    }

    /// The peers' synthetic OHLC: close = 100·exp(cumsum(N(0, σ))), open = previous close, minute bars.
    static func walk(_ n: Int, seed: UInt64, sigma: Double = 0.001) -> (open: [Double], close: [Double], times: [Int64]) {
        var rng = Xoshiro256(seed: seed)
        var close = [Double](repeating: 0, count: n), open = [Double](repeating: 0, count: n)
        var logPrice = Foundation.log(100.0), previous = 100.0
        for i in 0..<n {
            // Box–Muller in double precision (cosine branch).
            let u1 = 1 - rng.nextUnitDouble(), u2 = rng.nextUnitDouble()
            logPrice += sigma * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
            close[i] = Foundation.exp(logPrice)
            open[i] = previous
            previous = close[i]
        }
        let start: Int64 = 946_684_800_000_000_000   // 2000-01-01
        return (open, close, (0..<n).map { start + Int64($0) * 60_000_000_000 })
    }

    func run() throws {
        var results: [Result] = []
        let selected = Set(parts.split(separator: ",").map(String.init))
        if selected.contains("single") {
            let (open, close, times) = try load(singleData, bars: bars, seed: 7)
            let bars = close.count
            let spec = StrategySpec(name: "sma_cross", parameters: ["fast": 10, "slow": 20])
            // A fee under which the account keeps trading to the last bar: on a driftless walk the
            // ~250,000 round trips of SMA(10, 20) over 10 M bars lose 2 × fee each, so at 1 bp the
            // account is gone (wiped out, or unable to buy one unit) well before the end, and the
            // rest of the series would be trivially cheap. 0.1 bp keeps it alive.
            for (label, settings, withPositions) in [
                ("single sma_cross close fill, fractional, fee 0.1 bp: equity + trades", ExecutionSettings(fill: .close, commission: 0.00001), false),
                ("single sma_cross next_open, whole units, fee 0.1 bp: equity + trades", ExecutionSettings(fill: .nextOpen, commission: 0.00001, initialCash: 1e9), false),
                ("single sma_cross next_open, whole units, fee 0.1 bp: equity + positions + trades", ExecutionSettings(fill: .nextOpen, commission: 0.00001, initialCash: 1e9), true),
            ] {
                var final = 0.0, trades = 0, wipedOut = -1, lastTrade = -1
                // The equity curve, positions and trade list go to buffers reused between runs (the
                // first touch of 100+ MB of new pages would otherwise be measured as well).
                var equity = [Double](repeating: 0, count: bars), positions = [Double](repeating: 0, count: bars)
                var tradeList: [TradeRecord] = []
                let t = open.withUnsafeBufferPointer { o in
                    close.withUnsafeBufferPointer { c in
                        times.withUnsafeBufferPointer { ts in
                            equity.withUnsafeMutableBufferPointer { e in
                                positions.withUnsafeMutableBufferPointer { p in
                                    Timing.measure(repeats: repeats, minTime: 0, warmup: 1) {
                                        let state = try! FusedBacktest.run(spec, open: o, close: c, timestamps: ts, settings: settings, equity: e,
                                                                           positions: withPositions ? p : nil, trades: &tradeList)
                                        final = e[bars - 1]
                                        trades = tradeList.count
                                        wipedOut = state.isBust ? (0..<bars).first { e[$0] == 0 } ?? -1 : -1
                                        lastTrade = tradeList.last?.exitBar ?? -1
                                    }
                                }
                            }
                        }
                    }
                }
                results.append(Result(name: label, bars: bars, combinations: 1, seconds: t.medianSeconds, barsPerSecond: Double(bars) / t.medianSeconds,
                                      timing: t, check: ["final_equity": final, "trades": Double(trades), "wiped_out_at_bar": Double(wipedOut),
                                                                   "last_trade_exit_bar": Double(lastTrade)]))
                print(String(format: "%@: %.1f ms, %.0f M bars/s (final equity %.6g, %d trades, the last closed at bar %d%@)", label, t.medianSeconds * 1e3,
                             Double(bars) / t.medianSeconds / 1e6, final, trades, lastTrade, wipedOut >= 0 ? ", wiped out at bar \(wipedOut)" : ""))
            }
        }
        if selected.contains("sweep") {
            let (open, close, times) = try load(sweepData, bars: sweepBars, seed: 42)
            let sweepBars = close.count
            let grid = ParameterGrid(axes: [try .init(parsing: "slow=10:208:2"), try .init(parsing: "fast=2:51")])
            for threads in [1, 0] {
                let config = SweepConfiguration(strategy: "sma_cross", grid: grid, settings: ExecutionSettings(fill: .close, commission: 0.0001),
                                                convention: .vectorbt, threads: threads)
                var checksum = 0.0, evaluated = 0
                let t = Timing.measure(repeats: repeats, minTime: 0, warmup: 1) {
                    checksum = 0
                    evaluated = try! Sweep.run(config, open: open, close: close, timestamps: times, onRows: { rows in
                        for r in rows { checksum += r.metrics.totalReturn }
                    }).evaluated
                }
                let label = "sweep sma_cross 4,538 combinations, \(threads == 1 ? "1 thread" : "all cores")"
                let rate = Double(evaluated) * Double(sweepBars) / t.medianSeconds
                results.append(Result(name: label, bars: sweepBars, combinations: evaluated, seconds: t.medianSeconds, barsPerSecond: rate,
                                      timing: t, check: ["checksum_total_return": checksum]))
                print(String(format: "%@: %.3f s, %.1f M bar·combinations/s (checksum %.6f)", label, t.medianSeconds, rate / 1e6, checksum))
            }
        }
        if selected.contains("run") {
            // Backtesting.py's README strategy as 31_perf_backtesting_py.py runs it: SmaCross(10, 20),
            // buy on the cross up, sell short on the cross down (exclusive orders), whole units,
            // commission 1 bp, 10,000 cash; the run includes the full statistics.
            let (open, close, times) = try load(sweepData, bars: sweepBars, seed: 42)
            let n = close.count
            let spec = StrategySpec(name: "sma_cross", parameters: ["fast": 10, "slow": 20])
            // Under Backtesting.py's own semantics (pandas' rolling means, its crossover, a
            // crossing into the position held reopening it), as `qf backtest --convention
            // backtesting.py` runs.
            var settings = ExecutionSettings(fill: .nextOpen, commission: 0.0001, initialCash: 10_000, allowShort: true)
            settings.peer = .backtestingPy
            var final = 0.0, trades = 0, sharpe = 0.0
            let t = Timing.measure(repeats: repeats, minTime: 0.3, warmup: 2) {
                let r = try! FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
                let m = PerformanceMetrics(equity: r.equity, timestamps: times, trades: r.trades, convention: .backtestingPy, benchmark: close,
                                           benchmarkStart: 19, initialCash: 10_000, openTrade: r.openTrade)
                final = m.equityFinal
                trades = m.tradeCount
                sharpe = m.sharpe
            }
            let label = "Backtesting.py-style run, SmaCross(10, 20) long/short with statistics"
            results.append(Result(name: label, bars: n, combinations: 1, seconds: t.medianSeconds, barsPerSecond: Double(n) / t.medianSeconds,
                                  timing: t, check: ["equity_final": final, "trades": Double(trades), "sharpe": sharpe]))
            print(String(format: "%@: %.3f ms over %d bars, %.1f M bars/s (equity final %.6f, %d trades, Sharpe %.6f)", label, t.medianSeconds * 1e3, n,
                         Double(n) / t.medianSeconds / 1e6, final, trades, sharpe))
        }
        if let json { try writeBenchJSON(results, to: json) }
    }
}
