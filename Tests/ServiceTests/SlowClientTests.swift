import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import Service
import Testing

/// Slow and greedy clients against a live server (issue 16): an oversized request line is a 414
/// and an oversized header block a 431, in the error envelope; half a head, a silent connection,
/// an idle keep-alive connection and a stalled upload body are all closed; a refused WebSocket
/// upgrade is a 401 in the envelope. The slow-client test's server runs with 1 s timeouts, the
/// others' with `TestAPI.liveClientLimits` (120 s); each wait is bounded by the raw connection's
/// patience (120 s), so a slow machine slows the tests and never fails them.
@Suite struct SlowClientTests {
    static var limits: HTTPLimits {
        var limits = HTTPLimits()
        limits.headerTimeout = .seconds(1)
        limits.idleTimeout = .seconds(1)
        return limits
    }

    /// What a test gets of the live server.
    struct Server: Sendable {
        var port: Int
        var auth: AuthService
        var sql: PostgresClient
    }

    func withServer(limits: HTTPLimits = TestAPI.liveClientLimits, auth tweak: @escaping @Sendable (inout AuthSettings) -> Void = { _ in }, _ body: @escaping @Sendable (Server) async throws -> Void) async throws {
        try await TestDatabase.with("slowclients") { sql, cluster, name in
            try await Migrator(client: sql, logger: TestDatabase.logger).up()
            let settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": cluster.url(database: name)], logger: TestDatabase.logger)
            let database = Database(settings: settings, logger: TestDatabase.logger)
            let auth = await AuthService(settings: TestAPI.authSettings(tweak), database: database)
            let data = DataSettings(directory: FileManager.default.temporaryDirectory.appendingPathComponent("qf-slow-\(UUID().uuidString)").path)
            let app = APIServer.application(database: database, auth: auth, data: data, logWriter: nil, worker: nil, events: settings.primaryConnection,
                                            host: "127.0.0.1", port: 0, limits: limits, logger: TestDatabase.logger)
            try await app.test(.live) { client in
                try await body(Server(port: try #require(client.port), auth: auth, sql: sql))
            }
        }
    }

    @Test func oversizedHeadsAreAnsweredAndClosed() async throws {
        try await withServer { server in let port = server.port
            // The issue's 100 KB URL, and one just over the 8 KB limit.
            for length in [100_000, 8_300] {
                let connection = try RawHTTPConnection(port: port)
                try await connection.send("GET /api/v1/strategies/?q=\(String(repeating: "a", count: length)) HTTP/1.1\r\nHost: test\r\n\r\n")
                let answer = try await connection.readUntilClosed()
                #expect(RawHTTPConnection.status(answer) == 414, "\(length)-byte URL: \(answer.prefix(80))")
                let error = RawHTTPConnection.body(answer)["error"] as? [String: Any]
                #expect(error?["type"] as? String == "uri_too_long" && error?["code"] as? Int == 414)
            }
            // One 40 KB header, and 150 small ones.
            for headers in ["X-Big: \(String(repeating: "b", count: 40_000))\r\n",
                            (0..<150).map { "X-Field-\($0): v\r\n" }.joined()] {
                let connection = try RawHTTPConnection(port: port)
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\(headers)\r\n")
                let answer = try await connection.readUntilClosed()
                #expect(RawHTTPConnection.status(answer) == 431, "\(answer.prefix(80))")
                #expect((RawHTTPConnection.body(answer)["error"] as? [String: Any])?["type"] as? String == "request_header_fields_too_large")
            }
        }
    }

    @Test func slowAndSilentClientsAreCutOff() async throws {
        try await withServer(limits: Self.limits) { server in let port = server.port
            // Half a head, then nothing: 408 and closed.
            let half = try RawHTTPConnection(port: port)
            try await half.send("GET /healthz HTTP/1.1\r\nHost: te")
            let halfAnswer = try await half.readUntilClosed()
            #expect(RawHTTPConnection.status(halfAnswer) == 408, "\(halfAnswer.prefix(80))")
            // Connected, nothing sent.
            let silent = try RawHTTPConnection(port: port)
            #expect(RawHTTPConnection.status(try await silent.readUntilClosed()) == 408)
            // A keep-alive connection idle after its answer is closed.
            let idle = try RawHTTPConnection(port: port)
            try await idle.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(RawHTTPConnection.status(try await idle.readResponse()) == 200)
            #expect(try await idle.readUntilClosed().isEmpty)
            // An upload whose body stops arriving: the connection is closed, not held.
            let stalled = try RawHTTPConnection(port: port)
            try await stalled.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"username\":")
            let stalledAnswer = try await stalled.readUntilClosed()
            #expect(RawHTTPConnection.status(stalledAnswer) != 200, "\(stalledAnswer.prefix(80))")
        }
    }

    @Test func requestsWithinTheLimitsKeepTheirConnection() async throws {
        try await withServer { server in let port = server.port
            // A body with a 20 KB line is body, not a request line: the guard follows
            // Content-Length, and the next request on the connection is answered.
            let connection = try RawHTTPConnection(port: port)
            let body = #"{"username": "\#(String(repeating: "u", count: 20_000))", "password": "not-this-one"}"#
            try await connection.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let first = try await connection.readResponse()
            #expect([400, 401, 422].contains(RawHTTPConnection.status(first) ?? 0), "\(first.prefix(80))")
            // A head sent in pieces, each well inside the timeout, still counts as one head.
            try await connection.send("GET /healthz HTTP/1.1\r\n")
            try await connection.send("Host: test\r\n\r\n")
            #expect(RawHTTPConnection.status(try await connection.readResponse()) == 200)
        }
    }

    @Test func refusedWebSocketUpgradesAre401InTheEnvelope() async throws {
        try await withServer { server in let port = server.port
            for path in [WebSocketRoutes.path, "\(WebSocketRoutes.path)?token=forged"] {
                let connection = try RawHTTPConnection(port: port)
                try await connection.send("GET \(path) HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                let answer = try await connection.readUntilClosed()
                #expect(RawHTTPConnection.status(answer) == 401, "\(path): \(answer.prefix(120))")
                let envelope = RawHTTPConnection.body(answer)
                #expect(envelope["success"] as? Bool == false && (envelope["error"] as? [String: Any])?["type"] as? String == "authentication_error", "\(envelope)")
                #expect(answer.lowercased().contains("www-authenticate: bearer"))
            }
        }
    }

    /// A login whose client leaves while it waits for bcrypt is dropped before hashing: no
    /// attempt is recorded for it, while the same login from a client that stays is.
    @Test func aLoginWhoseClientLeftIsNotHashed() async throws {
        try await withServer(auth: { $0.bcryptSlots = 1; $0.bcryptQueue = 4 }) { server in
            let gate = server.auth.hasher.gate
            let blocker = HashingGateTests.Blocker()
            async let holding: Void = gate.run(clientIsThere: { true }) { await blocker.hold() }
            try await HashingGateTests.eventually("the slot is held") { blocker.started.load(ordering: .sequentiallyConsistent) == 1 }
            let body = #"{"username": "ghost", "password": "not-a-password-1"}"#
            let login = "POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let leaving = try RawHTTPConnection(port: server.port)
            try await leaving.send(login)
            try await HashingGateTests.eventually("the login waits for bcrypt") { gate.load.waiting == 1 }
            leaving.finishSending()
            let clientPort = leaving.localPort
            try await HashingGateTests.eventually("the server saw the client leave") { ClientPresence.hasDeparted(clientPort: clientPort) }
            blocker.release()
            try await holding
            try await HashingGateTests.eventually("the waiter left the gate") { gate.load == (0, 0) }
            let staying = try RawHTTPConnection(port: server.port)
            try await staying.send(login)
            #expect(RawHTTPConnection.status(try await staying.readResponse()) == 401)
            let rows = try await server.sql.query("SELECT count(*)::int FROM login_attempts WHERE username = 'ghost'", logger: TestDatabase.logger)
            var count = -1
            for try await (value) in rows.decode(Int.self) { count = value }
            #expect(count == 1, "only the login whose client stayed was checked")
        }
    }
}
