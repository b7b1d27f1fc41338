import Foundation
import Logging
import PostgresNIO

/// The job queue on the seed's `celery_tasks` table (columns added by migration 10):
///
/// - `enqueue` inserts a PENDING task and notifies channel `qf_tasks` with its queue name — on the
///   caller's connection inside its transaction, so a task exists only if its business row does
///   and the notification goes out only on commit;
/// - `claim` takes up to `limit` runnable tasks (PENDING or RETRY, `run_at` reached) of the given
///   queues by priority then `run_at` (the enqueue time, or a retry's due time), `FOR UPDATE SKIP LOCKED` so concurrent workers never wait for
///   or take the same row; a claim sets STARTED, increments `attempt`, records the worker and a
///   lease of `leaseSeconds`;
/// - `heartbeat` renews the lease and reports a cancel request; `complete`, `fail`, `release`
///   and `revoke` finish a claim — all guarded by the claim's key (id, worker, attempt) and
///   status STARTED, so a stale worker changes nothing;
/// - `fail` retries with exponential backoff and full jitter (`run_at` = now + base·2^retries,
///   capped, times a random factor in [0.5, 1)), until `max_retries` retries have been made;
///   then FAILURE;
/// - `rescue` treats STARTED tasks whose lease expired (their worker died or stalled) like a
///   failure with "lease expired" — retried with backoff, or FAILURE after `max_retries` — and
///   revokes those whose cancel was requested.
///
/// All times are the database's clock, so workers on machines with skewed clocks agree.
public struct TaskQueue: Sendable {
    public let client: PostgresClient
    public var leaseSeconds: Double = 30
    public var backoffBaseSeconds: Double = 1
    public var backoffCapSeconds: Double = 600

    /// The LISTEN/NOTIFY channel; the payload is the queue name, or `cancel:` and a task id when
    /// a running task was asked to stop.
    public static let channel = "qf_tasks"
    static let cancelPrefix = "cancel:"

    public init(client: PostgresClient) {
        self.client = client
    }

    static func newID() -> String { UUID().uuidString.lowercased() }

    static func insert(_ task: NewTask, id: String) -> PostgresQuery {
        """
        WITH inserted AS (
            INSERT INTO celery_tasks (id, task_name, status, args, kwargs, max_retries, user_id, related_id, related_type, queue, priority, run_at)
            VALUES (\(id), \(task.name), 'PENDING', \(task.args.jsonText)::jsonb, \(task.kwargs.jsonText)::jsonb, \(task.maxRetries), \(task.userID),
                    \(task.relatedID), \(task.relatedType?.rawValue), \(task.queue), \(Int16(clamping: task.priority)),
                    CURRENT_TIMESTAMP + make_interval(secs => \(task.delay)))
            RETURNING id, queue
        )
        SELECT id, pg_notify('\(unescaped: channel)', queue) FROM inserted
        """
    }

    /// Enqueues on `connection`, inside the caller's transaction; returns the task id.
    @discardableResult
    public static func enqueue(_ task: NewTask, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let id = newID()
        try await connection.query(insert(task, id: id), logger: logger)
        return id
    }

    /// Enqueues in a statement of its own; returns the task id.
    @discardableResult
    public func enqueue(_ task: NewTask, logger: Logger) async throws -> String {
        let id = Self.newID()
        try await client.query(Self.insert(task, id: id), logger: logger)
        return id
    }

    /// Enqueues many tasks of one name and queue in one statement (one notification).
    public func enqueueBatch(name: String, kwargs: [JSONValue], queue: String = "default", maxRetries: Int = 3, logger: Logger) async throws -> [String] {
        let ids = kwargs.map { _ in Self.newID() }
        let query: PostgresQuery = """
            WITH inserted AS (
                INSERT INTO celery_tasks (id, task_name, status, args, kwargs, max_retries, queue)
                SELECT id, \(name), 'PENDING', '[]'::jsonb, kwargs::jsonb, \(maxRetries), \(queue)
                FROM unnest(\(ids)::text[], \(kwargs.map(\.jsonText))::text[]) AS t(id, kwargs)
                RETURNING 1
            )
            SELECT count(*), pg_notify('\(unescaped: Self.channel)', \(queue)) FROM inserted
            """
        try await client.query(query, logger: logger)
        return ids
    }

