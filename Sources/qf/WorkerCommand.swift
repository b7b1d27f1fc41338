import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Service
import ServiceLifecycle

/// `qf worker`: claims and runs the service's tasks (ingestion, training, evaluation) from the
/// database's queue. Run as many as you like, on any machine that reaches the database; SIGTERM
/// or Ctrl-C stops claiming, stops running work at its next safe point and releases it.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run queued tasks (ingestion, training, evaluation).",
        discussion: "Uses DATABASE_URL, or the project's own PostgreSQL cluster. The schema must be migrated (qf migrate up, or qf serve).")

    @Option(help: "Tasks run at once.") var concurrency = 1
    @Option(parsing: .upToNextOption, help: "Queues to take tasks from (\(TaskQueues.all.joined(separator: ", "))).") var queues: [String] = TaskQueues.all
    @Option(help: "Seconds between polls when no notification arrives.") var pollInterval = 1.0

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
        for queue in queues where !TaskQueues.all.contains(queue) {
            throw ValidationError("unknown queue '\(queue)'; known: \(TaskQueues.all.joined(separator: ", "))")
        }
    }

    func run() async throws {
        var logger = Logger(label: "qf.worker")
        logger.logLevel = .info
        let settings = try await DatabaseSettings.resolve(logger: logger)
        var background = Logger(label: "qf.postgres")
        background.logLevel = .error
        try await Self.requireCurrentSchema(settings, background: background)
        let database = Database(settings: settings, logger: background)
        let data = try DataSettings.resolve(environment: ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        let timing = try QueueTiming.resolve(environment: ProcessInfo.processInfo.environment)
        let worker = ServiceWorkers.make(database: database, settings: settings, data: data, queues: queues, concurrency: concurrency,
                                         pollInterval: .milliseconds(Int64(pollInterval * 1000)), timing: timing, logger: logger)
        logger.info("worker started", metadata: ["id": .string(worker.id), "queues": .string(queues.joined(separator: ",")),
                                                 "concurrency": .stringConvertible(concurrency), "database": .string(settings.description)])
        let group = ServiceGroup(services: [DatabaseService(database: database), WorkerService(worker: worker, database: database)],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: background)
        try await group.run()
        CrashJournal.removeOwnJournal()
    }

    /// A worker never migrates (that is `qf migrate` or `qf serve`), but refuses to run on an
    /// older schema than it was built for.
    static func requireCurrentSchema(_ settings: DatabaseSettings, background: Logger) async throws {
        let client = PostgresClient(configuration: settings.primary, backgroundLogger: background)
        let current = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await Migrator(client: client, logger: background).isCurrent()
        }
        guard current else { throw ValidationError("the database schema is not current: run qf migrate up (or qf serve) first") }
    }
}
