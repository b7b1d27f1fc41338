import Agents
import ArgumentParser
import Compute
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `qf tune`: hyperparameter search over a job config, several seeds per configuration, with
/// successive halving so poor trials stop early; writes the best configuration as a config file.
struct TuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search an agent's hyperparameters over several seeds (random or grid, with successive halving).",
        discussion: """
        Each --search names a hyperparameter of the config (qf tune --list --config C shows them \
        with their ranges and the config's values): a list (gamma=0.95,0.99), a range \
        (learning_rate=1e-4:1e-2:log, n_steps=64:512) or a range with a point count for grids \
        (learning_rate=1e-4:1e-2:log:3). Every configuration trains with --seeds seeds; with \
        --scheduler asha, all train to the first rung, the best third goes on, and so on to \
        --max-epochs. Trials run in parallel, one per core. Ctrl-C stops; the same command \
        continues where it stopped.
        """)

    @Option(help: "The job config (JSON) the search starts from.") var config: String
    @Option(help: "A searched hyperparameter: name=a,b,c or name=low:high[:log][:points]. Repeat for several.") var search: [String] = []
    @Option(help: "Random configurations to try, or 'grid' for every combination (default: grid when every --search lists values, else 16).") var trials: String?
    @Option(help: "Seeds per configuration.") var seeds = 1
    @Option(help: "asha (successive halving) or none (every trial to --max-epochs).") var scheduler = "asha"
    @Option(help: "The validation metric that ranks trials: valid_sharpe, valid_total_return or episode_return.") var metric = "valid_sharpe"
    @Option(help: "Epochs of a trial trained to the end (default: the config's epochs).") var maxEpochs: Int?
    @Option(help: "Epochs of the first rung (default: max-epochs / reduction², at least 1).") var minEpochs: Int?
    @Option(help: "η: one trial in η goes on from each rung.") var reduction = 3
    @Option(help: "Seeds the random search and the bootstrap intervals.") var samplingSeed: UInt64 = 0
    @Option(help: "Trials trained at once (default: the number of cores).") var parallel: Int?
    @Option(help: "Output directory (default: .qf/tune/<config name>).") var out: String?
    @Option(help: "Where to write the best configuration (default: <out>/best.json).") var bestConfig: String?
    @Flag(help: "Queue the trials as training jobs in the database for any qf worker (DATABASE_URL), and wait for them.") var distributed = false
    @OptionGroup(title: "Slurm") var slurmOptions: SlurmOptions
    @Flag(help: "List the config's hyperparameters with their ranges and values, and exit.") var list = false
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        ComputeConfiguration(blasThreads: 1).apply()
        let base = try TrainingJobConfiguration.load(path: config)
        if list { return try printCatalog(base) }
        guard !search.isEmpty else { throw ValidationError("give at least one --search name=values (qf tune --list --config \(config) shows the names)") }
        guard let metric = SelectionMetric(rawValue: metric) else {
            throw ValidationError("--metric: unknown '\(metric)'; known: \(SelectionMetric.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let space: SearchSpace
        do { space = try SearchSpace(dimensions: try search.map { try SearchDimension(parsing: $0) }) } catch let error as AgentsError {
            throw ValidationError("--search \(error)")
        }
        let resolved = try AgentRegistry.resolve(base)
        let name = base.name ?? URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        var options = TuneOptions(maxEpochs: maxEpochs ?? resolved.trainer.epochs, directory: out ?? ".qf/tune/\(name)")
        options.metric = metric
        options.seeds = seeds
        options.samplingSeed = samplingSeed
        options.parallelism = parallel ?? ProcessInfo.processInfo.activeProcessorCount
        guard options.parallelism >= 1 else { throw ValidationError("--parallel: at least 1") }
        switch trials {
        case "grid": options.trials = nil
        case let text?:
            guard let n = Int(text) else { throw ValidationError("--trials: a number or 'grid', got '\(text)'") }
            options.trials = n
        case nil:
            let listed = space.dimensions.allSatisfy { if case .values = $0.domain { return true }; return false }
            options.trials = listed ? nil : 16
        }
        switch scheduler {
        case "asha": options.halving = try SuccessiveHalving(maxEpochs: options.maxEpochs, minEpochs: minEpochs, reduction: reduction)
        case "none": options.halving = nil
        default: throw ValidationError("--scheduler: asha or none, got '\(scheduler)'")
        }
        if distributed || slurmOptions.slurm { return try await DistributedTune.submitAndWait(command: self, base: base, options: options) }
        let tuner = try Tuner(base: base, space: space, options: options)
        let count = tuner.configurations.count
        let rungs = options.halving?.rungs ?? [options.maxEpochs]
        let planned = (options.halving?.epochs(trials: count).halving ?? count * options.maxEpochs) * seeds
        if !json {
            print("tuning \(base.config.agentName) on \(base.config.datasetName): \(count) configurations × \(seeds) seed\(seeds == 1 ? "" : "s"), "
                  + "rungs at epochs \(rungs.map(String.init).joined(separator: ", ")); \(options.parallelism) trained at once; output \(options.directory)")
        }

        for s in [SIGINT, SIGTERM] { signal(s) { _ in stopRequested.store(true, ordering: .relaxed) } }
        let bar = Mutex(ProgressBar(total: planned, label: "tune"))
        let done = Atomic<Int>(0)
        let quiet = json
        let result = try tuner.run(shouldStop: { stopRequested.load(ordering: .relaxed) }, onEvent: { event in
            switch event {
            case .epoch(let trial, let seed, let m):
                let n = done.wrappingAdd(1, ordering: .relaxed).newValue
                bar.withLock { $0.update(n, status: "trial \(trial) seed \(seed) epoch \(m.epoch)") }
            case .rungDone(let epochs, let trials, let promoted):
                guard !quiet else { return }
                clearProgressLine()
                print(promoted.isEmpty ? "rung of \(epochs) epochs: \(trials) trial\(trials == 1 ? "" : "s") done"
                      : "rung of \(epochs) epochs: \(trials) trials, \(promoted.count) go on (trial \(promoted.map(String.init).joined(separator: ", ")))")
            }
        })
        clearProgressLine()
        let best = try tuner.bestJob(result)
        let bestPath = bestConfig ?? "\(options.directory)/best.json"
        try Self.write(best, to: bestPath)
        if json { return try printJSON(result) }
        Self.printResult(result, dimensions: space.dimensions.map(\.name), bestPath: bestPath)
    }

    /// The best configuration as a config file `qf train` takes (its folder made when missing).
    static func write(_ best: TrainingJobConfiguration, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(best)), to: path)
    }

    static func printResult(_ result: TuneResult, dimensions: [String], bestPath: String) {
        print(Self.table(result, dimensions: dimensions))
        let share = Double(result.epochsTrained) / Double(max(result.epochsIfFull, 1))
        print("epochs trained: \(result.epochsTrained) of \(result.epochsIfFull) had every trial run to the end (\(percent(share)))")
        print("best: trial \(result.best.trial) (\(Tuner.describe(result.best.values))); config written to \(bestPath) (qf train --config \(bestPath))")
    }

    /// The leaderboard: one row per configuration, best first.
    static func table(_ result: TuneResult, dimensions: [String]) -> String {
        var rows = [["rank", "trial"] + dimensions + ["epochs", "status", "seeds", "mean", "iqm", "95% CI"]]
        for (rank, t) in result.trials.enumerated() {
            let s = t.statistics
            rows.append(["\(rank + 1)", "\(t.trial)"] + dimensions.map { t.values[$0].map(String.init(describing:)) ?? "-" }
                        + ["\(t.epochs)", t.status, "\(t.scores.compactMap { $0 }.count)/\(t.scores.count)", format(s?.mean), format(s?.interquartileMean),
                           s.map { "[\(format($0.lower)), \(format($0.upper))]" } ?? "-"])
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        let header = "\(result.metric) across seeds (each seed's best epoch)"
        return ([header] + rows.map { row in row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") })
            .joined(separator: "\n")
    }

    /// `--list`: every hyperparameter the config's agent reads, its range, value and doc line.
    func printCatalog(_ base: TrainingJobConfiguration) throws {
        let resolved = try AgentRegistry.resolve(base)
        print("hyperparameters of \(base.config.agentName) (\(config)):")
        let rows = HyperparameterCatalog.all.filter { $0.applies(to: resolved) }.map { spec in
            [spec.name, spec.value(in: resolved).map(String.init(describing:)) ?? "-", spec.rangeDescription, spec.doc]
        }
        let widths = (0..<3).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            print("  " + (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3])
        }
    }
}