    /// Claims up to `limit` runnable tasks of `queues` for `worker`.
    public func claim(worker: String, queues: [String], limit: Int, logger: Logger) async throws -> [ClaimedTask] {
        let query: PostgresQuery = """
            WITH next AS (
                SELECT id FROM celery_tasks
                WHERE status IN ('PENDING', 'RETRY') AND queue = ANY(\(queues)::text[]) AND run_at <= CURRENT_TIMESTAMP
                ORDER BY priority DESC, run_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE celery_tasks t SET status = 'STARTED', attempt = t.attempt + 1, worker_name = \(worker),
                started_at = coalesce(t.started_at, CURRENT_TIMESTAMP), heartbeat_at = CURRENT_TIMESTAMP,
                lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => \(leaseSeconds))
            FROM next WHERE t.id = next.id
            RETURNING t.id, t.attempt, t.task_name, coalesce(t.args, '[]')::text, coalesce(t.kwargs, '{}')::text, t.queue,
                      coalesce(t.retries, 0), coalesce(t.max_retries, 3), t.user_id, t.related_type, t.related_id
            """
        var tasks: [ClaimedTask] = []
        // Column by column (RowCells): the generic tuple decode costs several times as much.
        for try await row in try await client.query(query, logger: logger) {
            var cells = RowCells(row)
            let key = ClaimedTask.Key(id: try cells.next(String.self), worker: worker, attempt: try cells.next(Int.self))
            let name = try cells.next(String.self), args = try cells.next(String.self), kwargs = try cells.next(String.self)
            tasks.append(ClaimedTask(key: key, name: name, args: args == "[]" ? .array([]) : try JSONValue.parse(args),
                                     kwargs: kwargs == "{}" ? .object([:]) : try JSONValue.parse(kwargs), queue: try cells.next(String.self),
                                     retries: try cells.next(Int.self), maxRetries: try cells.next(Int.self), userID: try cells.next(Int?.self),
                                     relatedType: try cells.next(String?.self), relatedID: try cells.next(Int?.self)))
        }
        return tasks
    }

    /// What a heartbeat found.
    public enum Heartbeat: Sendable, Equatable {
        /// Still ours, lease renewed; `cancelRequested` when someone asked the task to stop.
        case owned(cancelRequested: Bool)
        /// No longer ours (the lease expired and the task was rescued or re-claimed).
        case lost
    }

    public func heartbeat(_ key: ClaimedTask.Key, progress: JSONValue? = nil, logger: Logger) async throws -> Heartbeat {
        let query: PostgresQuery = """
            UPDATE celery_tasks SET heartbeat_at = CURRENT_TIMESTAMP, lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => \(leaseSeconds)),
                progress = coalesce(\(progress?.jsonText)::jsonb, progress)
            WHERE \(claimOf: key)
            RETURNING cancel_requested_at IS NOT NULL
            """
        for try await cancel in try await client.query(query, logger: logger).decode(Bool.self) { return .owned(cancelRequested: cancel) }
        return .lost
    }

    /// Heartbeats many claims in one statement: renews each claim that is still STARTED under
    /// its worker and attempt (storing its progress when given) and returns, by task id, whether
    /// a cancel was requested; a claim missing from the answer is lost.
    public func heartbeat(_ claims: [(ClaimedTask.Key, JSONValue?)], logger: Logger) async throws -> [String: Bool] {
        let query: PostgresQuery = """
            UPDATE celery_tasks t SET heartbeat_at = CURRENT_TIMESTAMP, lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => \(leaseSeconds)),
                progress = coalesce(NULLIF(x.progress, '')::jsonb, t.progress)
            FROM unnest(\(claims.map(\.0.id))::text[], \(claims.map(\.0.worker))::text[], \(claims.map { $0.0.attempt })::int8[],
                        \(claims.map { $0.1?.jsonText ?? "" })::text[]) AS x(id, worker, attempt, progress)
            WHERE t.id = x.id AND t.worker_name = x.worker AND t.attempt = x.attempt AND t.status = 'STARTED'
            RETURNING t.id, t.cancel_requested_at IS NOT NULL
            """
        var beats: [String: Bool] = [:]
        for try await (id, cancel) in try await client.query(query, logger: logger).decode((String, Bool).self) { beats[id] = cancel }
        return beats
    }

