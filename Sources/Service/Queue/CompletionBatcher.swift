import Logging
import PostgresNIO
import Synchronization

/// Group commit for completions: a worker finishing many short tasks would spend a commit (a WAL
/// flush) on each; instead each completion waits in a queue while one flush runs, and the next
/// flush writes everything that arrived meanwhile in one guarded statement. There is no added
/// delay — a lone completion is flushed at once — and every caller still learns whether its own
/// claim held.
final class CompletionBatcher: Sendable {
    struct Item {
        var key: ClaimedTask.Key
        var result: JSONValue
        var continuation: CheckedContinuation<Bool, any Error>
    }

    struct State {
        var pending: [Item] = []
        var flushing = false
    }

    let client: PostgresClient
    let logger: Logger
    let state = Mutex(State())

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Completes the claim; true when it was still this worker's.
    func complete(_ key: ClaimedTask.Key, result: JSONValue) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let startFlushing = state.withLock { state -> Bool in
                state.pending.append(Item(key: key, result: result, continuation: continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if startFlushing {
                // A task of its own, so the caller that started it does not also carry the others.
                Task { await self.flushUntilEmpty() }
            }
        }
    }

    func flushUntilEmpty() async {
        while true {
            let batch = state.withLock { state -> [Item] in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let done = try await write(batch)
                for item in batch { item.continuation.resume(returning: done.contains(item.key.id)) }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }

    func write(_ batch: [Item]) async throws -> Set<String> {
        let query: PostgresQuery = """
            UPDATE celery_tasks t SET status = 'SUCCESS', result = x.result::jsonb, completed_at = CURRENT_TIMESTAMP, lease_expires_at = NULL, last_error = NULL
            FROM unnest(\(batch.map(\.key.id))::text[], \(batch.map(\.key.worker))::text[], \(batch.map(\.key.attempt))::int8[], \(batch.map(\.result.jsonText))::text[])
                 AS x(id, worker, attempt, result)
            WHERE t.id = x.id AND t.worker_name = x.worker AND t.attempt = x.attempt AND t.status = 'STARTED'
            RETURNING t.id
            """
        var done = Set<String>()
        for try await id in try await client.query(query, logger: logger).decode(String.self) { done.insert(id) }
        return done
    }
}
