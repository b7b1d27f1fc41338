import Agents
import Foundation
import Ingest
import Logging
import PostgresNIO
import Synchronization

/// The worker's side of a training job. Prepares the data (an uploaded dataset's bar file gets
/// TradeMaster's features when it lacks them and a 70/15/15 split in time, kept in the job's
/// folder so a retry reuses them), builds the TradeMaster-style job, and trains with Agents on
/// NIO's blocking pool. Each epoch goes out as it ends: a `training_metrics` row (upserted on job
/// and epoch) and the job's progress, metrics, best metrics and log line. The trainer checkpoints
/// every epoch in `QF_DATA_DIR/jobs/<id>/run`, so the next attempt after a crash resumes from the
/// last finished epoch — a shared folder when workers run on several machines. At the end the
/// best epoch is tested through Backtest; the job is `completed` with the test report, model path,
/// duration, CPU and memory use, and the strategy's performance fields and `last_run_at` are set.
/// A cancel request stops training at the next step (`cancelled`); a worker shutdown stops it too,
/// and the job goes back to `pending` for the next worker to resume.
public struct TrainTaskHandler: TaskHandler {
    public static let taskName = TaskName.train.rawValue
    let jobs: any TrainingJobStoring
    let searches: any TrainingSearchStoring
    let datasets: any DatasetStoring
    let settings: DataSettings

    public init(stores: ServiceStores, settings: DataSettings) {
        jobs = stores.trainingJobs
        searches = stores.searches
        datasets = stores.datasets
        self.settings = settings
    }

