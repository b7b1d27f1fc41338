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
    @Flag(help: "Seed the demo user and the sample dataset (make run), and print how to log in and submit a job.") var demo = false
    @Option(help: "With --demo: the sample CSV to seed.") var demoData = "data/synthetic.csv"

    func run() async throws {
        var startup = Logger(label: "qf.serve")
        startup.logLevel = .info
        // Every setting first, so a bad one stops the start before anything runs.
        let configuration = try await ServiceConfiguration.resolve(logger: startup)
        var background = Logger(label: "qf.postgres")
        background.logLevel = .error
        if !noMigrate { try await Self.prepare(configuration.database, logger: startup, background: background) }
        let dependencies = await ServiceDependencies.build(configuration, logger: background)
        defer { dependencies.close() }
        // Every logger from here on also sends WARNING and above to system_logs, in batches.
        let writer = SystemLogWriter(client: dependencies.database.primary)
        LoggingSystem.bootstrap { label in
            MultiplexLogHandler([StreamLogHandler.standardError(label: label), writer.handler(label: label)])
        }
        var logger = Logger(label: "qf.serve")
        logger.logLevel = .info
        logger.info("database", metadata: ["url": .string(configuration.database.description)])
        if let redis = configuration.redis {
            logger.info("redis", metadata: ["primary": .string(redis.primary.description), "replica": .string(redis.replica?.description ?? "none")])
        }
        let embedded = worker ? ServiceWorkers.make(dependencies, concurrency: workerConcurrency, logger: logger) : nil
        if demo {
            // Pools run once: the seed gets its own, the application keeps its pools for itself.
            let seeding = Database(settings: configuration.database, logger: background)
            let seeded = try await withThrowingTaskGroup(of: DemoSeed.Seeded?.self) { group in
                group.addTask { await seeding.run(); return nil }
                defer { group.cancelAll() }
                await seeding.waitUntilRunning()
                return try await DemoSeed.ensure(database: seeding, data: configuration.data, sampleCSV: demoData, bcryptCost: configuration.auth.bcryptCost,
                                                 logger: background)
            }
            print(Self.banner(host: host, port: port, seeded: seeded, worker: worker))
            fflush(nil)   // Before the server's log lines, also when stdout is a file.
        }
        let slurm = configuration.slurm
        let autoscaler = slurm.autoscales ? SlurmAutoscaler(
            defaults: slurm, queues: slurm.queues, interval: .milliseconds(Int64(slurm.intervalSeconds * 1000)), exitWhenIdleSeconds: slurm.idleSeconds,
            executable: ChildProcess.selfPath, outputDirectory: configuration.data.slurmOutput, database: dependencies.database,
            lockConnection: configuration.database.primaryConnection, logger: logger) : nil
        if slurm.autoscales { logger.info("Slurm autoscaler on", metadata: ["partition": .string(slurm.partition ?? ""), "max_workers": .stringConvertible(slurm.maxWorkers)]) }
        let app = APIServer.application(dependencies, logWriter: writer, worker: embedded, autoscaler: autoscaler, host: host, port: port, logger: logger)
        try await app.runService()
    }

    /// Applies pending migrations and creates this and next month's log partitions, on a client
    /// of its own (a pool runs once, and the application's pools run inside the application).
    static func prepare(_ settings: DatabaseSettings, logger: Logger, background: Logger) async throws {
        let client = PostgresClient(configuration: settings.primary, backgroundLogger: background)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: background) }
            defer { group.cancelAll() }
            let applied = try await Migrator(client: client, logger: logger).up()
            if !applied.isEmpty { logger.info("migrated", metadata: ["versions": .string(applied.map(String.init).joined(separator: ","))]) }
            try await SystemLogPartitions.ensure(on: client, logger: logger)
        }
    }

    /// How to use the service just started: log in, submit a job, run the whole flow.
    static func banner(host: String, port: Int, seeded: DemoSeed.Seeded, worker: Bool) -> String {
        let base = "http://\(host):\(port)"
        return """

            QuantForge is serving \(base)  (embedded worker: \(worker ? "on" : "off"); API description: \(base)/api/v1/openapi.json)
              demo user:  \(DemoSeed.username) / \(DemoSeed.password)   dataset \(seeded.datasetID) "\(DemoSeed.datasetName)" (\(seeded.datasetStatus))

              log in:
                TOKEN=$(curl -s -X POST \(base)/api/v1/auth/login -H 'Content-Type: application/json' \\
                  -d '{"username": "\(DemoSeed.username)", "password": "\(DemoSeed.password)"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["data"]["access_token"])')
              a strategy, then a training job on the dataset:
                SID=$(curl -s -X POST \(base)/api/v1/strategies -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
                  -d '{"name": "SMA", "strategy_type": "algorithmic_trading", "config": {"rule": "sma_cross", "dataset_id": \(seeded.datasetID)}, "parameters": {"fast": 10, "slow": 30}}' \\
                  | python3 -c 'import sys, json; print(json.load(sys.stdin)["data"]["id"])')
                curl -s -X POST \(base)/api/v1/training/jobs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
                  -d '{"name": "dqn", "strategy_id": '$SID', "dataset_id": \(seeded.datasetID), "config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:sample", "agent_name": "algorithmic_trading:dqn", "optimizer_name": "adam", "loss_name": "mse"}, "hyperparameters": {"epochs": 3}}'
              the whole flow (register, upload, train, watch, evaluate, paper-trade), in another terminal:
                .build/release/qf demo --url \(base)

            """
    }
}
