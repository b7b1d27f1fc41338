import Foundation
import Logging
import PostgresNIO
@testable import Service
import Synchronization
import Testing

/// The job queue on celery_tasks against a real PostgreSQL: transactional enqueue, SKIP LOCKED
/// claims that never overlap, guarded completion against a stale worker, rescue of expired
/// leases, backoff with jitter, cancellation, and workers: exactly-once processing across four
/// workers, wake-up by NOTIFY, graceful shutdown, cancel requests.
@Suite struct QueueTests {
    static let logger = TestDatabase.logger

    static func withQueue(_ suite: String, _ body: @escaping @Sendable (TaskQueue, PostgresClient, PostgresConnection.Configuration) async throws -> Void) async throws {
        try await TestDatabase.with(suite) { sql, cluster, name in
            try await Migrator(client: sql, logger: logger).up()
            try await body(TaskQueue(client: sql), sql, cluster.connectionConfiguration(database: name))
        }
    }

    static func scalar(_ sql: PostgresClient, _ text: String) async throws -> String {
        try await AuthTests.text(sql, text)
    }

    @Test func aTaskExistsOnlyIfItsTransactionCommits() async throws {
        try await Self.withQueue("queue_enqueue") { queue, sql, _ in
            struct Abort: Error {}
            do {
                try await sql.withTransaction(logger: Self.logger) { connection in
                    try await TaskQueue.enqueue(NewTask(name: "train"), on: connection, logger: Self.logger)
                    throw Abort()
                }
            } catch {}
            #expect(try await Self.scalar(sql, "SELECT count(*)::text FROM celery_tasks") == "0")
            let id = try await sql.withTransaction(logger: Self.logger) { connection in
                try await TaskQueue.enqueue(NewTask(name: "train", kwargs: .object(["job": .int(7)]), queue: "training", priority: 5,
                                                    relatedType: .trainingJob, relatedID: 7), on: connection, logger: Self.logger)
            }
            let row = try await Self.scalar(sql, "SELECT status || '|' || queue || '|' || priority || '|' || related_type || related_id || '|' || (kwargs->>'job') FROM celery_tasks WHERE id = '\(id)'")
            #expect(row == "PENDING|training|5|training_job7|7")
            let claimed = try await queue.claim(worker: "w", queues: ["default"], limit: 10, logger: Self.logger)
            #expect(claimed.isEmpty, "other queues' tasks are not claimed")
        }
    }

