import Foundation
import Logging

/// The service's task handlers, by task name, and a worker that runs them — what `qf worker` and
/// `qf serve --worker` start.
public enum ServiceWorkers {
    /// The handler registry: each task name and what runs it, over `stores` (PostgreSQL's over
    /// `database` unless given).
    public static func handlers(database: Database, data: DataSettings, stores: ServiceStores? = nil) -> [String: any TaskHandler] {
        let stores = stores ?? ServiceStores(database: database)
        return [IngestDatasetHandler.taskName: IngestDatasetHandler(stores: stores, settings: data),
         TrainTaskHandler.taskName: TrainTaskHandler(stores: stores, settings: data),
         PreprocessDatasetHandler.taskName: PreprocessDatasetHandler(stores: stores, settings: data),
         PaperTradeHandler.taskName: PaperTradeHandler(stores: stores, database: database),
         EvaluationShardHandler.taskName: EvaluationShardHandler(stores: stores),
         EvaluationFinishHandler.taskName: EvaluationFinishHandler(stores: stores, settings: data),
         TaskName.noop.rawValue: ClosureTaskHandler { _, _ in .null }]
    }

    /// A worker over the composition root's parts.
    public static func make(_ dependencies: ServiceDependencies, queues: [String] = TaskQueues.all, concurrency: Int = 1, pollInterval: Duration = .seconds(1),
                            limits: WorkerLimits = WorkerLimits(), logger: Logger) -> Worker {
        make(database: dependencies.database, settings: dependencies.configuration.database, data: dependencies.data, queues: queues,
             concurrency: concurrency, pollInterval: pollInterval, timing: dependencies.configuration.queueTiming, limits: limits,
             stores: dependencies.stores, logger: logger)
    }

    public static func make(database: Database, settings: DatabaseSettings, data: DataSettings, queues: [String] = TaskQueues.all,
                            concurrency: Int = 1, pollInterval: Duration = .seconds(1), timing: QueueTiming = QueueTiming(), limits: WorkerLimits = WorkerLimits(),
                            stores: ServiceStores? = nil, logger: Logger) -> Worker {
        var queue = TaskQueue(client: database.primary)
        queue.leaseSeconds = timing.leaseSeconds
        queue.backoffBaseSeconds = timing.backoffBaseSeconds
        let id = Worker.defaultID()
        // The journal lives beside the bar files: on a cluster that is the shared filesystem, so a
        // worker on any node reads the journal of one that crashed on another.
        let journals = data.crashJournals
        var journaled: String? = journals
        do { try CrashJournal.install(directory: journals, workerID: id) } catch {
            logger.error("no crash journal: a task that crashes this worker will be retried like a lost lease", metadata: ["error": .string("\(error)")])
            journaled = nil
        }
        var all = handlers(database: database, data: data, stores: stores)
        all.merge(FaultInjection.handlers(environment: ProcessInfo.processInfo.environment)) { current, _ in current }
        return Worker(id: id, queue: queue, queues: queues, concurrency: concurrency, handlers: all,
                      pollInterval: pollInterval, listen: settings.primaryConnection, crashJournalDirectory: journaled, limits: limits, logger: logger)
    }
}

/// How long a claim lasts without a heartbeat and how retries back off: `QF_TASK_LEASE_SECONDS`
/// (default 30; a dead worker's task is taken over after at most this, plus half of it for the
/// rescuer's round) and `QF_TASK_BACKOFF_SECONDS` (default 1, the first retry's delay before
/// jitter; doubling per retry, at most 600).
public struct QueueTiming: Sendable {
    public var leaseSeconds = 30.0
    public var backoffBaseSeconds = 1.0

    public init() {}

    public static func resolve(environment: [String: String]) throws -> QueueTiming {
        var timing = QueueTiming()
        for (name, apply) in [("QF_TASK_LEASE_SECONDS", { (v: Double) in timing.leaseSeconds = v }),
                              ("QF_TASK_BACKOFF_SECONDS", { (v: Double) in timing.backoffBaseSeconds = v })] {
            guard let text = environment[name] else { continue }
            guard let value = Double(text), value > 0, value <= 3600 else {
                throw AuthSettings.Invalid(description: "\(name): seconds between 0 and 3600, got '\(text)'")
            }
            apply(value)
        }
        return timing
    }
}
