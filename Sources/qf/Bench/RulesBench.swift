import ArgumentParser
import Backtest
import Expressions
import Foundation

/// `qf bench rules`: a sweep of rules written as expressions (or of a built-in strategy) over a
/// bar file, timed as Benchmarks/peers/vectorbt_rules.py times vectorbt: warmed up first on the
/// file's first 2,000 bars (for vectorbt that compiles numba; for us it is the process's first
/// use of its types, threads and pages), then the whole grid, the median of `--repeats` runs.
/// Each run does what `qf sweep` does: every cell's figures, the ranking and the returns kept for
/// the overfitting statistics. `qf sweep` prints its own figure too, which includes that first use.
struct RulesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Benchmark a sweep of expression rules (or a built-in strategy) over a bar file, warmed up as the peer is.")

    @OptionGroup var market: MarketOptions
    @Option(help: "A built-in strategy instead of --entry/--exit.") var strategy: String?
    @OptionGroup var rules: RuleOptions
    @Option(name: .customLong("grid"), help: "An axis of the grid (repeatable).") var axes: [String] = []
    @Option(help: "Timed runs (the median is reported).") var repeats = 5
    @Option(help: "Bars of the warm-up run.") var warmUpBars = 2_000
    @Option(help: "Worker threads (default: one per core).") var threads = 0
    @Option(help: "A name for the grid in the output.") var label = "rules"

    func run() throws {
        guard !axes.isEmpty else { throw ValidationError("give at least one --grid axis") }
        guard repeats >= 1, warmUpBars >= 2 else { throw ValidationError("--repeats must be at least 1 and --warm-up-bars at least 2") }
        let grid = ParameterGrid(axes: try axes.map { try ParameterGrid.Axis(parsing: $0) })
        let signalRules = try rules.rules()
        guard (signalRules == nil) != (strategy == nil) else { throw ValidationError("give either --entry (with --exit …) or --strategy") }
        let (bars, frame) = try BarSeries.frame(path: market.data, symbol: market.symbol)
        guard bars.count >= 2 else { throw CommandFailure("\(market.data): \(bars.count) bars, too few to time a sweep over") }
        // The warm-up's bars: the first ones, cut from those read (the file is read once).
        let k = min(warmUpBars, bars.count)
        let warmBars = BarSeries(symbol: bars.symbol, open: Array(bars.open.prefix(k)), close: Array(bars.close.prefix(k)),
                                 timestamps: Array(bars.timestamps.prefix(k)))
        let warmFrame = Frame(symbol: bars.symbol, columns: frame.columns.mapValues { Array($0.prefix(k)) })
        let settings = try market.settings(), annualization = try market.annualizationValue()

        /// One sweep as `qf sweep` runs it; returns the cells evaluated and the best row's Sharpe.
        func sweep(_ bars: BarSeries, _ frame: Frame) throws -> (cells: Int, best: Double) {
            var ranking = try SweepRanking(metric: "sharpe", limit: 1)
            var overfitting = SweepOverfitting()
            let onRows: ([SweepRow]) throws -> Void = { rows in
                ranking.add(rows)
                overfitting.add(rows)
            }
            let evaluated: Int
            if let signalRules {
                evaluated = try RuleSweep.run(signalRules, grid: grid, bars: bars, frame: frame, settings: settings, convention: market.convention,
                                              annualization: annualization, threads: threads, overfittingPartitions: 16, onRows: onRows).evaluated
            } else {
                var config = SweepConfiguration(strategy: strategy!, grid: grid, settings: settings, convention: market.convention,
                                                annualization: annualization, threads: threads)
                config.overfittingPartitions = 16
                evaluated = try Sweep.run(config, open: bars.open, close: bars.close, timestamps: bars.timestamps, onRows: onRows).evaluated
            }
            return (evaluated, ranking.rows.first?.metrics.sharpe ?? .nan)
        }

        _ = try sweep(warmBars, warmFrame)
        var samples: [Double] = []
        var last = (cells: 0, best: Double.nan)
        for _ in 0..<repeats {
            let started = monotonicNanoseconds()
            last = try sweep(bars, frame)
            samples.append(Double(monotonicNanoseconds() - started) / 1e9)
        }
        samples.sort()
        let seconds = samples[samples.count / 2]
        let rate = Double(last.cells) * Double(bars.count) / seconds
        print(String(format: "%@: %d combinations × %d bars in %.4f s (%.1f M bar·combinations/s; best Sharpe %.6f)",
                     label, last.cells, bars.count, seconds, rate / 1e6, last.best))
    }
}
