import Logging

/// What a running task may ask of the queue it came from, as task handlers see it through
/// `TaskContext`: the lease its statements are bounded by, follow-up tasks, and whether it was
/// asked to stop. `TaskQueue` (PostgreSQL's `celery_tasks`) is the real implementation; the
/// worker itself drives `TaskQueue` directly, since claiming, leases and completion are
/// PostgreSQL's SKIP LOCKED, LISTEN/NOTIFY and transactions.
public protocol TaskQueueing: Sendable {
    /// How long a claim lasts without a heartbeat.
    var leaseSeconds: Double { get }
    /// Enqueues `task` in a statement of its own; returns the task id.
    func enqueue(_ task: NewTask, logger: Logger) async throws -> String
    /// Whether the claim's task was asked to stop (nil: the claim is no longer this worker's).
    func cancelRequested(_ key: ClaimedTask.Key, logger: Logger) async throws -> Bool?
}

extension TaskQueue: TaskQueueing {}
