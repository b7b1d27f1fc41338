import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Logging
import PostgresNIO
import RedisServer
@testable import Service
import Synchronization
import Testing

/// `WS /api/v1/ws` on a live server with its LISTEN connection: authentication at connect,
/// subscriptions only to one's own objects, and updates that arrive through PostgreSQL
/// NOTIFY — a strategy started over HTTP, an epoch recorded by a worker's claim.
@Suite struct WebSocketTests {
    /// Every text message the client received, as sent.
    final class Inbox: Sendable {
        let texts = Mutex<[String]>([])
        func add(_ text: String) { texts.withLock { $0.append(text) } }
        var all: [[String: Any]] {
            texts.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    /// How events travel in a run of the test.
    enum Transport: String, CaseIterable, Sendable {
        /// NOTIFY inside the writer's transaction, no Redis.
        case notify
        /// Redis pub/sub after commit.
        case redis
        /// Redis configured but killed once the server subscribed: NOTIFY carries the events.
        case redisDown
    }

    @Test(arguments: Transport.allCases) func subscribersGetTheirObjectsUpdatesAndNothingElse(transport: Transport) async throws {
        let redisServer = transport == .notify ? nil : try RedisServer()
        try await TestDatabase.with("websocket") { sql, cluster, name in
            try await Migrator(client: sql, logger: TestDatabase.logger).up()
            let settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": cluster.url(database: name)], logger: TestDatabase.logger)
            let data = DataSettings(directory: FileManager.default.temporaryDirectory.appendingPathComponent("qf-ws-\(UUID().uuidString)").path)
            let dependencies = await ServiceDependencies.build(
                ServiceConfiguration(database: settings, auth: TestAPI.authSettings(), data: data, redis: try redisServer.map { try RedisSessionTests.settings($0) },
                                     httpLimits: TestAPI.liveClientLimits),
                logger: TestDatabase.logger)
            defer { dependencies.close() }
            let database = dependencies.database, redis = dependencies.redis
            let app = APIServer.application(dependencies, logWriter: nil, worker: nil, host: "127.0.0.1", port: 0, logger: TestDatabase.logger)
            try await app.test(.live) { client in
                if let redis {
                    // Until the server's subscription is confirmed (the listener starts with the app).
                    for _ in 0..<6000 where !redis.isSubscribed { try await Task.sleep(for: .milliseconds(10)) }
                    #expect(redis.isSubscribed)
                    if transport == .redisDown { redisServer?.stop() }
                }
                @Sendable func call(_ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil, token: String? = nil) async throws -> [String: Any] {
                    var headers = HTTPFields()
                    if let token { headers[.authorization] = "Bearer \(token)" }
                    if json != nil { headers[.contentType] = "application/json" }
                    return try await client.execute(uri: uri, method: method, headers: headers, body: try json.map(TestAPI.body)) { try TestAPI.json($0) }
                }
                func signUp(_ username: String) async throws -> String {
                    _ = try await call(.post, "/api/v1/auth/register", json: ["username": username, "email": "\(username)@example.com", "password": "correct-horse-42"])
                    return try await call(.post, "/api/v1/auth/login", json: ["username": username, "password": "correct-horse-42"]).data["access_token"] as? String ?? ""
                }
                let alice = try await signUp("alice"), bob = try await signUp("bob")
                let mine = try await call(.post, "/api/v1/strategies", json: ["name": "mine", "strategy_type": "algorithmic_trading"], token: alice).data["id"] as? Int ?? 0
                let theirs = try await call(.post, "/api/v1/strategies", json: ["name": "theirs", "strategy_type": "algorithmic_trading"], token: bob).data["id"] as? Int ?? 0
                // A training job of Alice's, its task claimed as a worker would.
                let jobID = try await Self.insertJob(sql, strategyID: mine)
                let queue = TaskQueue(client: database.primary)
                try await queue.enqueue(NewTask(name: "train", queue: "training", relatedType: .trainingJob, relatedID: jobID), logger: TestDatabase.logger)
                let claim = try #require(try await queue.claim(worker: "ws-test", queues: ["training"], limit: 1, logger: TestDatabase.logger).first)

                let inbox = Inbox()
                try await client.ws("\(WebSocketRoutes.path)?token=\(alice)") { inbound, outbound, _ in
                  // A lost notification must fail the test, not hang it.
                  try await Self.withTimeout(.seconds(60)) {
                    var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                    func next() async throws -> [String: Any] {
                        guard case .text(let text)? = try await messages.next() else { return [:] }
                        inbox.add(text)
                        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
                    }
                    try await outbound.write(.text(#"{"type": "subscribe", "channel": "strategy_status", "strategy_id": \#(mine)}"#))
                    #expect(try await next()["type"] as? String == "subscribed")
                    try await outbound.write(.text(#"{"type": "subscribe", "channel": "strategy_status", "strategy_id": \#(theirs)}"#))
                    let refused = try await next()
                    #expect(refused["type"] as? String == "error" && (refused["message"] as? String ?? "").contains("not found"), "someone else's strategy")
                    try await outbound.write(.text(#"{"type": "subscribe", "channel": "training_job", "job_id": \#(jobID)}"#))
                    #expect(try await next()["type"] as? String == "subscribed")
                    try await outbound.write(.text("not json"))
                    #expect(try await next()["type"] as? String == "error")

                    // Changes made elsewhere arrive through NOTIFY.
                    _ = try await call(.post, "/api/v1/strategies/\(mine)/start", token: alice)
                    _ = try await call(.post, "/api/v1/strategies/\(theirs)/start", token: bob)
                    let status = try await next()
                    let statusData = status["data"] as? [String: Any]
                    #expect(status["type"] as? String == "status" && statusData?["strategy_id"] as? Int == mine && statusData?["status"] as? String == "active")
                    try await TrainingJobStore(database: database).recordEpoch(jobID, epoch: 1, step: 1, metrics: .object(["loss": .double(0.125)]), best: nil,
                                                                              totalEpochs: 4, logLine: "epoch 1", claim: claim.key, logger: TestDatabase.logger)
                    let progress = try await next()
                    let progressData = progress["data"] as? [String: Any]
                    #expect(progress["type"] as? String == "training_progress" && progressData?["job_id"] as? Int == jobID)
                    #expect(progressData?["progress"] as? Double == 25 && progressData?["current_epoch"] as? Int == 1)
                    #expect((progressData?["metrics"] as? [String: Any])?["loss"] as? Double == 0.125)
                    try await outbound.close(.normalClosure, reason: nil)
                  }
                }
                #expect(!inbox.all.contains { ($0["data"] as? [String: Any])?["strategy_id"] as? Int == theirs }, "Bob's strategy never reaches Alice")
                switch transport {
                case .notify: break
                case .redis: #expect((redis?.published ?? 0) >= 3, "the status changes and the epoch went over Redis")
                case .redisDown: #expect(redis?.published == 0 && (redis?.fallbacks ?? 0) >= 1, "NOTIFY carried them")
                }

                // No token, or a bad one: no upgrade.
                for path in [WebSocketRoutes.path, "\(WebSocketRoutes.path)?token=forged"] {
                    let refused = await #expect(throws: (any Error).self) {
                        try await client.ws(path) { _, _, _ in }
                    }
                    #expect(refused != nil)
                }
            }
        }
    }

    struct TimedOut: Error {}

    /// Runs `body`, or throws `TimedOut` after `limit`.
    static func withTimeout(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TimedOut()
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func insertJob(_ sql: PostgresClient, strategyID: Int) async throws -> Int {
        var id = 0
        for try await value in try await sql.query("""
            INSERT INTO training_jobs (name, status, total_epochs, config, strategy_id, user_id)
            VALUES ('ws', 'running', 4, '{}', \(strategyID), (SELECT owner_id FROM strategies WHERE id = \(strategyID))) RETURNING id
            """, logger: TestDatabase.logger).decode(Int.self) { id = value }
        return id
    }
}

/// The hub's fan-out: only subscribers of a key get its events, and a subscriber that does not
/// read is cut off when its outbox is full instead of holding anyone up.
@Suite struct EventHubTests {
    @Test func eventsReachSubscribersAndASlowOneIsDropped() async {
        let hub = EventHub(capacity: 3)
        let fast = hub.register(userID: 1), slow = hub.register(userID: 2), other = hub.register(userID: 3)
        fast.subscribe("training_job:7")
        slow.subscribe("training_job:7")
        other.subscribe("training_job:8")
        var fastReceived: [String] = []
        var iterator = fast.messages.makeAsyncIterator()
        for n in 0..<10 {
            let delivered = hub.publish("m\(n)", to: "training_job:7")
            // The slow subscriber takes 3 then overflows on the 4th and is finished.
            #expect(delivered == (n < 3 ? 2 : 1), "event \(n)")
            if let message = await iterator.next() { fastReceived.append(message) }
        }
        #expect(fastReceived == (0..<10).map { "m\($0)" })
        var slowReceived: [String] = []
        for await message in slow.messages { slowReceived.append(message) }
        #expect(slowReceived == ["m0", "m1", "m2"], "its stream ends after what fitted")
        fast.unsubscribe("training_job:7")
        #expect(hub.publish("late", to: "training_job:7") == 0 && hub.publish("x", to: "training_job:8") == 1)
        hub.remove(other)
        #expect(hub.count == 2)
    }
}
