import Logging
import PostgresNIO

/// How much work a queue holds: runnable now, waiting for a retry's time, and running — what
/// `qf slurm status` shows and what sizes the worker arrays the autoscaler submits.
public struct QueueDepth: Sendable, Equatable {
    public let queue: String
    public let runnable: Int
    public let delayed: Int
    public let running: Int
}

extension TaskQueue {
    /// The depth of every queue that holds unfinished tasks, by queue name.
    public func depth(logger: Logger) async throws -> [QueueDepth] {
        let query: PostgresQuery = """
            SELECT queue,
                   count(*) FILTER (WHERE status IN ('PENDING', 'RETRY') AND run_at <= CURRENT_TIMESTAMP)::int,
                   count(*) FILTER (WHERE status IN ('PENDING', 'RETRY') AND run_at > CURRENT_TIMESTAMP)::int,
                   count(*) FILTER (WHERE status = 'STARTED')::int
            FROM celery_tasks WHERE status IN ('PENDING', 'RETRY', 'STARTED') GROUP BY queue ORDER BY queue
            """
        var depths: [QueueDepth] = []
        for try await (queue, runnable, delayed, running) in try await client.query(query, logger: logger).decode((String, Int, Int, Int).self) {
            depths.append(QueueDepth(queue: queue, runnable: runnable, delayed: delayed, running: running))
        }
        return depths
    }
}
