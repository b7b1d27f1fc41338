import Agents
import ArgumentParser
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `qf train --seeds S`: the job trained with S seeds (seed, seed + 1, …), in parallel across
/// cores, each in `<out>/seed-K`, each tested; then the statistics across seeds.
struct MultiSeedTraining {
    let job: TrainingJobConfiguration
    let seeds: Int
    let parallelism: Int
    let directory: String
    let resume: Bool
    let json: Bool

    func run() throws {
        let base = job.hyperparameters.seed ?? 0
        let jobs = (0..<seeds).map { k -> TrainingJobConfiguration in
            var j = job
            j.hyperparameters.seed = base &+ UInt64(k)
            return j
        }
        let directories = (0..<seeds).map { "\(directory)/seed-\(base &+ UInt64($0))" }
        if !resume, let taken = directories.first(where: { FileManager.default.fileExists(atPath: "\($0)/checkpoint.safetensors") }) {
            throw ValidationError("\(taken) already holds a checkpoint: pass --resume to continue, or --out for a new run")
        }
        let first = try TrainingRun(job: jobs[0], directory: nil)
        let total = first.resolved.trainer.epochs
        if !json {
            print("training \(job.config.agentName) on \(job.config.datasetName) with \(seeds) seeds (\(base)…\(base &+ UInt64(seeds - 1))), "
                  + "\(min(parallelism, seeds)) at once: \(total) epochs of \(first.stepsPerEpoch) steps each, output \(directory)")
        }
        for s in [SIGINT, SIGTERM] { signal(s) { _ in stopRequested.store(true, ordering: .relaxed) } }
        let bar = Mutex(ProgressBar(total: seeds * total, label: "train"))
        let epochsDone = Atomic<Int>(0)
        let quiet = json
        let runs = try ParallelWork.run(count: seeds, parallelism: parallelism) { k -> SeedSummary.Run in
            let run = try TrainingRun(job: jobs[k], directory: directories[k])
            if resume { try run.resumeIfPossible() }
            let outcome = try run.run(shouldStop: { stopRequested.load(ordering: .relaxed) }) { m in
                let n = epochsDone.wrappingAdd(1, ordering: .relaxed).newValue
                bar.withLock { $0.update(n, status: "seed \(jobs[k].hyperparameters.seed!) epoch \(m.epoch)") }
            }
            if outcome == .cancelled { throw AgentsError.cancelled("stopped; checkpoints are in \(directory) (continue with --resume)") }
            let report = try run.test()
            if !quiet {
                clearProgressLine()
                print("seed \(jobs[k].hyperparameters.seed!): best epoch \(report.epoch.map(String.init) ?? "-"), test total_return \(format(report.episode.totalReturn)) sharpe \(format(report.episode.sharpe))")
            }
            return SeedSummary.Run(label: "seed \(jobs[k].hyperparameters.seed!)", bestEpoch: run.progress.bestEpoch, bestScore: run.progress.bestScore, test: report)
        }
        clearProgressLine()
        let summary = SeedSummary(runs: runs, seed: base)
        if json { return try printJSON(summary) }
        print(Self.table(summary, selection: first.resolved.trainer.selectionMetric.rawValue))
    }

    /// One line per figure: mean, interquartile mean and the bootstrap 95% interval across runs.
    static func table(_ summary: SeedSummary, selection: String) -> String {
        var rows = [["across \(summary.runs.count) runs", "mean", "iqm", "95% CI"]]
        for figure in SeedSummary.figures {
            guard let s = summary.statistics[figure.name] else { continue }
            rows.append([figure.name == "best_score" ? "best \(selection)" : figure.name, format(s.mean), format(s.interquartileMean),
                         "[\(format(s.lower)), \(format(s.upper))]"])
        }
        let widths = (0..<3).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3] }
            .joined(separator: "\n")
    }
}
