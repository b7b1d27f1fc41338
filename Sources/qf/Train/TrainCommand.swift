import Agents
import ArgumentParser
import Compute
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT / SIGTERM: training stops at the next step and keeps its last epoch checkpoint.
let stopRequested = Atomic<Bool>(false)

/// `qf train`: trains an agent from a TradeMaster-style job config, epoch by epoch, with a
/// progress bar, one line per epoch, and the final test through Backtest.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an agent from a job config (configs/<task>/<agent>_<dataset>.json).",
        discussion: """
        The config names the task, dataset, agent, optimizer and loss as TradeMaster does, with \
        hyperparameters by their usual names. Each epoch is one pass over the training split, \
        followed by a greedy run on the validation split; the best epoch is tested at the end. \
        Ctrl-C stops at the next step; `--resume` continues from the last epoch's checkpoint, \
        bit-identically to an uninterrupted run.
        """)

    @Option(help: "The job config (JSON).") var config: String
    @Option(help: "Override hyperparameters.epochs.") var epochs: Int?
    @Option(help: "Override hyperparameters.seed.") var seed: UInt64?
    @Option(help: "Output directory (default: .qf/runs/<config name>).") var out: String?
    @Option(help: "Train this many seeds (seed, seed + 1, …; in parallel across cores) and report their statistics.") var seeds = 1
    @Option(help: "With --seeds: seeds trained at once (default: the number of cores).") var parallel: Int?
    @Flag(help: "Continue from the checkpoint in the output directory.") var resume = false
    @Flag(help: "Print the final report as JSON.") var json = false

    func run() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        var job = try TrainingJobConfiguration.load(path: config)
        if let epochs { job.hyperparameters.epochs = epochs }
        if let seed { job.hyperparameters.seed = seed }
        let name = job.name ?? URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let directory = out ?? ".qf/runs/\(name)"
        guard (1...1_000).contains(seeds) else { throw ValidationError("--seeds: 1 to 1000, got \(seeds)") }
        if seeds > 1 {
            return try MultiSeedTraining(job: job, seeds: seeds, parallelism: parallel ?? ProcessInfo.processInfo.activeProcessorCount,
                                         directory: directory, resume: resume, json: json).run()
        }
        if !resume && FileManager.default.fileExists(atPath: "\(directory)/checkpoint.safetensors") {
            throw ValidationError("\(directory) already holds a checkpoint: pass --resume to continue it, or --out for a new run")
        }
        let run = try TrainingRun(job: job, directory: directory)
        if try resume && run.resumeIfPossible() {
            print("resumed \(directory) after epoch \(run.progress.epochsDone)")
        }
        let r = run.resolved
        let total = r.trainer.epochs
        print("training \(job.config.agentName) on \(job.config.datasetName): \(total) epochs of \(run.stepsPerEpoch) steps, output \(directory)")

        for s in [SIGINT, SIGTERM] { signal(s) { _ in stopRequested.store(true, ordering: .relaxed) } }
        var bar = ProgressBar(total: run.stepsPerEpoch * total, label: "train")
        var done = run.progress.epochsDone * run.stepsPerEpoch
        var status = ""
        let outcome = try run.run(shouldStop: {
            done += 1
            bar.update(done, status: status)
            return stopRequested.load(ordering: .relaxed)
        }, onEpoch: { m in
            status = "epoch \(m.epoch)/\(total) \(Int(m.stepsPerSecond)) steps/s loss \(format(m.loss)) reward \(format(m.meanReward))"
            clearProgressLine()
            print(Self.line(m, of: total))
        })
        clearProgressLine()
        switch outcome {
        case .cancelled:
            print("stopped; the checkpoint after epoch \(run.progress.epochsDone) is in \(directory) (continue with --resume)")
            throw ExitCode(130)
        case .earlyStopped:
            print("early stop: no better \(r.trainer.selectionMetric.rawValue) for \(r.trainer.earlyStoppingPatience) epochs")
        case .completed:
            break
        }
        let report = try run.test()
        if json { try printJSON(report, snakeCase: true); return }
        print(Self.summary(report))
        print("checkpoint: \(directory)/best.safetensors (epoch \(report.epoch.map(String.init) ?? "-")); report: \(directory)/test.json")
    }

    static func line(_ m: EpochMetrics, of total: Int) -> String {
        var parts = ["epoch \(m.epoch)/\(total)", "loss \(format(m.loss))", "mean_reward \(format(m.meanReward))", "episode_return \(format(m.episodeReturn))"]
        if let e = m.epsilon { parts.append("epsilon \(format(e))") }
        if let h = m.entropy { parts.append("entropy \(format(h))") }
        if let x = m.policyLoss { parts.append("policy_loss \(format(x))") }
        if let x = m.valueLoss { parts.append("value_loss \(format(x))") }
        if let x = m.approxKL { parts.append("approx_kl \(format(x))") }
        if let x = m.clipFraction { parts.append("clip_fraction \(format(x))") }
        if let x = m.explainedVariance { parts.append("explained_variance \(format(x))") }
        if let v = m.validTotalReturn { parts.append("valid_total_return \(format(v))") }
        if let v = m.validSharpe { parts.append("valid_sharpe \(format(v))") }
        if let v = m.validMaxDrawdown { parts.append("valid_max_drawdown \(format(v))") }
        parts.append("\(Int(m.stepsPerSecond)) steps/s")
        return parts.joined(separator: "  ")
    }

    static func summary(_ r: TestReport) -> String {
        let e = r.episode, b = r.backtest
        var text = """
        test on \(r.source):
          TradeMaster: total_return \(format(e.totalReturn))  sharpe \(format(e.sharpe))  max_drawdown \(format(e.maxDrawdown))  calmar \(format(e.calmar))  sortino \(format(e.sortino))
          Backtest:    return \(percent(b.totalReturn))  sharpe \(format(b.sharpe))  max_drawdown \(percent(b.maxDrawdown))  trades \(b.tradeCount)  win_rate \(percent(b.winRate))  buy&hold \(percent(b.buyAndHoldReturn))
        """
        if !r.extras.isEmpty { text += "\n  " + r.extras.keys.sorted().map { "\($0) \(format(r.extras[$0]))" }.joined(separator: "  ") }
        return text
    }
}

