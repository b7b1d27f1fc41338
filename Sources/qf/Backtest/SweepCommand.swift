import ArgumentParser
import Backtest
import Foundation
import Synchronization

/// `qf sweep`: every combination of a parameter grid over one symbol, across all cores, with the
/// best rows printed and every row streamed to CSV.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep", abstract: "Sweep a strategy's parameter grid over a bar file.",
        discussion: """
            Axes: --grid name=start:stop[:step] (inclusive) or --grid name=a,b,c. Combinations the strategy refuses (fast ≥ slow) are skipped and counted.
            With --distributed the grid becomes an evaluation in the database (DATABASE_URL, or the project's cluster) split into shards of \
            --shard-size combinations that every `qf worker` (on any machine reading the same --data path) takes; this command waits and prints the ranking.
            """)

    @OptionGroup var market: MarketOptions
    @Option(help: "Strategy: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")) (default sma_cross).") var strategy: String?
    @OptionGroup var rules: RuleOptions
    @Option(name: .customLong("grid"), help: "An axis of the grid (repeatable).") var axes: [String] = []
    @Option(name: .customLong("param"), help: "A parameter every combination shares, name=value (repeatable).") var parameters: [String] = []
    @Option(help: "Figure to rank by: \(SweepMetrics.names.joined(separator: ", ")).") var sort = "sharpe"
    @Flag(help: "Rank smallest first (for drawdown or volatility).") var ascending = false
    @Option(help: "Rows to print.") var top = 20
    @Option(help: "Write every row to this CSV file.") var out: String?
    @Option(help: "Worker threads (default: one per core).") var threads = 0
    @Flag(help: "Print the top rows as JSON.") var json = false
    @Flag(help: "Queue the sweep as shard tasks for qf worker processes and wait for the merged ranking.") var distributed = false
    @Option(help: "With --distributed: combinations per shard task.") var shardSize = 2_000
    @OptionGroup(title: "Slurm") var slurmOptions: SlurmOptions
    @Option(help: "Time blocks for the overfitting statistics (CSCV's S, even, 2-20); 0: none.") var overfittingPartitions = 16

    func run() async throws {
        guard !axes.isEmpty else { throw ValidationError("give at least one --grid axis, e.g. --grid fast=2:50") }
        let grid = ParameterGrid(axes: try axes.map { try ParameterGrid.Axis(parsing: $0) }, fixed: try parseParameters(parameters))
        if let signalRules = try rules.rules() {
            guard strategy == nil else { throw ValidationError("--entry (with --exit, --short-entry, --short-exit) is the strategy: leave out --strategy") }
            if distributed || slurmOptions.slurm {
                var sweep = DistributedSweep(command: self, grid: grid, strategy: "expressions")
                sweep.rules = signalRules
                return try await sweep.run()
            }
            return try sweepRules(signalRules, grid: grid)
        }
        let strategy = self.strategy ?? "sma_cross"
        if distributed || slurmOptions.slurm {
            try await DistributedSweep(command: self, grid: grid, strategy: strategy).run()
            return
        }
        var ranking = try SweepRanking(metric: sort, ascending: ascending, limit: top)
        let (symbol, open, close, times) = try market.bars()
        var config = SweepConfiguration(strategy: strategy, grid: grid, settings: try market.settings(), convention: market.convention,
                                        annualization: try market.annualizationValue(), threads: threads)
        config.overfittingPartitions = try partitions()
        var overfitting = SweepOverfitting()
        let writer = try out.map { try SweepCSVWriter(path: $0, axisNames: grid.axes.map(\.name)) }
        let bar = Mutex(ProgressBar(total: grid.count * close.count, label: "sweep \(strategy)"))
        let started = monotonicNanoseconds()
        let summary: SweepSummary
        do {
            summary = try Sweep.run(config, open: open, close: close, timestamps: times, onRows: { rows in
                ranking.add(rows)
                overfitting.add(rows)
                try writer?.write(rows)
            }, progress: { done, _ in bar.withLock { $0.update(done) } })
        } catch let error as BacktestError {
            throw ValidationError(error.description)
        }
        try writer?.commit()
        try report(ranking, summary: summary, symbol: symbol, grid: grid, seconds: Double(monotonicNanoseconds() - started) / 1e9, overfitting: overfitting)
    }

    /// A grid over the `{parameters}` of the user's own rules.
    func sweepRules(_ signalRules: SignalRules, grid: ParameterGrid) throws {
        var ranking = try SweepRanking(metric: sort, ascending: ascending, limit: top)
        let (bars, frame) = try BarSeries.frame(path: market.data, symbol: market.symbol)
        let writer = try out.map { try SweepCSVWriter(path: $0, axisNames: grid.axes.map(\.name)) }
        let bar = Mutex(ProgressBar(total: grid.count * bars.count, label: "sweep rules"))
        let started = monotonicNanoseconds()
        let summary: SweepSummary
        var overfitting = SweepOverfitting()
        do {
            summary = try RuleSweep.run(signalRules, grid: grid, bars: bars, frame: frame, settings: try market.settings(), convention: market.convention,
                                        annualization: try market.annualizationValue(), threads: threads, overfittingPartitions: try partitions(),
                                        onRows: { rows in
                                            ranking.add(rows)
                                            overfitting.add(rows)
                                            try writer?.write(rows)
                                        }, progress: { done, _ in bar.withLock { $0.update(done) } })
        } catch let error as RuleError {
            throw ValidationError("--\(error.field.replacingOccurrences(of: "_", with: "-")):\n\(error.error)")
        } catch let error as BacktestError {
            throw ValidationError(error.description)
        }
        try writer?.commit()
        try report(ranking, summary: summary, symbol: bars.symbol, grid: grid, seconds: Double(monotonicNanoseconds() - started) / 1e9, overfitting: overfitting)
    }

    /// `--overfitting-partitions`, nil for 0.
    func partitions() throws -> Int? { try Self.partitions(overfittingPartitions) }

    /// `--overfitting-partitions` of `qf sweep` and `qf walkforward`: nil for 0.
    static func partitions(_ value: Int) throws -> Int? {
        guard value != 0 else { return nil }
        guard ReturnBlocks.isValidPartitionCount(value) else {
            throw ValidationError("--overfitting-partitions \(value): \(ReturnBlocks.partitionCountRule), or 0 for none")
        }
        return value
    }

    /// Prints the ranking (a table, or JSON) and the sweep's throughput.
    func report(_ ranking: SweepRanking, summary: SweepSummary, symbol: String, grid: ParameterGrid, seconds: Double, overfitting: SweepOverfitting) throws {
        let judged = monotonicNanoseconds()
        let statistics = ranking.rows.first.flatMap { overfitting.report(selected: $0.index, threads: threads) }
        let judging = Double(monotonicNanoseconds() - judged) / 1e9
        if json {
            struct Row: Encodable { var parameters: [String: Double]; var metrics: [String: Double] }
            struct Output: Encodable { var rows: [Row]; var overfitting: OverfittingReport? }
            try printJSON(Output(rows: ranking.rows.map { row in
                Row(parameters: Dictionary(uniqueKeysWithValues: zip(grid.axes.map(\.name), row.parameters)),
                    metrics: Dictionary(uniqueKeysWithValues: zip(SweepMetrics.names, row.metrics.values)))
            }, overfitting: statistics), snakeCase: false)
            return
        }
        let throughput = Double(summary.evaluated) * Double(summary.bars) / seconds
        print("\(symbol): \(summary.evaluated) combinations × \(summary.bars) bars in \(String(format: "%.2f", seconds)) s "
              + "(\(String(format: "%.1f", throughput / 1e6)) M bar·combinations/s)"
              + (summary.rejected > 0 ? "; \(summary.rejected) skipped (\(summary.firstRejection ?? ""))" : ""))
        Self.printTable(ranking.rows.enumerated().map { k, row in TableRow(rank: k + 1, parameters: row.parameters, figure: { row.metrics.value($0) ?? .nan }) },
                        axisNames: grid.axes.map(\.name))
        if let statistics {
            Self.printOverfitting(statistics)
            print("(overfitting statistics computed in \(String(format: "%.3f", judging)) s)")
        } else if overfittingPartitions > 0 && overfitting.overflow == 0 && summary.evaluated > 1 {
            print("overfitting statistics: none (the series has fewer returns than --overfitting-partitions \(overfittingPartitions))")
        }
        if overfitting.overflow > 0 {
            print("overfitting statistics: not computed past \(SweepOverfitting.maximumCells) cells (the grid has \(summary.evaluated))")
        }
        if let out { print("all rows: \(out)") }
    }

    /// The deflated Sharpe ratio and PBO of the first row, in two lines.
    static func printOverfitting(_ r: OverfittingReport) {
        let d = r.deflatedSharpe, p = r.overfittingProbability
        printOverfitting(figure: { key in
            switch key {
            case "trials": Double(r.trials)
            case "probability": d.probability
            case "sharpe": d.sharpe
            case "expected_maximum": d.expectedMaximum
            case "observations": Double(d.observations)
            case "skewness": d.skewness
            case "kurtosis": d.kurtosis
            default: .nan
            }
        }, pbo: p.map { p in { key in
            switch key {
            case "probability": p.probability
            case "splits": Double(p.splits)
            case "partitions": Double(p.partitions)
            case "median_logit": p.medianLogit
            case "probability_of_loss": p.probabilityOfLoss
            case "degradation_slope": p.degradationSlope
            default: .nan
            }
        } })
    }

    /// The two lines from figures by their JSON names (a local report, or a distributed sweep's results).
    static func printOverfitting(figure d: (String) -> Double, pbo p: ((String) -> Double)?) {
        func f(_ v: Double, _ digits: Int = 3) -> String { v.isNaN ? "NaN" : String(format: "%.\(digits)f", v) }
        let trials = Int(d("trials").isNaN ? 0 : d("trials"))
        print("deflated Sharpe (rank 1 of \(trials) cells): \(f(d("probability"))) — Sharpe \(f(d("sharpe"), 4))/period against \(f(d("expected_maximum"), 4)) "
              + "expected of the best of \(trials) without skill, over \(Int(d("observations"))) returns (skew \(f(d("skewness"), 2)), kurtosis \(f(d("kurtosis"), 2)))"
              + (d("probability") > 0.95 ? "; significant at 95%" : "; not significant at 95%"))
        if let p {
            print("probability of backtest overfitting: \(f(p("probability"))) over \(Int(p("splits"))) CSCV splits of \(Int(p("partitions"))) blocks "
                  + "(median logit \(f(p("median_logit"), 2)), out-of-sample loss in \(f(p("probability_of_loss") * 100, 1))% of splits, "
                  + "degradation slope \(f(p("degradation_slope"), 2)))")
        }
    }

    /// One ranked row of the table: its rank, axis values and figures by name.
    struct TableRow {
        var rank: Int
        var parameters: [Double]
        var figure: (String) -> Double
    }

    /// The ranking as the aligned table both local and distributed sweeps print.
    static func printTable(_ rows: [TableRow], axisNames: [String]) {
        let figures = ["total_return", "annual_return", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor"]
        let header = ["rank"] + axisNames + figures
        var lines = [header]
        for row in rows {
            var line = ["\(row.rank)"] + row.parameters.map { SweepCSVWriter.format($0) }
            for f in figures {
                let v = row.figure(f)
                let percent = ["total_return", "annual_return", "max_drawdown", "win_rate"].contains(f)
                line.append(v.isNaN ? "NaN" : (f == "trades" ? "\(Int(v))" : String(format: percent ? "%.2f%%" : "%.3f", percent ? v * 100 : v)))
            }
            lines.append(line)
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max()! }
        for line in lines {
            print(line.indices.map { c in String(repeating: " ", count: widths[c] - line[c].count) + line[c] }.joined(separator: "  "))
        }
    }
}
