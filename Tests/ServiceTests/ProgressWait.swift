import PostgresNIO
import Synchronization

/// Waiting on progress, not on wall time: this machine is shared, and a busy neighbour may make
/// any step ten times slower. A wait gives up only when nothing has advanced for a long stretch
/// (a stall), however long the whole wait takes while work keeps moving.
enum ProgressWait {
    /// Checks `done` every `poll`, and `progress` (any value that changes whenever the work moves
    /// on) every `progressEvery`; false once `progress` has stayed the same for `stall`.
    static func until(stall: Duration, poll: Duration = .milliseconds(50), progressEvery: Duration = .seconds(1),
                      progress: @escaping @Sendable () async throws -> String, _ done: () async throws -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        // A progress reading that fails (the database is away in an outage test) counts as no change.
        var last = await reading(progress) ?? "", lastChange = clock.now, lastCheck = clock.now
        while true {
            if try await done() { return true }
            if clock.now - lastCheck >= progressEvery {
                lastCheck = clock.now
                let now = await reading(progress) ?? last
                if now != last { last = now; lastChange = clock.now } else if clock.now - lastChange >= stall { return false }
            }
            try await Task.sleep(for: poll)
        }
    }

    /// One progress reading, or nil when it fails or takes over ten seconds (a pool waiting for a
    /// database that is away must not hold the wait up: `done` is checked meanwhile).
    /// The read runs in a task of its own that is left behind on a timeout (a task group would
    /// wait for it, and a pool stalled by an outage may not answer for a long time).
    static func reading(_ progress: @escaping @Sendable () async throws -> String) async -> String? {
        let answer = Answer()
        let read = Task { answer.give(try? await progress()) }
        let timer = Task {
            try? await Task.sleep(for: .seconds(10))
            answer.give(nil)
        }
        let result = await answer.value()
        read.cancel()
        timer.cancel()
        return result
    }

    /// The first of two answers, awaited once.
    final class Answer: Sendable {
        let state = Mutex<(given: Bool, value: String?, waiter: CheckedContinuation<String?, Never>?)>((false, nil, nil))

        func give(_ value: String?) {
            let waiter = state.withLock { state -> CheckedContinuation<String?, Never>? in
                guard !state.given else { return nil }
                state.given = true
                state.value = value
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: value)
        }

        func value() async -> String? {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> (Bool, String?) in
                    if state.given { return (true, state.value) }
                    state.waiter = continuation
                    return (false, nil)
                }
                if ready.0 { continuation.resume(returning: ready.1) }
            }
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
