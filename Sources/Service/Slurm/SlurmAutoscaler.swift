import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Sizes Slurm worker arrays to the queue's backlog, from `qf serve` (`QF_SLURM_PARTITION` and
/// the other `QF_SLURM_*` set): every round it counts the runnable tasks of its queues and the
/// workers it already has in Slurm (named `qf-auto…`), and when tasks wait for workers that are
/// not coming it submits an array for them, never past `maxWorkers` in all. It never cancels a
/// worker: idle workers leave by themselves (`--exit-when-idle`), so an empty queue holds no
/// allocation.
///
/// Several `qf serve` processes may run; only the one holding a PostgreSQL advisory lock (on a
/// connection of its own, so the lock dies with the process or its connection) scales, so they
/// never submit twice for the same backlog.
public struct SlurmAutoscaler: ServiceLifecycle.Service {
    /// The advisory lock's key ("QFSLURMA" in ASCII).
    static let lockKey: Int64 = 0x5146_534C_5552_4D41

    public var defaults: SlurmDefaults
    public var queues: [String]
    public var interval: Duration
    public var exitWhenIdleSeconds: Double
    public var jobName = "qf-auto"
    public var executable: String
    public var outputDirectory: String
    public var slurm: SlurmClient
    let queue: TaskQueue
    let lockConnection: PostgresConnection.Configuration
    let logger: Logger

    public init(defaults: SlurmDefaults, queues: [String] = TaskQueues.all, interval: Duration = .seconds(10), exitWhenIdleSeconds: Double = 60,
                executable: String, outputDirectory: String, slurm: SlurmClient = SlurmClient(), database: Database,
                lockConnection: PostgresConnection.Configuration, logger: Logger) {
        self.defaults = defaults
        self.queues = queues
        self.interval = interval
        self.exitWhenIdleSeconds = exitWhenIdleSeconds
        self.executable = executable
        self.outputDirectory = outputDirectory
        self.slurm = slurm
        queue = TaskQueue(client: database.primary)
        self.lockConnection = lockConnection
        self.logger = logger
    }

    /// The workers to add: enough for the runnable tasks that the workers not yet started will not
    /// take, within `maxWorkers` in all. (A running worker with a free slot claims within its poll
    /// interval, so runnable tasks are counted against pending workers only.)
    public static func workersToAdd(runnable: Int, pendingWorkers: Int, allWorkers: Int, cpusPerWorker: Int, maxWorkers: Int) -> Int {
        let needed = (runnable + cpusPerWorker - 1) / cpusPerWorker - pendingWorkers
        return max(0, min(needed, maxWorkers - allWorkers))
    }

    public func run() async throws {
        try? FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await holdingLock { await scaleWhileHolding() }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("autoscaler: no database connection for the lock; retrying", metadata: ["error": .string(String(reflecting: error))])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Runs `body` while this process holds the autoscaler's lock; returns at once when another does.
    func holdingLock(_ body: () async -> Void) async throws {
        let connection = try await PostgresConnection.connect(configuration: lockConnection, id: Int.random(in: 0...Int(Int32.max)), logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: logger)
        var held = false
        for try await (value) in rows.decode(Bool.self) { held = value }
        guard held else { return }
        logger.info("autoscaler: this process scales the Slurm workers", metadata: ["max_workers": .stringConvertible(defaults.maxWorkers)])
        await body()
    }

    /// Scaling rounds until cancelled or until a round cannot reach the database (the lock's
    /// connection may be gone with it, so the lock is taken again before the next round).
    func scaleWhileHolding() async {
        while !Task.isCancelled {
            do {
                try await round()
            } catch let error as SlurmClient.Failure {
                logger.error("autoscaler: Slurm refused", metadata: ["error": .string(error.description)])
            } catch {
                if Task.isCancelled { return }
                logger.warning("autoscaler: round failed", metadata: ["error": .string(String(reflecting: error))])
                return
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One round: count, decide, submit. Returns the workers submitted.
    @discardableResult
    public func round() async throws -> Int {
        let depth = try await queue.depth(logger: logger).filter { queues.contains($0.queue) }
        let runnable = depth.reduce(0) { $0 + $1.runnable }
        let jobs = try await slurm.jobs(namePrefix: jobName)
        let pending = jobs.filter { $0.state == "PENDING" || $0.state == "CONFIGURING" }.count
        let alive = jobs.filter { ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING"].contains($0.state) }.count
        let add = Self.workersToAdd(runnable: runnable, pendingWorkers: pending, allWorkers: alive, cpusPerWorker: defaults.cpusPerWorker, maxWorkers: defaults.maxWorkers)
        guard add > 0 else { return 0 }
        let array = defaults.array(workers: add, queues: queues, executable: executable, outputDirectory: outputDirectory, jobName: jobName,
                                   exitWhenIdleSeconds: exitWhenIdleSeconds)
        if let problem = array.problem() { throw SlurmClient.Failure(description: "QF_SLURM_* settings: \(problem)") }
        let id = try await slurm.submit(array.script())
        logger.info("autoscaler: submitted workers", metadata: ["slurm_job": .string(id), "workers": .stringConvertible(add),
                                                               "runnable": .stringConvertible(runnable), "workers_before": .stringConvertible(alive)])
        return add
    }
}