    /// Marks the claim done with `result`; false when the claim is no longer this worker's.
    /// With `connection`, it runs there — inside the caller's transaction with its last writes.
    @discardableResult
    public func complete(_ key: ClaimedTask.Key, result: JSONValue = .null, on connection: PostgresConnection? = nil, logger: Logger) async throws -> Bool {
        let query: PostgresQuery = """
            UPDATE celery_tasks SET status = 'SUCCESS', result = \(result.jsonText)::jsonb, completed_at = CURRENT_TIMESTAMP,
                lease_expires_at = NULL, last_error = NULL
            WHERE \(claimOf: key)
            RETURNING 1
            """
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// What a failure led to.
    public enum FailureOutcome: Sendable, Equatable {
        case retry
        case failed
        /// The claim was no longer this worker's: nothing changed.
        case lost
    }

    /// Records a failure: RETRY with backoff while retries remain and `retryable`, else FAILURE.
    @discardableResult
    public func fail(_ key: ClaimedTask.Key, error: String, retryable: Bool = true, logger: Logger) async throws -> FailureOutcome {
        let query: PostgresQuery = """
            UPDATE celery_tasks SET
                status = CASE WHEN \(retryable) AND coalesce(retries, 0) < coalesce(max_retries, 3) THEN 'RETRY'::task_status ELSE 'FAILURE'::task_status END,
                run_at = CASE WHEN \(retryable) AND coalesce(retries, 0) < coalesce(max_retries, 3)
                         THEN CURRENT_TIMESTAMP + make_interval(secs => least(\(backoffCapSeconds), \(backoffBaseSeconds) * power(2, coalesce(retries, 0)))
                                                                         * (0.5 + random() / 2))
                         ELSE run_at END,
                retries = CASE WHEN \(retryable) AND coalesce(retries, 0) < coalesce(max_retries, 3) THEN coalesce(retries, 0) + 1 ELSE retries END,
                completed_at = CASE WHEN \(retryable) AND coalesce(retries, 0) < coalesce(max_retries, 3) THEN NULL ELSE CURRENT_TIMESTAMP END,
                last_error = \(String(error.prefix(10_000))), lease_expires_at = NULL
            WHERE \(claimOf: key)
            RETURNING status::text
            """
        for try await status in try await client.query(query, logger: logger).decode(String.self) {
            if status == TaskStatus.retry.rawValue { return .retry }
            try await AbandonedTasks.settle([key.id], client: client, logger: logger)
            return .failed
        }
        return .lost
    }

    /// Gives a claim back untouched (graceful shutdown): PENDING again, runnable at once, no
    /// retry counted.
    @discardableResult
    public func release(_ key: ClaimedTask.Key, logger: Logger) async throws -> Bool {
        let query: PostgresQuery = """
            UPDATE celery_tasks SET status = 'PENDING', run_at = CURRENT_TIMESTAMP, lease_expires_at = NULL
            WHERE \(claimOf: key)
            RETURNING 1
            """
        for try await _ in try await client.query(query, logger: logger).decode(Int.self) { return true }
        return false
    }

    /// Acknowledges a cancel request: REVOKED.
    @discardableResult
    public func revoke(_ key: ClaimedTask.Key, logger: Logger) async throws -> Bool {
        let query: PostgresQuery = """
            UPDATE celery_tasks SET status = 'REVOKED', completed_at = CURRENT_TIMESTAMP, lease_expires_at = NULL
            WHERE \(claimOf: key)
            RETURNING 1
            """
        for try await _ in try await client.query(query, logger: logger).decode(Int.self) { return true }
        return false
    }

    /// What a cancel request did.
    public enum CancelOutcome: Sendable, Equatable {
        /// It had not started: REVOKED at once.
        case revoked
        /// It is running: its worker stops it at the next safe point.
        case requested
        /// It had already finished, with this status.
        case finished(String)
        case notFound
    }

    /// Whether the claim's task was asked to stop (nil: the claim is no longer this worker's).
    public func cancelRequested(_ key: ClaimedTask.Key, logger: Logger) async throws -> Bool? {
        for try await flag in try await client.query("SELECT cancel_requested_at IS NOT NULL FROM celery_tasks WHERE \(claimOf: key)", logger: logger)
            .decode(Bool.self) { return flag }
        return nil
    }

    public func requestCancel(id: String, on connection: PostgresConnection? = nil, logger: Logger) async throws -> CancelOutcome {
        let query: PostgresQuery = """
            WITH target AS (SELECT id, status FROM celery_tasks WHERE id = \(id) FOR UPDATE),
            changed AS (
                UPDATE celery_tasks t SET
                    status = CASE WHEN target.status IN ('PENDING', 'RETRY') THEN 'REVOKED'::task_status ELSE t.status END,
                    completed_at = CASE WHEN target.status IN ('PENDING', 'RETRY') THEN CURRENT_TIMESTAMP ELSE t.completed_at END,
                    cancel_requested_at = CASE WHEN target.status = 'STARTED' THEN coalesce(t.cancel_requested_at, CURRENT_TIMESTAMP)
                                               ELSE t.cancel_requested_at END
                FROM target WHERE t.id = target.id AND target.status IN ('PENDING', 'RETRY', 'STARTED')
                RETURNING 1
            )
            SELECT status::text FROM target
            """
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        for try await status in rows.decode(String.self) {
            switch status {
            case TaskStatus.pending.rawValue, TaskStatus.retry.rawValue: return .revoked
            case TaskStatus.started.rawValue:
                // Tell the worker now (at commit, with the caller's transaction) rather than at its
                // next heartbeat, a third of a lease away: a short epoch could run many times over.
                let notify: PostgresQuery = "SELECT pg_notify('\(unescaped: Self.channel)', \(Self.cancelPrefix + id))"
                if let connection { try await connection.query(notify, logger: logger) } else { try await client.query(notify, logger: logger) }
                return .requested
            default: return .finished(status)
            }
        }
        return .notFound
    }

    /// `requestCancel` for every live task (pending, retrying or started) of one related row —
    /// a training job's, a strategy's replay — in the caller's transaction; returns the outcomes.
    public func requestCancel(relatedType: RelatedObject, relatedID: Int, on connection: PostgresConnection, logger: Logger) async throws -> [CancelOutcome] {
        var live: [String] = []
        for try await taskID in try await connection.query("""
            SELECT id FROM celery_tasks WHERE related_type = \(relatedType.rawValue) AND related_id = \(relatedID) AND status IN ('PENDING', 'RETRY', 'STARTED')
            """, logger: logger).decode(String.self) { live.append(taskID) }
        var outcomes: [CancelOutcome] = []
        for taskID in live { outcomes.append(try await requestCancel(id: taskID, on: connection, logger: logger)) }
        return outcomes
    }

    /// Re-queues (or fails, or revokes) STARTED tasks whose lease has expired; returns
    /// (id, new status) for each.
    @discardableResult
    public func rescue(logger: Logger) async throws -> [(id: String, status: String)] {
        let query: PostgresQuery = """
            WITH expired AS (
                SELECT id FROM celery_tasks WHERE status = 'STARTED' AND lease_expires_at < CURRENT_TIMESTAMP FOR UPDATE SKIP LOCKED
            )
            UPDATE celery_tasks t SET
                status = CASE WHEN t.cancel_requested_at IS NOT NULL THEN 'REVOKED'::task_status
                              WHEN cardinality(t.crashed_attempts) >= \(Self.crashesBeforeFailure) THEN 'FAILURE'::task_status
                              WHEN coalesce(t.retries, 0) < coalesce(t.max_retries, 3) THEN 'RETRY'::task_status
                              ELSE 'FAILURE'::task_status END,
                run_at = CURRENT_TIMESTAMP + make_interval(secs => least(\(backoffCapSeconds), \(backoffBaseSeconds) * power(2, coalesce(t.retries, 0)))
                                                                   * (0.5 + random() / 2)),
                retries = CASE WHEN t.cancel_requested_at IS NULL AND coalesce(t.retries, 0) < coalesce(t.max_retries, 3)
                                    AND cardinality(t.crashed_attempts) < \(Self.crashesBeforeFailure)
                               THEN coalesce(t.retries, 0) + 1 ELSE t.retries END,
                completed_at = CASE WHEN t.cancel_requested_at IS NOT NULL OR coalesce(t.retries, 0) >= coalesce(t.max_retries, 3)
                                         OR cardinality(t.crashed_attempts) >= \(Self.crashesBeforeFailure)
                                    THEN CURRENT_TIMESTAMP ELSE NULL END,
                last_error = CASE WHEN cardinality(t.crashed_attempts) >= \(Self.crashesBeforeFailure) AND t.cancel_requested_at IS NULL
                                  THEN \(Self.crashFailurePrefix) || array_to_string(t.crashed_attempts, ', ') || ' (' || coalesce(t.last_error, 'fatal signal') || '); not retried'
                                  ELSE 'lease expired: worker ' || coalesce(t.worker_name, '?') || ' stopped heartbeating (attempt ' || t.attempt || ')' END,
                lease_expires_at = NULL
            FROM expired WHERE t.id = expired.id
            RETURNING t.id, t.status::text
            """
        var rescued: [(id: String, status: String)] = []
        for try await (id, status) in try await client.query(query, logger: logger).decode((String, String).self) { rescued.append((id, status)) }
        try await AbandonedTasks.settle(rescued.filter { $0.status != TaskStatus.retry.rawValue }.map(\.id), client: client, logger: logger)
        return rescued
    }

    /// Attempts that may crash their worker before a task is failed instead of retried.
    public static let crashesBeforeFailure = 2
    static let crashFailurePrefix = "crashed its worker on attempts "

    /// Records crashed attempts read from crash journals (once per attempt, however often a
    /// journal is read). A task that has now crashed `crashesBeforeFailure` attempts and is
    /// waiting for another (RETRY or PENDING after a release) is failed at once; one still
    /// STARTED under a dead worker is failed by `rescue` when its lease runs out.
    public func recordCrashes(_ crashes: [CrashJournal.Entry], logger: Logger) async throws {
        let query: PostgresQuery = """
            WITH crash AS (
                SELECT DISTINCT ON (id, attempt) id, attempt, signal FROM unnest(\(crashes.map(\.taskID))::text[], \(crashes.map { $0.attempt })::int8[],
                                                                               \(crashes.map(\.signal))::text[]) AS x(id, attempt, signal)
            ), counted AS (
                UPDATE celery_tasks t SET crashed_attempts = array_append(t.crashed_attempts, crash.attempt::int),
                    last_error = crash.signal || ' in attempt ' || crash.attempt
                FROM crash WHERE t.id = crash.id AND NOT (crash.attempt::int = ANY(t.crashed_attempts))
                RETURNING t.id, t.status, cardinality(t.crashed_attempts) AS crashes
            )
            UPDATE celery_tasks t SET status = 'FAILURE', completed_at = CURRENT_TIMESTAMP,
                last_error = \(Self.crashFailurePrefix) || array_to_string(t.crashed_attempts, ', ') || ' (' || t.last_error || '); not retried'
            FROM counted WHERE t.id = counted.id AND counted.crashes >= \(Self.crashesBeforeFailure) AND counted.status IN ('RETRY', 'PENDING')
            RETURNING t.id
            """
        var failed: [String] = []
        for try await id in try await client.query(query, logger: logger).decode(String.self) { failed.append(id) }
        try await AbandonedTasks.settle(failed, client: client, logger: logger)
    }
}
