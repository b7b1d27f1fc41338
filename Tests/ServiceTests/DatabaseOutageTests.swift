import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import Service
import Synchronization
import Testing

/// A real PostgreSQL of the test's own, stopped and started under a running API: while it is away
/// every route that needs it answers 503 with `Retry-After` (never a 500, never a hang), the
/// process's own routes keep answering, and the API serves again once the database is back.
@Suite struct DatabaseOutageTests {
    /// The API harness on a PostgreSQL cluster of the test's own (the test stops it), removed after.
    static func withOwnCluster(_ suite: String, extraRoutes: @escaping @Sendable (Router<APIContext>) -> Void = { _ in },
                               _ body: @escaping @Sendable (TestAPI.Harness, LocalPostgres) async throws -> Void) async throws {
        let project = FileManager.default.temporaryDirectory.appendingPathComponent("qf-outage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let cluster = try LocalPostgres.ensureRunning(projectDirectory: project)
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: cluster.directory)
            try? FileManager.default.removeItem(atPath: project)
        }
        try await TestAPI.with(suite, migrated: true, replica: nil, auth: { _ in }, extraRoutes: extraRoutes, cluster: cluster) { api in
            try await body(api, cluster)
        }
    }

    /// A query on a connection of its own. The harness's pooled client can be left waiting for
    /// ever by an outage (PostgresNIO's pool, when every connection it had dies under a waiting
    /// request: see `DatabaseAvailability.check`), and a test that waits for ever proves nothing.
    static func text(_ api: TestAPI.Harness, _ sql: String) async throws -> String {
        let connection = try await PostgresConnection.connect(configuration: api.settings.primaryConnection, id: Int.random(in: 1...Int(Int32.max)),
                                                              logger: TestDatabase.logger)
        do {
            var answer = ""
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(String.self) {
                answer = value
                break
            }
            try await connection.close()
            return answer
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test func theAPIAnswers503WhileTheDatabaseIsAwayAndRecovers() async throws {
        try await Self.withOwnCluster("outage") { api, cluster in
            let (token, _, _) = try await api.signUp("steady")
            _ = try await StrategyTests.create(api, token, name: "before the outage")
            func send(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> (HTTPResponse.Status, String?, String) {
                var headers: HTTPFields = [.authorization: "Bearer \(token)"]
                if body != nil { headers[.contentType] = "application/json" }
                return try await api.client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                    ($0.status, $0.headers[.retryAfter], String(buffer: $0.body))
                }
            }
            try cluster.stop()
            let routes: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/v1/strategies", nil), (.post, "/api/v1/strategies", #"{"name": "during", "strategy_type": "algorithmic_trading"}"#),
                (.get, "/api/v1/users/me", nil), (.get, "/readyz", nil), (.get, "/api/v1/training/jobs", nil), (.get, "/api/v1/strategies", nil),
            ]
            for (method, path, body) in routes {
                let (status, retryAfter, text) = try await send(method, path, body: body)
                #expect(status == .serviceUnavailable && retryAfter == String(DatabaseAvailability.retryAfterSeconds), "\(method) \(path): \(status) \(text)")
                #expect(text.contains("\"database_unavailable\""), "\(text)")
            }
            #expect(api.database.availability.isDown)
            #expect(try await send(.get, "/healthz").0 == .ok, "the process itself still answers")
            #expect(try await send(.get, "/metrics").0 == .ok)

            try cluster.start()
            // Back within a few of the prober's one-second rounds (the attempts bound a hang only).
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<600 where status != .ok {
                status = try await send(.get, "/api/v1/strategies").0
                if status != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .ok, "serving again")
            let list = try await send(.get, "/api/v1/strategies").2
            #expect(list.contains("before the outage") && !list.contains("during"), "nothing half-written while it was away")
            #expect(try await send(.get, "/readyz").0 == .ok)
        }
    }

    /// A request already waiting for a pooled connection when the database goes away is answered
    /// 503 as soon as the outage is seen, not after the pool's 15 s circuit breaker: every
    /// connection of the pool is held, a request enters and waits for one, the database stops,
    /// the connections come back dead and the pool cannot open others.
    @Test func aRequestWaitingWhenTheOutageBeginsIsAnswered503() async throws {
        let entered = Latch()
        let pool = Mutex<PostgresClient?>(nil)
        try await Self.withOwnCluster("outage_waiting", extraRoutes: { router in
            router.get("/test/waits-for-a-connection") { _, context -> String in
                entered.open()
                let primary = try #require(pool.withLock { $0 })
                try await primary.query("SELECT 1", logger: TestDatabase.logger)
                return "served"
            }
        }) { api, cluster in
            pool.withLock { $0 = api.database.primary }
            // Every pooled connection leased (as under load), so the request must wait for one.
            let held = api.settings.primary.options.maximumConnections
            let holding = HeldCount()
            let release = Latch()
            let holders = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<held {
                        group.addTask {
                            try? await api.database.primary.withConnection { _ in
                                holding.count.withLock { $0 += 1 }
                                await release.wait()
                            }
                        }
                    }
                }
            }
            let all = try await ProgressWait.until(stall: .seconds(60), progress: { String(holding.count.withLock { $0 }) }, { holding.count.withLock { $0 } == held })
            try #require(all, "every pooled connection busy")
            let answer = Task {
                try await api.client.execute(uri: "/test/waits-for-a-connection", method: .get) { ($0.status, $0.headers[.retryAfter], String(buffer: $0.body)) }
            }
            await entered.wait()
            try cluster.stop()
            // The leases come back on connections the server closed: the pool must open new
            // ones for the waiting request, and cannot.
            release.open()
            let (status, retryAfter, text) = try await answer.value
            #expect(status == .serviceUnavailable && retryAfter == String(DatabaseAvailability.retryAfterSeconds), "\(status) \(text)")
            #expect(api.database.availability.requestsCutShort == 1, "cut short by the outage, not failed by the pool's breaker: \(text)")
            await holders.value
            try cluster.start()
        }
    }

    /// Two jobs training on two workers through an outage shorter and one longer than the task
    /// lease (2 s), the API answering 503 meanwhile: the workers keep training, leases may run
    /// out, the rows that could not be written are written once the database is back (by the
    /// worker or by the attempt that takes over), and each job ends completed with exactly one
    /// row per epoch, one task each, nothing lost or doubled.
    /// (It hung one full run in three until the worker gave up on statements PostgresNIO loses
    /// when their connection dies as they are sent: see `StatementDeadline`.)
    /// (Two of six clean-clone runs then still hung: the training handler's own epoch write, lost
    /// the same way, held the task for ever. Its statements now run under the deadline too, and a
    /// stopped handler that cannot end is left behind: a run that logged such a lost epoch write
    /// gave up on it after 30 s, wrote the row at the end, and passed.)
    @Test(arguments: [Duration.milliseconds(500), .seconds(6)])
    func jobsTrainingThroughAnOutageEndWithEveryEpochsRow(outage: Duration) async throws {
        try await Self.withOwnCluster("outage_job") { api, cluster in
            let (token, _, _) = try await api.signUp("patient")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            var submitted: [Int] = []
            for seed in [2, 3] {
                submitted.append(try await TrainingJobTests.submitDQN(api, token, name: "through \(seed)", strategyID: strategyID, datasetID: datasetID, epochs: 12, seed: seed))
            }
            let ids = submitted
            let jobs = ids.map(String.init).joined(separator: ",")
            let workers = (0..<2).map { _ in api.worker(pollInterval: .milliseconds(100), lease: 2, backoff: 0.2) }
            enum Phase { case training, away(ContinuousClock.Instant), back }
            let phase = Mutex(Phase.training)
            let answersWhileAway = Mutex<[HTTPResponse.Status]>([])
            _ = try await QueueTests.runWorkers(workers, until: {
                switch phase.withLock({ $0 }) {
                case .training:
                    // Down once a job has a few epochs behind it.
                    if Int(try await Self.text(api, "SELECT coalesce(max(c), 0)::text FROM (SELECT count(*) AS c FROM training_metrics WHERE training_job_id IN (\(jobs)) GROUP BY training_job_id) x")) ?? 0 >= 3 {
                        try cluster.stop()
                        phase.withLock { $0 = .away(ContinuousClock.now) }
                        // The API says so meanwhile: a 503, not a 500, not a hang.
                        let status = try await api.call(.get, "/api/v1/training/jobs", token: token).status
                        answersWhileAway.withLock { $0.append(status) }
                    }
                    return false
                case .away(let since):
                    if ContinuousClock.now - since > outage {
                        try cluster.start()
                        phase.withLock { $0 = .back }
                    }
                    return false
                case .back:
                    guard let state = try? await Self.text(api, """
                        SELECT string_agg(state, ',' ORDER BY id) FROM (
                            SELECT j.id, j.status::text || '|' || coalesce(bool_and(t.status NOT IN ('STARTED', 'PENDING', 'RETRY')), true)::text AS state
                            FROM training_jobs j LEFT JOIN celery_tasks t ON t.related_type = 'training_job' AND t.related_id = j.id
                            WHERE j.id IN (\(jobs)) GROUP BY j.id, j.status) x
                        """) else { return false }
                    let states = state.split(separator: ",")
                    return states.count == ids.count && states.allSatisfy { $0 == "completed|true" || $0.hasPrefix("failed") }
                }
            }, limit: .seconds(180))
            #expect(answersWhileAway.withLock { $0 } == [.serviceUnavailable], "the API while the database was away")
            for id in ids {
                let job = try await Self.text(api, "SELECT status::text || '|' || current_epoch || '|' || progress FROM training_jobs WHERE id = \(id)")
                let why = job.hasPrefix("completed") ? "" : try await Self.text(api, "SELECT coalesce(error_message, '') || ' / logs: ' || right(coalesce(logs, ''), 1500) || ' / tasks: ' || coalesce((SELECT string_agg(status::text || ' retries ' || retries || ' ' || coalesce(result::text, ''), '; ') FROM celery_tasks WHERE related_type = 'training_job' AND related_id = \(id)), '') FROM training_jobs WHERE id = \(id)")
                #expect(job == "completed|12|100.00", "job \(id): \(job) \(why)")
                let rows = try await Self.text(api, "SELECT count(*) || '|' || count(DISTINCT epoch) || '|' || min(epoch) || '|' || max(epoch) FROM training_metrics WHERE training_job_id = \(id)")
                #expect(rows == "12|12|1|12", "job \(id): exactly one row per epoch: \(rows)")
            }
            #expect(try await Self.text(api, "SELECT count(*)::text FROM celery_tasks WHERE related_type = 'training_job'") == "2", "no job lost or duplicated")
            #expect(api.database.availability.outages >= 1)
        }
    }
}

/// How many pooled connections a test holds.
final class HeldCount: Sendable {
    let count = Mutex(0)
}
