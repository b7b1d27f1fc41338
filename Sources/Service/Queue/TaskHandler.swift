import Logging
import Synchronization

/// Runs one kind of task (by `task_name`). It returns the task's result, throws to fail it
/// (`PermanentTaskFailure` for no retry), and checks `Task.isCancelled` at its safe points: a
/// cancel request, a lost lease or a worker shutdown cancel it, and the worker then records
/// REVOKED, nothing, or a release respectively.
public protocol TaskHandler: Sendable {
    func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue
}

/// A handler from a closure.
public struct ClosureTaskHandler: TaskHandler {
    let body: @Sendable (ClaimedTask, TaskContext) async throws -> JSONValue

    public init(_ body: @escaping @Sendable (ClaimedTask, TaskContext) async throws -> JSONValue) {
        self.body = body
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        try await body(task, context)
    }
}

/// What a running handler can use: the queue it came from, the worker's logger, and progress
/// reports that ride on the next heartbeat.
public struct TaskContext: Sendable {
    public let queue: any TaskQueueing
    public let key: ClaimedTask.Key
    public let logger: Logger
    let progressBox = ProgressBox()

    init(queue: any TaskQueueing, key: ClaimedTask.Key, logger: Logger) {
        self.queue = queue
        self.key = key
        self.logger = logger
    }

    /// One of the handler's database statements, given up on (`StatementDeadline.Exceeded`)
    /// past the worker's statement deadline: a statement PostgresNIO lost in an outage must not
    /// hold the task, and with it the worker's shutdown, for ever. The handler's writes are all
    /// guarded by the claim, so giving up on one is safe; a later attempt writes what is missing.
    public func bounded<T: Sendable>(_ statement: @escaping @Sendable () async throws -> T) async throws -> T {
        try await StatementDeadline.run(seconds: StatementDeadline.seconds(lease: queue.leaseSeconds), statement)
    }

    /// Sets the progress document stored with the task at the next heartbeat.
    public func report(progress: JSONValue) {
        progressBox.value.withLock { $0 = progress }
    }

    func takeProgress() -> JSONValue? {
        progressBox.value.withLock { value in
            defer { value = nil }
            return value
        }
    }
}

/// The latest unsent progress of a running task.
final class ProgressBox: Sendable {
    let value = Mutex<JSONValue?>(nil)
}

/// The row a task works on, or nil when its owner deleted it meanwhile: the task then ends
/// quietly (a deleted job or evaluation is not a failure to retry).
func rowIfPresent<Row>(_ find: () async throws -> Row) async throws -> Row? {
    do { return try await find() } catch let error as StoreError where error.isNotFound { return nil }
}