    final class StopFlag: Sendable {
        let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    enum Outcome: Sendable {
        case stopped
        /// A search's trial reached its rung (`through_epoch`) and waits for the rung's decision.
        case paused(epochsDone: Int, history: [EpochMetrics])
        case finished(TestReport, bestEpoch: Int?, resumed: Bool, epochsDone: Int, history: [EpochMetrics])
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        guard case .int(let rawID)? = task.kwargs.objectValue?["job_id"] else { throw PermanentTaskFailure("train: kwargs.job_id missing") }
        let id = Int(rawID), logger = context.logger
        let throughEpoch: Int? = if case .int(let n)? = task.kwargs.objectValue?["through_epoch"] { Int(n) } else { nil }
        guard let job = try await rowIfPresent({ try await context.bounded { try await jobs.find(id, for: nil, reading: .latest, logger: logger) } }) else {
            return .object(["skipped": .string("deleted")])
        }
        guard job.status.isLive else { return .object(["skipped": .string(job.status.rawValue)]) }
        let directory = settings.jobDirectory(id: id)
        let configuration: TrainingJobConfiguration, totalEpochs: Int
        do {
            var data: TrainingJobConfiguration.DataPaths?
            if let datasetID = job.datasetID {
                guard let dataset = try await context.bounded({ try await datasets.find(datasetID, logger: logger) }), dataset.status == .ready else {
                    throw AgentsError.invalidData("dataset \(datasetID) is not ready")
                }
                let task = job.config.objectValue?["task_name"]?.stringValue ?? ""
                data = try await TaskThread.run { try Self.prepareSplits(dataset.filePath, task: task, directory: directory) }
            }
            configuration = try TrainingRequest.configuration(name: job.name, config: job.config, hyperparameters: job.hyperparameters, data: data)
            totalEpochs = try AgentRegistry.resolve(configuration).trainer.epochs
        } catch let error as AgentsError {
            let message = TextRules.withoutPaths(error.description)
            try await context.bounded { try await jobs.markStatus(id, status: .failed, error: message, finished: true, claim: task.key, logger: logger) }
            try await reportToSearch(job, epoch: Int.max, context: context)
            throw PermanentTaskFailure(message)
        } catch let error as IngestError {
            let message = TextRules.withoutPaths(error.description)
            try await context.bounded { try await jobs.markStatus(id, status: .failed, error: message, finished: true, claim: task.key, logger: logger) }
            try await reportToSearch(job, epoch: Int.max, context: context)
            throw PermanentTaskFailure(message)
        }
        let placement = Self.placement(task.key, environment: ProcessInfo.processInfo.environment)
        try await context.bounded { try await jobs.markRunning(id, totalEpochs: totalEpochs, logLine: placement, claim: task.key, logger: logger) }
        if let parent = job.parentJobID { try await context.bounded { try await searches.markParentRunning(parent, logger: logger) } }

        let (epochs, continuation) = AsyncStream.makeStream(of: EpochMetrics.self)
        let stop = StopFlag()
        let usage = ResourceUsage.start()
        let recorder = Task {
            // Epochs are written in order as they end. A failed write (the database away) is logged
            // and training goes on: every epoch's figures are also in the run's history, saved in
            // each checkpoint, and all of them are written before the job may complete (below).
            for await metrics in epochs {
                do {
                    try await context.bounded {
                        try await jobs.recordEpoch(id, epoch: metrics.epoch, step: metrics.epoch, metrics: TrainingMetricsJSON.epoch(metrics), best: nil,
                                                   totalEpochs: totalEpochs, logLine: Self.logLine(metrics), claim: task.key, logger: logger)
                    }
                } catch {
                    logger.warning("could not record an epoch", metadata: ["epoch": .stringConvertible(metrics.epoch), "error": .string(String(reflecting: error))])
                }
                // The task's progress says how far the training is, written or not: a task whose
                // epoch rows are refused is still moving, and whoever watches the queue sees that.
                context.report(progress: .object(["epoch": .int(Int64(metrics.epoch)), "total_epochs": .int(Int64(totalEpochs))]))
            }
        }
        let runDirectory = settings.runDirectory(jobID: id)
        let outcome: Outcome
        do {
            defer { continuation.finish() }
            outcome = try await withTaskCancellationHandler {
                try await TaskThread.run { try usage.measure {
                    let run = try TrainingRun(job: configuration, directory: runDirectory)
                    let resumed = try run.resumeIfPossible()
                    let status = try run.run(throughEpoch: throughEpoch, shouldStop: { stop.isSet }, onEpoch: { continuation.yield($0) })
                    if status == .cancelled { return Outcome.stopped }
                    if status == .completed, let throughEpoch, run.progress.epochsDone >= throughEpoch, run.progress.epochsDone < totalEpochs {
                        return .paused(epochsDone: run.progress.epochsDone, history: run.progress.history)
                    }
                    let report = try run.test()
                    return .finished(report, bestEpoch: run.progress.bestEpoch, resumed: resumed, epochsDone: run.progress.epochsDone,
                                     history: run.progress.history)
                } }
            } onCancel: {
                stop.set()
            }
        } catch let error as AgentsError {
            await recorder.value
            let message = TextRules.withoutPaths(error.description)
            try await context.bounded { try await jobs.markStatus(id, status: .failed, error: message, finished: true, claim: task.key, logger: logger) }
            try await reportToSearch(job, epoch: Int.max, context: context)
            throw PermanentTaskFailure(message)
        }
        await recorder.value

        switch outcome {
        case .stopped:
            // Still ours? Then say why it stopped: a cancel request, or this worker shutting down.
            // Written outside this (cancelled) task, whose queries would be cancelled too.
            let jobs = self.jobs, queue = context.queue
            try await Task {
                try await context.bounded {
                    switch try await queue.cancelRequested(task.key, logger: logger) {
                    case true?: try await jobs.markStatus(id, status: .cancelled, finished: true, claim: task.key, logger: logger)
                    case false?: try await jobs.markStatus(id, status: .pending, finished: false, claim: task.key, logger: logger)
                    case nil: break
                    }
                }
            }.value
            throw CancellationError()
        case .paused(let epochsDone, let history):
            // Every row of the rung written, then the trial waits (pending, no task) for the rung's
            // decision: its checkpoint is where the next rung's task continues.
            let rows = history.map { ($0.epoch, TrainingMetricsJSON.epoch($0)) }
            try await context.bounded { try await jobs.recordMissingEpochs(id, rows, claim: task.key, logger: logger) }
            try await context.bounded {
                try await jobs.markPaused(id, epoch: epochsDone, logLine: "reached the rung of \(epochsDone) epochs; waiting for the other trials", claim: task.key, logger: logger)
            }
            try await reportToSearch(job, epoch: epochsDone, context: context)
            return .object(["job_id": .int(rawID), "epochs": .int(Int64(epochsDone)), "paused": .bool(true)])
        case .finished(let report, let bestEpoch, let resumed, let epochsDone, let history):
            // A job is complete only with one row per epoch: rows an outage kept from being
            // written (in this attempt or an earlier one) are written now, from the history the
            // checkpoint carries; if that fails too, the task fails and a later attempt resumes
            // here and writes them.
            let rows = history.map { ($0.epoch, TrainingMetricsJSON.epoch($0)) }
            try await context.bounded { try await jobs.recordMissingEpochs(id, rows, claim: task.key, logger: logger) }
            let reportJSON = TrainingMetricsJSON.finished(lastEpoch: history.last.map(TrainingMetricsJSON.epoch), report: report, datasetID: job.datasetID)
            let best: JSONValue = try await context.bounded { try await jobs.storedMetrics(of: id, epoch: bestEpoch, logger: logger) } ?? .object([:])
            let measured = usage.finish()
            let performance = StrategyRecord.Performance(report.backtest)
            let line = "test on the held-out split: total return \(Self.format(report.backtest.totalReturn * 100))%, Sharpe \(Self.format(report.backtest.sharpe))"
                + (resumed ? " (resumed from a checkpoint)" : "")
            try await context.bounded {
                try await jobs.markCompleted(id, .init(metrics: reportJSON, best: best, modelPath: runDirectory + "/best.safetensors", epochs: epochsDone,
                                                       cpuUsage: measured.cpuPercent,
                                                       memoryUsage: measured.memoryPercent, performance: performance, strategyID: job.strategyID),
                                             logLine: line, claim: task.key, logger: logger)
            }
            try await reportToSearch(job, epoch: Int.max, context: context)
            return .object(["job_id": .int(rawID), "epochs": .int(Int64(epochsDone)), "best_epoch": bestEpoch.map { .int(Int64($0)) } ?? .null,
                            "resumed": .bool(resumed)])
        }
    }

