import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Service
import ServiceLifecycle

/// `qf worker`: claims and runs the service's tasks (ingestion, training, evaluation) from the
/// database's queue. Run as many as you like, on any machine that reaches the database; SIGTERM,
/// SIGUSR1 (Slurm's warning before a time limit or preemption) or Ctrl-C stops claiming, stops
/// running work at its next safe point and releases it, so another worker resumes it.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run queued tasks (ingestion, training, evaluation).",
        discussion: "Uses DATABASE_URL, or the project's own PostgreSQL cluster. The schema must be migrated (qf migrate up, or qf serve).")

    @Option(help: "Tasks run at once.") var concurrency = 1
    @Option(parsing: .upToNextOption, help: "Queues to take tasks from (\(TaskQueues.all.joined(separator: ", "))).") var queues: [String] = TaskQueues.all
    @Option(help: "Seconds between polls when no notification arrives.") var pollInterval = 1.0
    @Option(help: "Exit after this many seconds with nothing to run (for batch allocations).") var exitWhenIdle: Double?
    @Option(help: "Claim at most this many tasks, then exit when they end.") var maxTasks: Int?
    @Option(help: ArgumentHelp("Stop claiming after this long, hand running work back at its next safe point, and exit.",
                               discussion: "90s, 30m, 2h, a number of seconds, or Slurm's 1:30:00 / 1-00:00:00."))
    var maxRuntime: String?

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard pollInterval > 0 && pollInterval <= 3600 else { throw ValidationError("--poll-interval must be seconds between 0 and 3600, got \(pollInterval)") }
        // Bounded: the seconds become whole milliseconds, which a huge value would overflow.
        if let exitWhenIdle, !(exitWhenIdle > 0 && exitWhenIdle <= 31_536_000) { throw ValidationError("--exit-when-idle must be seconds between 0 and a year, got \(exitWhenIdle)") }
        if let maxTasks, maxTasks < 1 { throw ValidationError("--max-tasks must be at least 1, got \(maxTasks)") }
        _ = try limits()
        for queue in queues where !TaskQueues.all.contains(queue) {
            throw ValidationError("unknown queue '\(queue)'; known: \(TaskQueues.all.joined(separator: ", "))")
        }
    }

    func run() async throws {
        var logger = Logger(label: "qf.worker")
        logger.logLevel = .info
        let configuration = try await ServiceConfiguration.resolve(role: .worker, logger: logger)
        var background = Logger(label: "qf.postgres")
        background.logLevel = .error
        try await Self.requireCurrentSchema(configuration.database, background: background)
        // With REDIS_URL, the WebSocket events of this worker's writes go over Redis pub/sub.
        let dependencies = await ServiceDependencies.build(configuration, logger: background)
        defer { dependencies.close() }
        let database = dependencies.database, settings = configuration.database
        let worker = ServiceWorkers.make(dependencies, queues: queues, concurrency: concurrency, pollInterval: .milliseconds(Int64(pollInterval * 1000)),
                                         limits: try limits(), logger: logger)
        logger.info("worker started", metadata: ["id": .string(worker.id), "queues": .string(queues.joined(separator: ",")),
                                                 "concurrency": .stringConvertible(concurrency), "database": .string(settings.description)])
        // The worker ends by itself when its limits say so: a clean shutdown of the group then.
        let lifecycle = ServiceGroupConfiguration(
            services: [.init(service: DatabaseService(database: database)),
                       .init(service: WorkerService(worker: worker, database: database), successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint, .sigusr1], logger: background)
        let group = ServiceGroup(configuration: lifecycle)
        try await group.run()
        CrashJournal.removeOwnJournal()
    }

    /// `--exit-when-idle`, `--max-tasks` and `--max-runtime` as the worker's limits.
    func limits() throws -> WorkerLimits {
        var limits = WorkerLimits(maxTasks: maxTasks)
        if let exitWhenIdle { limits.exitWhenIdle = .milliseconds(Int64(exitWhenIdle * 1000)) }
        if let maxRuntime {
            guard let duration = SlurmTime.parseDuration(maxRuntime) else {
                throw ValidationError("--max-runtime '\(maxRuntime)': expected a duration such as 90s, 30m, 2h, 3600 or 1:30:00")
            }
            limits.maxRuntime = duration
        }
        return limits
    }

    /// A worker never migrates (that is `qf migrate` or `qf serve`), but refuses to run on an
    /// older schema than it was built for.
    static func requireCurrentSchema(_ settings: DatabaseSettings, background: Logger) async throws {
        let client = PostgresClient(configuration: settings.primary, backgroundLogger: background)
        let current = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: background) }
            defer { group.cancelAll() }
            return try await Migrator(client: client, logger: background).isCurrent()
        }
        guard current else { throw ValidationError("the database schema is not current: run qf migrate up (or qf serve) first") }
    }
}
