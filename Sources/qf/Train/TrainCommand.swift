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
    @Flag(help: "Continue from the checkpoint in the output directory.") var resume = false
    @Flag(help: "Print the final report as JSON.") var json = false

    func run() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        var job = try TrainingJobConfiguration.load(path: config)
        if let epochs { job.hyperparameters.epochs = epochs }
        if let seed { job.hyperparameters.seed = seed }
        let name = job.name ?? URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let directory = out ?? ".qf/runs/\(name)"
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

/// `qf evaluate`: the best epoch of a training directory on its test split or any dataset.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Evaluate a trained agent on a dataset, through Backtest.")

    @Option(help: "A qf train output directory.") var checkpoint: String
    @Option(help: "Data to evaluate on (CSV or HDF5; default: the job's test split).") var data: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        let run = try TrainingRun(directory: checkpoint)
        guard try run.resumeIfPossible() else { throw ValidationError("\(checkpoint) holds no checkpoint yet") }
        let report = try run.test(dataPath: data)
        if json { try printJSON(report, snakeCase: true) } else { print(TrainCommand.summary(report)) }
    }
}