    /// A search's trial tells its parent it reached `epoch` or ended (`Int.max`), so the last one
    /// at a rung decides it.
    func reportToSearch(_ job: TrainingJobRecord, epoch: Int, context: TaskContext) async throws {
        guard let parent = job.parentJobID else { return }
        let logger = context.logger
        try await context.bounded { try await searches.report(parentID: parent, epoch: epoch, logger: logger) }
    }

    /// The bar file with TradeMaster's features (when a bar task lacks them) split 70/15/15 in
    /// time into `directory`; reused when a previous attempt made them.
    static func prepareSplits(_ barFile: String, task: String, directory: String) throws -> TrainingJobConfiguration.DataPaths {
        let splits = DataSettings.splits(inJobDirectory: directory)
        let paths = [splits.train, splits.valid, splits.test]
        if paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            return .init(train: paths[0], valid: paths[1], test: paths[2])
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = try BarFile(path: barFile)
        let hasFeatures = try file.symbols.first.map { try file.columns(of: $0).contains("zopen") } ?? false
        var operations: [PreprocessOperation] = []
        if ["algorithmic_trading", "portfolio_management", "order_execution"].contains(task) && !hasFeatures {
            operations.append(PreprocessOperation(type: .tradeMasterFeatures))
        }
        operations.append(PreprocessOperation(type: .split, fractions: [0.7, 0.15, 0.15]))
        let outputs = try Preprocessor.run(input: barFile, operations: operations, output: DataSettings.splitOutput(inJobDirectory: directory))
        guard outputs == paths else { throw IngestError.invalidInput("split produced \(outputs), expected \(paths)") }
        return .init(train: outputs[0], valid: outputs[1], test: outputs[2])
    }

    static func format(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : "n/a" }

    /// Where an attempt runs, for the job's logs: the worker, and the Slurm job and node when a
    /// Slurm array started it (`QF_SLURM_JOB` is set by `qf slurm`'s batch script).
    static func placement(_ key: ClaimedTask.Key, environment: [String: String]) -> String {
        var line = "attempt \(key.attempt) on worker \(key.worker)"
        if let job = environment["QF_SLURM_JOB"] ?? environment["SLURM_JOB_ID"] {
            line += ", Slurm job \(job)"
            if let node = environment["SLURMD_NODENAME"] { line += " on node \(node)" }
        }
        return line
    }

    static func logLine(_ m: EpochMetrics) -> String {
        var parts = ["epoch \(m.epoch)", "reward \(format(m.meanReward))", "\(Int(m.stepsPerSecond)) steps/s"]
        if let loss = m.loss { parts.append("loss \(String(format: "%.5f", loss))") }
        if let r = m.validTotalReturn { parts.append("valid return \(format(r))") }
        if let s = m.validSharpe { parts.append("valid Sharpe \(format(s))") }
        return parts.joined(separator: ", ")
    }
}

/// CPU and memory that one training attempt used by itself, not the whole process (which may be
/// `qf serve --worker`, or a worker running several tasks): the CPU time of the task's own thread
/// (training runs on one thread, with one BLAS thread) over the attempt's wall time, in percent of
/// one core; and how much the process's resident memory grew while the run was alive, as a share
/// of the machine's memory — the run's own memory for a worker of concurrency 1 (each element of
/// a `qf slurm` array with one CPU), an upper bound when other tasks grew at the same time.
final class ResourceUsage: Sendable {
    let wallStart = Date().timeIntervalSince1970
    private let measured = Mutex<(cpuSeconds: Double, residentGrowth: Double)?>(nil)

    static func start() -> ResourceUsage { ResourceUsage() }

    /// Runs `work` on the calling thread (the task's own), measuring it.
    func measure<T>(_ work: () throws -> T) rethrows -> T {
        let cpu = Self.threadCPUSeconds(), resident = Self.residentBytes()
        defer {
            let growth = max(0, Self.residentBytes() - resident)
            measured.withLock { $0 = (Self.threadCPUSeconds() - cpu, growth) }
        }
        return try work()
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The process's resident memory now (`/proc/self/statm`), in bytes; 0 where unreadable.
    static func residentBytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    func finish() -> (cpuPercent: Double?, memoryPercent: Double?) {
        guard let (cpuSeconds, growth) = measured.withLock({ $0 }) else { return (nil, nil) }
        let wall = Date().timeIntervalSince1970 - wallStart
        let cpu = wall > 0 ? min(999.99, cpuSeconds / wall * 100) : nil
        let total = Double(ProcessInfo.processInfo.physicalMemory)
        let memory = total > 0 ? min(100, growth / total * 100) : nil
        return (cpu, memory)
    }
}
