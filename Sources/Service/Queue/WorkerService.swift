import Logging
import ServiceLifecycle

/// A worker as a service of an application or a service group: runs until graceful shutdown
/// begins, which cancels it (no new claims, running handlers stopped at a safe point, their
/// claims released).
public struct WorkerService: ServiceLifecycle.Service {
    public let worker: Worker
    let database: Database

    public init(worker: Worker, database: Database) {
        self.worker = worker
        self.database = database
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await database.waitUntilRunning()
            await worker.run()
        }
    }
}

/// The queues the service's tasks go to, so heavy work can be given its own workers.
public enum TaskQueues {
    public static let ingest = "ingest"
    public static let training = "training"
    public static let evaluation = "evaluation"
    public static let `default` = "default"
    public static let all = [ingest, training, evaluation, `default`]
}