/// A number for a table: 4 significant digits, "-" for nil or NaN.
func format(_ x: Double?) -> String {
    guard let x, !x.isNaN else { return "-" }
    return String(format: "%.4g", x)
}

/// A fraction as a percentage with two decimals.
func percent(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.2f%%", x * 100) }

/// Clears the progress bar's line, on a terminal only.
func clearProgressLine() {
    if standardErrorIsTerminal() { writeStandardError("\r\u{1B}[K") }
}

/// `qf evaluate`: the best epoch of a training directory on its test split or any dataset; with
/// several directories (or a `qf train --seeds` output holding `seed-*`), each one and the
/// statistics across them.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Evaluate trained agents on a dataset, through Backtest.")

    @Option(help: "A qf train output directory; repeat for several (a qf train --seeds output counts as its seeds).") var checkpoint: [String]
    @Option(help: "Data to evaluate on (CSV or HDF5; default: each job's test split).") var data: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        let directories = try checkpoint.flatMap(Self.trainingDirectories)
        guard directories.count > 1 else {
            let run = try TrainingRun(directory: directories[0])
            guard try run.resumeIfPossible() else { throw CommandFailure("\(directories[0]) holds no checkpoint yet") }
            let report = try run.test(dataPath: data)
            if json { try printJSON(report, snakeCase: true) } else { print(TrainCommand.summary(report)) }
            return
        }
        let data = data
        let runs = try ParallelWork.run(count: directories.count, parallelism: ProcessInfo.processInfo.activeProcessorCount) { i -> SeedSummary.Run in
            let run = try TrainingRun(directory: directories[i])
            guard try run.resumeIfPossible() else { throw AgentsError.invalidData("\(directories[i]) holds no checkpoint yet") }
            return SeedSummary.Run(label: directories[i], bestEpoch: run.progress.bestEpoch, bestScore: run.progress.bestScore, test: try run.test(dataPath: data))
        }
        let summary = SeedSummary(runs: runs)
        if json { return try printJSON(summary) }
        for r in runs {
            print("\(r.label): best epoch \(r.bestEpoch.map(String.init) ?? "-"), test total_return \(format(r.test.episode.totalReturn)) sharpe \(format(r.test.episode.sharpe))")
        }
        print(MultiSeedTraining.table(summary, selection: "selection metric"))
    }

    /// A training directory itself, or the `seed-*` directories of a `qf train --seeds` output.
    static func trainingDirectories(_ path: String) throws -> [String] {
        if FileManager.default.fileExists(atPath: "\(path)/job.json") { return [path] }
        let seeds = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasPrefix("seed-") }
            .sorted { (Int($0.dropFirst(5)) ?? 0) < (Int($1.dropFirst(5)) ?? 0) }
            .map { "\(path)/\($0)" }.filter { FileManager.default.fileExists(atPath: "\($0)/job.json") }
        guard !seeds.isEmpty else { throw CommandFailure("\(path): not a qf train output directory (no job.json, no seed-* directories)") }
        return seeds
    }
}
