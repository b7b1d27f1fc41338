import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Service

/// `qf serve`: the REST API over PostgreSQL (`DATABASE_URL`, or the project's own cluster),
/// migrating the schema first unless told not to.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the REST API.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Flag(help: "Do not apply pending migrations at start-up.") var noMigrate = false
    @Flag(help: "Also run a worker in this process (qf worker runs them separately).") var worker = false
    @Option(help: "Tasks the embedded worker runs at once.") var workerConcurrency = 1

    func run() async throws {
        var startup = Logger(label: "qf.serve")
        startup.logLevel = .info
        let settings = try await DatabaseSettings.resolve(logger: startup)
        var background = Logger(label: "qf.postgres")
        background.logLevel = .error
        if !noMigrate { try await Self.prepare(settings, logger: startup, background: background) }
        let database = Database(settings: settings, logger: background)
        // Every logger from here on also sends WARNING and above to system_logs, in batches.
        let writer = SystemLogWriter(client: database.primary)
        LoggingSystem.bootstrap { label in
            MultiplexLogHandler([StreamLogHandler.standardError(label: label), writer.handler(label: label)])
        }
        var logger = Logger(label: "qf.serve")
        logger.logLevel = .info
        logger.info("database", metadata: ["url": .string(settings.description)])
        let authSettings = try AuthSettings.resolve(environment: ProcessInfo.processInfo.environment,
                                                    projectDirectory: FileManager.default.currentDirectoryPath)
        let auth = await AuthService(settings: authSettings, database: database)
        let data = try DataSettings.resolve(environment: ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        let timing = try QueueTiming.resolve(environment: ProcessInfo.processInfo.environment)
        let embedded = worker ? ServiceWorkers.make(database: database, settings: settings, data: data, concurrency: workerConcurrency, timing: timing,
                                                    logger: logger) : nil
        let app = APIServer.application(database: database, auth: auth, data: data, logWriter: writer, worker: embedded, events: settings.primaryConnection, host: host, port: port, logger: logger)
        try await app.runService()
    }

    /// Applies pending migrations and creates this and next month's log partitions, on a client
    /// of its own (a pool runs once, and the application's pools run inside the application).
    static func prepare(_ settings: DatabaseSettings, logger: Logger, background: Logger) async throws {
        let client = PostgresClient(configuration: settings.primary, backgroundLogger: background)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let applied = try await Migrator(client: client, logger: logger).up()
            if !applied.isEmpty { logger.info("migrated", metadata: ["versions": .string(applied.map(String.init).joined(separator: ","))]) }
            try await SystemLogPartitions.ensure(on: client, logger: logger)
        }
    }
}
