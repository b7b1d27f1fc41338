import PostgresNIO

/// Waiting on progress, not on wall time: this machine is shared, and a busy neighbour may make
/// any step ten times slower. A wait gives up only when nothing has advanced for a long stretch
/// (a stall), however long the whole wait takes while work keeps moving.
enum ProgressWait {
    /// Checks `done` every `poll`, and `progress` (any value that changes whenever the work moves
    /// on) every `progressEvery`; false once `progress` has stayed the same for `stall`.
    static func until(stall: Duration, poll: Duration = .milliseconds(50), progressEvery: Duration = .seconds(1),
                      progress: () async throws -> String, _ done: () async throws -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        var last = try await progress(), lastChange = clock.now, lastCheck = clock.now
        while true {
            if try await done() { return true }
            if clock.now - lastCheck >= progressEvery {
                lastCheck = clock.now
                let now = try await progress()
                if now != last { last = now; lastChange = clock.now } else if clock.now - lastChange >= stall { return false }
            }
            try await Task.sleep(for: poll)
        }
    }

    /// The task queue's state in a few numbers that change whenever a task is claimed again,
    /// finishes, is retried or reports progress (heartbeats alone do not count: a stuck task that
    /// still heartbeats is not progress), plus the training metrics rows written.
    static func queueProgress(_ client: PostgresClient) async throws -> String {
        let query = PostgresQuery(unsafeSQL: """
            SELECT concat_ws('/', count(*), count(*) FILTER (WHERE status IN ('SUCCESS', 'FAILURE', 'REVOKED')),
                             coalesce(sum(attempt), 0), coalesce(sum(hashtext(coalesce(progress::text, ''))::int8), 0),
                             (SELECT count(*) FROM training_metrics))
            FROM celery_tasks
            """)
        for try await text in try await client.query(query, logger: TestDatabase.logger).decode(String.self) { return text }
        return ""
    }
}
