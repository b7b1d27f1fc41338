import ArgumentParser
import Backtest
import Expressions
import Foundation
import Ingest

/// `qf walkforward`: walk-forward optimisation of a strategy's grid over one symbol — per window
/// the parameters chosen in sample and their out-of-sample figures, the stitched out-of-sample
/// metrics, walk-forward efficiency and the parameters' stability.
struct WalkForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walkforward", abstract: "Walk-forward optimisation of a strategy's parameter grid over a bar file.",
        discussion: """
            --train and --test (and --step, default --test) are bars (500) or durations counted on the file's own timestamps (2y, 6m, 3w, 90d, 12h). \
            Each window sweeps the grid on its in-sample bars, picks the best cell by --select, and runs it on the following out-of-sample bars \
            with indicators warmed up on the bars before; the out-of-sample parts are stitched into one equity curve.
            """)

    @OptionGroup var market: MarketOptions
    @Option(help: "Strategy: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")) (default sma_cross).") var strategy: String?
    @OptionGroup var rules: RuleOptions
    @Option(name: .customLong("grid"), help: "An axis of the grid (repeatable).") var axes: [String] = []
    @Option(name: .customLong("param"), help: "A parameter every combination shares, name=value (repeatable).") var parameters: [String] = []
    @Option(help: "In-sample length: bars or a duration (2y, 6m, 90d).") var train: String
    @Option(help: "Out-of-sample length: bars or a duration.") var test: String
    @Option(help: "Distance between windows (default: --test).") var step: String?
    @Flag(help: "Every in-sample part starts at the first bar (expanding) instead of rolling.") var anchored = false
    @Option(help: "In-sample figure that chooses the parameters: \(SweepMetrics.names.joined(separator: ", ")).") var select = "sharpe"
    @Flag(help: "Smaller is better for --select (drawdown, volatility).") var ascending = false
    @Option(help: "Worker threads (default: one per core).") var threads = 0
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write an HTML report of the stitched out-of-sample run to this file.") var report: String?
    @Option(help: "Time blocks for each window's overfitting statistics (even, 2-20); 0: none.") var overfittingPartitions = 16

    func run() throws {
        guard !axes.isEmpty else { throw ValidationError("give at least one --grid axis, e.g. --grid fast=2:50") }
        guard SweepMetrics.names.contains(select) else { throw ValidationError("--select must be one of \(SweepMetrics.names.joined(separator: ", "))") }
        let grid = ParameterGrid(axes: try axes.map { try ParameterGrid.Axis(parsing: $0) }, fixed: try parseParameters(parameters))
        let subject: WalkForwardSubject
        let bars: BarSeries, frame: Frame?
        do {
            if let signalRules = try rules.rules() {
                guard strategy == nil else { throw ValidationError("--entry (with --exit, --short-entry, --short-exit) is the strategy: leave out --strategy") }
                subject = .rules(signalRules)
                (bars, frame) = try BarSeries.frame(path: market.data, symbol: market.symbol)
            } else {
                subject = .strategy(strategy ?? "sma_cross")
                bars = try BarSeries.read(path: market.data, symbol: market.symbol)
                frame = nil
            }
            let windows = try WalkForwardWindows(bars: bars.count, train: WalkForwardWindows.bars(train, option: "--train", timestamps: bars.timestamps),
                                                 test: WalkForwardWindows.bars(test, option: "--test", timestamps: bars.timestamps),
                                                 step: try step.map { try WalkForwardWindows.bars($0, option: "--step", timestamps: bars.timestamps) },
                                                 anchored: anchored)
            var config = WalkForwardConfiguration(grid: grid, settings: try market.settings(), convention: market.convention,
                                                  annualization: try market.annualizationValue(), select: select, ascending: ascending, threads: threads)
            config.overfittingPartitions = try SweepCommand.partitions(overfittingPartitions)
            var bar = ProgressBar(total: windows.windows.count, label: "walk-forward")
            let result = try WalkForward.run(subject, configuration: config, windows: windows, bars: bars, frame: frame) { done, _ in bar.update(done) }
            try output(result, grid: grid, symbol: bars.symbol)
        } catch let error as BacktestError {
            throw ValidationError(error.description)
        } catch let error as RuleError {
            throw ValidationError("--\(error.field.replacingOccurrences(of: "_", with: "-")):\n\(error.error)")
        }
    }

    func output(_ result: WalkForwardResult, grid: ParameterGrid, symbol: String) throws {
        let names = grid.axes.map(\.name)
        func date(_ t: Int64) -> String { String(TimestampParser.format(t).prefix(10)) }
        if json {
            struct Window: Encodable {
                var trainFrom: String, trainTo: String, testFrom: String, testTo: String
                var parameters: [String: Double]
                var inSample: [String: Double]
                var outOfSample: [String: Double]
                var overfitting: OverfittingReport?
            }
            struct Output: Encodable {
                var windows: [Window]
                var metrics: [String: Double]
                var walkForwardEfficiency: Double
                var stability: [WalkForwardResult.Stability]
            }
            func figures(_ m: PerformanceMetrics) -> [String: Double] {
                ["total_return": m.totalReturn, "annual_return": m.annualReturn, "sharpe": m.sharpe, "sortino": m.sortino, "max_drawdown": m.maxDrawdown,
                 "trades": Double(m.tradeCount), "win_rate": m.winRate, "equity_final": m.equityFinal]
            }
            try printJSON(Output(windows: result.windows.map { w in
                Window(trainFrom: date(w.trainFrom), trainTo: date(w.trainTo), testFrom: date(w.testFrom), testTo: date(w.testTo),
                       parameters: Dictionary(uniqueKeysWithValues: zip(names, w.parameters)),
                       inSample: Dictionary(uniqueKeysWithValues: zip(SweepMetrics.names, w.inSample.values)), outOfSample: figures(w.outOfSample),
                       overfitting: w.overfitting)
            }, metrics: figures(result.metrics), walkForwardEfficiency: result.efficiency, stability: result.stability))
            return
        }
        func pct(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.2f%%", v * 100) }
        func num(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.3f", v) }
        let header = ["window", "in sample", "out of sample"] + names + ["IS \(select)", "IS DSR", "IS PBO", "OOS return", "OOS Sharpe", "OOS trades"]
        var lines = [header]
        for (k, w) in result.windows.enumerated() {
            lines.append(["\(k + 1)", "\(date(w.trainFrom))…\(date(w.trainTo))", "\(date(w.testFrom))…\(date(w.testTo))"]
                         + w.parameters.map { SweepCSVWriter.format($0) }
                         + [num(w.inSample.value(select) ?? .nan), num(w.overfitting?.deflatedSharpe.probability ?? .nan),
                            num(w.overfitting?.overfittingProbability?.probability ?? .nan),
                            pct(w.outOfSample.totalReturn), num(w.outOfSample.sharpe), "\(w.outOfSample.tradeCount)"])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max()! }
        print("\(symbol): \(result.windows.count) windows, \(grid.count) cells each")
        for line in lines { print(line.indices.map { c in String(repeating: " ", count: widths[c] - line[c].count) + line[c] }.joined(separator: "  ")) }
        let m = result.metrics
        print("stitched out of sample: total return \(pct(m.totalReturn)), annual \(pct(m.annualReturn)), Sharpe \(num(m.sharpe)), "
              + "max drawdown \(pct(m.maxDrawdown)), \(m.tradeCount) trades")
        print("walk-forward efficiency (OOS annual return / mean IS annual return): \(num(result.efficiency))")
        for s in result.stability {
            print("\(s.name): mean \(num(s.mean)), sd \(num(s.deviation)), \(s.distinct) distinct values, changed in \(s.changes) of \(max(0, result.windows.count - 1)) steps")
        }
        if let report {
            var statistics: [(String, String)] = [("Walk-forward efficiency", num(result.efficiency))]
            for (k, w) in result.windows.enumerated() {
                statistics.append(("Window \(k + 1): \(date(w.testFrom))…\(date(w.testTo))",
                                   zip(names, w.parameters).map { "\($0)=\(SweepCSVWriter.format($1))" }.joined(separator: " ")
                                   + ", OOS return \(pct(w.outOfSample.totalReturn))"))
            }
            try StagedFile.write(result.report(title: "Walk-forward: \(symbol)", statistics: statistics, names: names, benchmark: nil), to: report)
            print("report: \(report)")
        }
    }
}