    @Test func concurrentClaimsNeverTakeTheSameTask() async throws {
        try await Self.withQueue("queue_claims") { queue, sql, _ in
            let ids = try await queue.enqueueBatch(name: "noop", kwargs: (0..<300).map { .object(["n": .int(Int64($0))]) }, logger: Self.logger)
            let claimedIDs = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await queue.claim(worker: "w\(worker)", queues: ["default"], limit: 7, logger: Self.logger)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claimedIDs.count == 300 && Set(claimedIDs) == Set(ids), "each task claimed exactly once")
            #expect(try await Self.scalar(sql, "SELECT count(*)::text FROM celery_tasks WHERE status = 'STARTED' AND attempt = 1 AND lease_expires_at > CURRENT_TIMESTAMP") == "300")
        }
    }

    @Test func aStaleWorkerCannotOverwriteTheWorkerThatTookOver() async throws {
        try await Self.withQueue("queue_guard") { base, sql, _ in
            var slow = base
            slow.leaseSeconds = 0.2
            slow.backoffBaseSeconds = 0
            let id = try await slow.enqueue(NewTask(name: "train"), logger: Self.logger)
            let first = try #require(try await slow.claim(worker: "A", queues: ["default"], limit: 1, logger: Self.logger).first)
            try await Task.sleep(for: .milliseconds(400))
            let rescued = try await slow.rescue(logger: Self.logger)
            #expect(rescued.map(\.id) == [id] && rescued.first?.status == "RETRY")
            let second = try #require(try await base.claim(worker: "B", queues: ["default"], limit: 1, logger: Self.logger).first)
            #expect(second.key.attempt == 2 && second.retries == 1)
            // A wakes up: every write it tries is refused.
            #expect(try await slow.heartbeat(first.key, logger: Self.logger) == .lost)
            #expect(try await slow.complete(first.key, result: .string("A's result"), logger: Self.logger) == false)
            #expect(try await slow.fail(first.key, error: "A failed", logger: Self.logger) == .lost)
            #expect(try await slow.release(first.key, logger: Self.logger) == false)
            #expect(try await base.heartbeat(second.key, logger: Self.logger) == .owned(cancelRequested: false))
            #expect(try await base.complete(second.key, result: .string("B's result"), logger: Self.logger))
            #expect(try await Self.scalar(sql, "SELECT status || '|' || (result #>> '{}') || '|' || worker_name FROM celery_tasks WHERE id = '\(id)'") == "SUCCESS|B's result|B")
            #expect(try await slow.complete(first.key, logger: Self.logger) == false, "and not after B finished either")
        }
    }

    @Test func failuresBackOffWithJitterThenFail() async throws {
        try await Self.withQueue("queue_backoff") { base, sql, _ in
            var queue = base
            queue.backoffBaseSeconds = 10
            let id = try await queue.enqueue(NewTask(name: "flaky", maxRetries: 2), logger: Self.logger)
            for retry in 0..<2 {
                let task = try #require(try await queue.claim(worker: "w", queues: ["default"], limit: 1, logger: Self.logger).first)
                #expect(try await queue.fail(task.key, error: "boom \(retry)", logger: Self.logger) == .retry)
                let delay = Double(try await Self.scalar(sql, "SELECT extract(epoch FROM run_at - CURRENT_TIMESTAMP)::text FROM celery_tasks WHERE id = '\(id)'")) ?? -1
                let full = 10 * pow(2, Double(retry))
                #expect(delay > 0.5 * full - 1 && delay <= full, "retry \(retry): \(delay) s, full backoff \(full) s")
                #expect(try await queue.claim(worker: "w", queues: ["default"], limit: 1, logger: Self.logger).isEmpty, "not before run_at")
                try await sql.query("UPDATE celery_tasks SET run_at = CURRENT_TIMESTAMP WHERE id = \(id)", logger: Self.logger)
            }
            let last = try #require(try await queue.claim(worker: "w", queues: ["default"], limit: 1, logger: Self.logger).first)
            #expect(last.retries == 2)
            #expect(try await queue.fail(last.key, error: "boom again", logger: Self.logger) == .failed)
            #expect(try await Self.scalar(sql, "SELECT status || '|' || retries || '|' || last_error || '|' || (completed_at IS NOT NULL) FROM celery_tasks WHERE id = '\(id)'")
                    == "FAILURE|2|boom again|true")
            // A permanent failure does not retry; a rescue past max_retries fails too.
            let other = try await queue.enqueue(NewTask(name: "bad"), logger: Self.logger)
            let bad = try #require(try await queue.claim(worker: "w", queues: ["default"], limit: 1, logger: Self.logger).first)
            let badOutcome = try await queue.fail(bad.key, error: "bad input", retryable: false, logger: Self.logger)
            #expect(bad.id == other && badOutcome == .failed)
            var short = queue
            short.leaseSeconds = 0.1
            let dying = try await short.enqueue(NewTask(name: "dies", maxRetries: 0), logger: Self.logger)
            _ = try await short.claim(worker: "w", queues: ["default"], limit: 1, logger: Self.logger)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await short.rescue(logger: Self.logger).map { "\($0.id)=\($0.status)" } == ["\(dying)=FAILURE"])
            #expect((try await Self.scalar(sql, "SELECT last_error FROM celery_tasks WHERE id = '\(dying)'")).hasPrefix("lease expired: worker w"))
        }
    }

    @Test func cancellingPendingRunningAndFinishedTasks() async throws {
        try await Self.withQueue("queue_cancel") { queue, sql, _ in
            let pending = try await queue.enqueue(NewTask(name: "a"), logger: Self.logger)
            #expect(try await queue.requestCancel(id: pending, logger: Self.logger) == .revoked)
            let running = try await queue.enqueue(NewTask(name: "b"), logger: Self.logger)
            let task = try #require(try await queue.claim(worker: "w", queues: ["default"], limit: 1, logger: Self.logger).first)
            #expect(task.id == running)
            #expect(try await queue.requestCancel(id: running, logger: Self.logger) == .requested)
            #expect(try await queue.heartbeat(task.key, logger: Self.logger) == .owned(cancelRequested: true))
            #expect(try await queue.revoke(task.key, logger: Self.logger))
            #expect(try await queue.requestCancel(id: running, logger: Self.logger) == .finished("REVOKED"))
            #expect(try await queue.requestCancel(id: "nope", logger: Self.logger) == .notFound)
            #expect(try await Self.scalar(sql, "SELECT string_agg(status::text, ',' ORDER BY id) FROM celery_tasks") == "REVOKED,REVOKED")
        }
    }

    /// A handler that counts its runs per task in a table of its own (over `client`).
    static func countingHandler(_ client: PostgresClient) -> ClosureTaskHandler {
        ClosureTaskHandler { task, context in
            try await client.query("""
                INSERT INTO test_runs (task_id, runs) VALUES (\(task.id), 1) ON CONFLICT (task_id) DO UPDATE SET runs = test_runs.runs + 1
                """, logger: Self.logger)
            return .object(["n": task.kwargs.objectValue?["n"] ?? .null])
        }
    }

    /// Runs `workers` until `done` holds (checked every 50 ms) or `limit` passes.
    /// Runs `workers` until `done`; false only when the queue has made no progress for `limit`
    /// (see `ProgressWait`), so a slow machine makes the test slower, never red.
    static func runWorkers(_ workers: [Worker], until done: @escaping @Sendable () async throws -> Bool, limit: Duration = .seconds(120)) async throws -> Bool {
        let finished = try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in workers { group.addTask { await worker.run() } }
            defer {
                TestTrace.note("stopping its \(workers.count) worker(s) (runWorkers)")
                group.cancelAll()
            }
            let client = workers[0].queue.client
            TestTrace.note("waiting for its \(workers.count) worker(s) (runWorkers)")
            return try await ProgressWait.until(stall: limit, progress: { try await ProgressWait.queueProgress(client) }, done)
        }
        TestTrace.note("in the test body, its workers stopped")
        return finished
    }

    @Test func fourWorkersProcessEveryTaskExactlyOnce() async throws {
        try await Self.withQueue("queue_workers") { queue, sql, listen in
            try await sql.query("CREATE TABLE test_runs (task_id TEXT PRIMARY KEY, runs INT NOT NULL)", logger: Self.logger)
            let count = 10_000
            for chunk in stride(from: 0, to: count, by: 2_000) {
                _ = try await queue.enqueueBatch(name: "count", kwargs: (chunk..<chunk + 2_000).map { .object(["n": .int(Int64($0))]) }, logger: Self.logger)
            }
            let workers = (0..<4).map { n in
                Worker(id: "worker-\(n)", queue: queue, concurrency: 4, handlers: ["count": Self.countingHandler(queue.client)], pollInterval: .milliseconds(200),
                       listen: listen, logger: Self.logger)
            }
            let finished = try await Self.runWorkers(workers) {
                try await Self.scalar(sql, "SELECT count(*)::text FROM celery_tasks WHERE status = 'SUCCESS'") == String(count)
            }
            #expect(finished)
            #expect(try await Self.scalar(sql, "SELECT count(*)::text FROM test_runs WHERE runs = 1") == String(count), "every task ran exactly once")
            #expect(try await Self.scalar(sql, "SELECT count(*)::text FROM test_runs WHERE runs <> 1") == "0")
            #expect(try await Self.scalar(sql, "SELECT count(DISTINCT worker_name)::text FROM celery_tasks") == "4", "all four took part")
            #expect(try await Self.scalar(sql, "SELECT count(*)::text FROM celery_tasks WHERE (result->>'n')::int = (kwargs->>'n')::int") == String(count))
        }
    }

    @Test func aNotificationWakesAnIdleWorker() async throws {
        try await Self.withQueue("queue_notify") { queue, sql, listen in
            try await sql.query("CREATE TABLE test_runs (task_id TEXT PRIMARY KEY, runs INT NOT NULL)", logger: Self.logger)
            // Polling alone would take an hour; the notification brings it in at once. The wait
            // below is long enough for any busy machine and still far short of a poll.
            let worker = Worker(queue: queue, handlers: ["count": Self.countingHandler(queue.client)], pollInterval: .seconds(3600), listen: listen, logger: Self.logger)
            let done = try await withThrowingTaskGroup(of: Void.self) { group -> Bool in
                group.addTask { await worker.run() }
                defer { group.cancelAll() }
                // The worker is idle once its LISTEN is in (it catches up on what came before).
                for _ in 0..<6000 {
                    if try await Self.scalar(sql, "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'") != "0" { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await queue.enqueue(NewTask(name: "count"), logger: Self.logger)
                for _ in 0..<6000 {
                    if try await Self.scalar(sql, "SELECT count(*)::text FROM celery_tasks WHERE status = 'SUCCESS'") == "1" { return true }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return false
            }
            #expect(done, "done within 5 minutes of enqueueing, with an hour's poll interval")
        }
    }

    @Test func shutdownReleasesAndCancelRequestsRevoke() async throws {
        try await Self.withQueue("queue_shutdown") { base, sql, listen in
            // A lease long enough that no rescue round, on however busy a machine, takes the task
            // before the shutdown hands it back; the cancel below arrives by NOTIFY anyway.
            var configured = base
            configured.leaseSeconds = 5
            let queue = configured
            let started = Mutex(0)
            // A long job that stops at its safe points when cancelled.
            let long = ClosureTaskHandler { _, _ in
                started.withLock { $0 += 1 }
                while true {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let id = try await queue.enqueue(NewTask(name: "long"), logger: Self.logger)
            let worker = Worker(queue: queue, handlers: ["long": long], pollInterval: .milliseconds(100), listen: listen, logger: Self.logger)
            let running = try await Self.runWorkers([worker], until: { started.withLock { $0 } == 1 })
            #expect(running)
            // The worker was cancelled (graceful shutdown): the claim went back, no retry counted.
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.scalar(sql, "SELECT status || '|' || attempt || '|' || retries || '|' || (lease_expires_at IS NULL) FROM celery_tasks WHERE id = '\(id)'")
                    == "PENDING|1|0|true")

            // Running again, then a cancel request: the heartbeat sees it, the handler stops, REVOKED.
            let again = Worker(queue: queue, handlers: ["long": long], pollInterval: .milliseconds(100), listen: listen, logger: Self.logger)
            let revoked = try await Self.runWorkers([again], until: {
                if started.withLock({ $0 }) == 2 { _ = try await queue.requestCancel(id: id, logger: Self.logger) }
                return try await Self.scalar(sql, "SELECT status::text FROM celery_tasks WHERE id = '\(id)'") == "REVOKED"
            })
            #expect(revoked)
        }
    }

    @Test func aWorkerThatLosesItsLeaseStopsAndWritesNothing() async throws {
        try await Self.withQueue("queue_lost") { base, sql, listen in
            // A lease long enough that the worker's own first rescue round, however late a busy
            // machine runs it, never finds the fresh claim expired and takes it back before the
            // takeover below (it did once with 0.6 s under a full parallel test run); the
            // heartbeat, a third of the lease, still finds the claim gone within a second.
            var configured = base
            configured.leaseSeconds = 3
            let queue = configured
            let stopped = Mutex(false)
            let stubborn = ClosureTaskHandler { _, _ in
                do {
                    while true { try await Task.sleep(for: .milliseconds(20)) }
                } catch {
                    stopped.withLock { $0 = true }
                    throw error
                }
            }
            let id = try await queue.enqueue(NewTask(name: "stubborn"), logger: Self.logger)
            // No rescues from this worker: the fake "second" never heartbeats, and a rescue of its
            // expired lease would be right but is not what this test watches.
            let worker = Worker(id: "first", queue: queue, handlers: ["stubborn": stubborn], pollInterval: .seconds(5), rescueInterval: .seconds(600),
                                listen: nil, logger: Self.logger)
            let lost = try await Self.runWorkers([worker], until: {
                // Another worker takes the task over behind the first one's back, with a lease of its
                // own (as a real claim has), so no rescue round, however late, touches it.
                if try await Self.scalar(sql, "SELECT coalesce(worker_name, '') FROM celery_tasks WHERE id = '\(id)'") == "first" {
                    try await sql.query("""
                        UPDATE celery_tasks SET worker_name = 'second', attempt = attempt + 1, lease_expires_at = CURRENT_TIMESTAMP + interval '1 hour'
                        WHERE id = \(id)
                        """, logger: Self.logger)
                }
                return stopped.withLock { $0 }
            })
            #expect(lost, "the heartbeat found the claim gone and the handler was cancelled")
            #expect(try await Self.scalar(sql, "SELECT status || '|' || worker_name FROM celery_tasks WHERE id = '\(id)'") == "STARTED|second")
        }
    }
}
