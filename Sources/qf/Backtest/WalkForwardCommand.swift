import ArgumentParser
import Backtest
import Expressions
import Foundation
import Ingest

/// `qf walkforward`: walk-forward optimisation of a strategy's grid over one symbol — per window
/// the parameters chosen in sample and their out-of-sample figures, the stitched out-of-sample
/// metrics, walk-forward efficiency and the parameters' stability.
struct WalkForwardCommand: AsyncParsableCommand {
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
    @Flag(help: "Queue the windows as shard tasks for qf worker processes and wait for the stitched result (the bar file at the same path for every worker).")
    var distributed = false
    @OptionGroup(title: "Slurm") var slurmOptions: SlurmOptions

    func run() async throws {
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
            if distributed || slurmOptions.slurm {
                return try await DistributedWalkForward(command: self, grid: grid, subject: subject, windows: windows, symbol: bars.symbol).run()
            }
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
        try WalkForwardSummary(result, names: names).print(symbol: symbol, names: names, cells: grid.count, select: select, json: json)
        if json { return }
        func pct(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.2f%%", v * 100) }
        func num(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.3f", v) }
        func date(_ t: Int64) -> String { WalkForwardSummary.date(t) }
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
