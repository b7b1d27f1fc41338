import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import PostgresNIO
import RedisServer
@testable import Service
import Testing

/// Two servers on one database and one Redis: a change made through server A reaches a WebSocket
/// client of server B over Redis pub/sub, and a session opened on A is checked from Redis on B.
@Suite struct RedisFanOutTests {
    @Test func aChangeMadeOnOneServerReachesTheOthersWebSocketOverRedis() async throws {
        let redisServer = try RedisServer()
        try await TestDatabase.with("redis_fanout") { sql, cluster, name in
            try await Migrator(client: sql, logger: TestDatabase.logger).up()
            let settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": cluster.url(database: name)], logger: TestDatabase.logger)
            let data = DataSettings(directory: FileManager.default.temporaryDirectory.appendingPathComponent("qf-fanout-\(UUID().uuidString)").path)
            let configuration = ServiceConfiguration(database: settings, auth: TestAPI.authSettings(), data: data, redis: try RedisSessionTests.settings(redisServer),
                                                     httpLimits: TestAPI.liveClientLimits)
            let serverA = await ServiceDependencies.build(configuration, logger: TestDatabase.logger)
            let serverB = await ServiceDependencies.build(configuration, logger: TestDatabase.logger)
            defer { serverA.close(); serverB.close() }
            let appA = APIServer.application(serverA, logWriter: nil, worker: nil, host: "127.0.0.1", port: 0, logger: TestDatabase.logger)
            let appB = APIServer.application(serverB, logWriter: nil, worker: nil, host: "127.0.0.1", port: 0, logger: TestDatabase.logger)
            try await appA.test(.live) { clientA in
                try await appB.test(.live) { clientB in
                    for _ in 0..<6000 where !(serverA.redis?.isSubscribed ?? false) || !(serverB.redis?.isSubscribed ?? false) {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    #expect(serverA.redis?.isSubscribed == true && serverB.redis?.isSubscribed == true)
                    @Sendable func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil,
                                        token: String? = nil) async throws -> [String: Any] {
                        var headers = HTTPFields()
                        if let token { headers[.authorization] = "Bearer \(token)" }
                        if json != nil { headers[.contentType] = "application/json" }
                        return try await client.execute(uri: uri, method: method, headers: headers, body: try json.map(TestAPI.body)) { try TestAPI.json($0) }
                    }
                    _ = try await call(clientA, .post, "/api/v1/auth/register", json: ["username": "fay", "email": "fay@example.com", "password": "correct-horse-42"])
                    let token = try await call(clientA, .post, "/api/v1/auth/login", json: ["username": "fay", "password": "correct-horse-42"]).data["access_token"] as? String ?? ""
                    // The session opened on A is answered on B (from Redis after B's first check).
                    #expect(try await call(clientB, .get, "/api/v1/users/me", token: token).data["username"] as? String == "fay")
                    let strategy = try await call(clientA, .post, "/api/v1/strategies", json: ["name": "s", "strategy_type": "algorithmic_trading"],
                                                  token: token).data["id"] as? Int ?? 0
                    let published = serverA.redis?.published ?? 0
                    try await clientB.ws("\(WebSocketRoutes.path)?token=\(token)") { inbound, outbound, _ in
                        try await WebSocketTests.withTimeout(.seconds(60)) {
                            var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                            func next() async throws -> [String: Any] {
                                guard case .text(let text)? = try await messages.next() else { return [:] }
                                return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
                            }
                            try await outbound.write(.text(#"{"type": "subscribe", "channel": "strategy_status", "strategy_id": \#(strategy)}"#))
                            #expect(try await next()["type"] as? String == "subscribed")
                            _ = try await call(clientA, .post, "/api/v1/strategies/\(strategy)/start", token: token)
                            let status = try await next()
                            let data = status["data"] as? [String: Any]
                            #expect(status["type"] as? String == "status" && data?["strategy_id"] as? Int == strategy && data?["status"] as? String == "active")
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                    }
                    #expect((serverA.redis?.published ?? 0) > published, "A published the change on Redis")
                    #expect(serverA.redis?.fallbacks == 0 && serverB.redis?.fallbacks == 0)
                }
            }
        }
    }
}
