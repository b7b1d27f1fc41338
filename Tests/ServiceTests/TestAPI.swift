import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
@testable import Service

/// The whole router on a database of its own, driven through HummingbirdTesting: what every
/// HTTP test suite runs against. Auth uses a fixed test secret, bcrypt cost 4 (the minimum; the
/// algorithm is the same, only faster) and trusts `X-Forwarded-For` so tests can vary the IP.
enum TestAPI {
    /// Everything a test may need beside the HTTP client.
    struct Harness: Sendable {
        let client: any TestClientProtocol
        let database: Database
        let auth: AuthService
        let sql: PostgresClient
        /// The read replica's own database when the suite asked for a separate one.
        let replicaSQL: PostgresClient?
        /// A data folder of the suite's own (uploads and bar files), removed afterwards.
        let data: DataSettings
        let settings: DatabaseSettings
        /// The suite's Redis, when it asked for one.
        let redis: RedisLink?

        /// A worker with every handler on the suite's database and data folder, polling every `pollInterval`.
        /// A worker with the service's handlers on the suite's database (`lease` and `backoff` in
        /// seconds, the defaults when nil).
        func worker(pollInterval: Duration, lease: Double? = nil, backoff: Double? = nil) -> Worker {
            var timing = QueueTiming()
            if let lease { timing.leaseSeconds = lease }
            if let backoff { timing.backoffBaseSeconds = backoff }
            return ServiceWorkers.make(database: database, settings: settings, data: data, pollInterval: pollInterval, timing: timing, logger: TestDatabase.logger)
        }
    }

    static let secret = "test-secret-test-secret-test-secret-0123"

    /// HTTP limits no busy machine reaches, for a live server whose tests are not about them.
    /// HummingbirdTesting's client opens its one connection as the server starts and never
    /// reconnects, and a test may first wait (for a Redis subscription, say) longer than the 20 s
    /// head timeout: the server would close the connection under it ("I/O on closed channel").
    /// With 1 s, a raw-socket test delayed a second between connecting and sending saw the same.
    /// The limits themselves are SlowClientTests' business.
    static var liveClientLimits: HTTPLimits {
        var limits = HTTPLimits()
        limits.headerTimeout = .seconds(120)
        limits.idleTimeout = .seconds(120)
        return limits
    }

    static func authSettings(_ tweak: (inout AuthSettings) -> Void = { _ in }) -> AuthSettings {
        var settings = AuthSettings(signingKey: .init(kid: "test1", secret: secret))
        settings.bcryptCost = 4
        settings.trustForwardedFor = true
        tweak(&settings)
        return settings
    }

    /// With `separateReplica`, `DATABASE_READ_URL` names a second migrated database, so a test
    /// can tell from the rows it gets back which pool served a read.
    static func with(_ suite: String, migrated: Bool = true, separateReplica: Bool = false,
                     auth tweak: @escaping @Sendable (inout AuthSettings) -> Void = { _ in },
                     extraRoutes: @escaping @Sendable (Router<APIContext>) -> Void = { _ in }, cors: CORSPolicy = .sameOriginOnly,
                     redis: RedisSettings? = nil, deadlineClock: ManualClock? = nil, _ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
        guard separateReplica else {
            return try await with(suite, migrated: migrated, replica: nil, auth: tweak, extraRoutes: extraRoutes, cors: cors, redis: redis, deadlineClock: deadlineClock, body)
        }
        try await TestDatabase.with(suite + "_replica") { replicaSQL, cluster, name in
            try await Migrator(client: replicaSQL, logger: TestDatabase.logger).up()
            try await with(suite, migrated: migrated, replica: (replicaSQL, cluster.url(database: name)), auth: tweak, extraRoutes: extraRoutes, body)
        }
    }

    /// `cluster`: a cluster of the test's own (an outage test stops it) instead of the shared one.
    /// `deadlineClock`: the clock the request deadline runs on (a test's own, to decide exactly
    /// when it passes), else the real one.
    static func with(_ suite: String, migrated: Bool, replica: (PostgresClient, String)?, auth tweak: @escaping @Sendable (inout AuthSettings) -> Void,
                     extraRoutes: @escaping @Sendable (Router<APIContext>) -> Void, cluster own: LocalPostgres? = nil, cors: CORSPolicy = .sameOriginOnly,
                     redis redisSettings: RedisSettings? = nil, deadlineClock: ManualClock? = nil,
                     _ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
        try await TestDatabase.with(suite, cluster: own) { sql, cluster, name in
            if migrated { try await Migrator(client: sql, logger: TestDatabase.logger).up() }
            var environment = ["DATABASE_URL": cluster.url(database: name)]
            if let replica { environment["DATABASE_READ_URL"] = replica.1 }
            var configured = try await DatabaseSettings.resolve(environment: environment, logger: TestDatabase.logger)
            // Suites run in parallel on one cluster: small pools keep them within its connections.
            configured.primary.options.maximumConnections = 6
            configured.replica?.options.maximumConnections = 6
            let settings = configured
            let data = DataSettings(directory: FileManager.default.temporaryDirectory.appendingPathComponent("qf-data-\(UUID().uuidString)").path,
                                    maxUploadBytes: 256 * 1024)
            defer { try? FileManager.default.removeItem(atPath: data.directory) }
            // The service as qf serve builds it: the composition root over this suite's settings.
            let dependencies = await ServiceDependencies.build(
                ServiceConfiguration(database: settings, auth: authSettings(tweak), data: data, redis: redisSettings, cors: cors), logger: TestDatabase.logger)
            defer { dependencies.close() }
            let database = dependencies.database, auth = dependencies.auth, redis = dependencies.redis
            let router = APIServer.router(dependencies)
            extraRoutes(router)
            /// Serves the router behind `responder`, as `qf serve` does.
            func serve<Responder: HTTPResponderBuilder>(_ responder: Responder) async throws where Responder.Responder.Context == APIContext {
                let app = Application(router: responder, logger: TestDatabase.logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await database.run() }
                    defer {
                        TestTrace.note("stopping the service's pools (Database.run)")
                        group.cancelAll()
                    }
                    try await app.test(.router) { client in
                        TestTrace.note("in the test body")
                        try await body(Harness(client: ValidatingClient(inner: client), database: database, auth: auth, sql: sql, replicaSQL: replica?.0,
                                               data: data, settings: settings, redis: redis))
                        TestTrace.note("stopping the test application (app.test)")
                    }
                }
            }
            if let deadlineClock {
                try await serve(APIServer.responder(router, dependencies, clock: deadlineClock))
            } else {
                try await serve(APIServer.responder(router, dependencies))
            }
        }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }
}

extension TestAPI.Harness {
    /// Sends a request (a JSON body when given, a bearer token when given) and returns status,
    /// headers and the decoded body.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil, token: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: [String: Any]) {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        let body = try json.map(TestAPI.body)
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            (response.status, response.headers, try TestAPI.json(response))
        }
    }

    /// Registers `username` (password `correct-horse-42`) and logs in; returns the tokens.
    func signUp(_ username: String, superuser: Bool = false) async throws -> (access: String, refresh: String, id: Int) {
        let registered = try await call(.post, "/api/v1/auth/register",
                                        json: ["username": username, "email": "\(username)@example.com", "password": "correct-horse-42"])
        guard registered.status == .created, let id = (registered.body["data"] as? [String: Any])?["id"] as? Int else {
            throw TestFailure("register \(username): \(registered.status) \(registered.body)")
        }
        if superuser { try await sql.query("UPDATE users SET is_superuser = true WHERE id = \(id)", logger: TestDatabase.logger) }
        let login = try await call(.post, "/api/v1/auth/login", json: ["username": username, "password": "correct-horse-42"])
        guard let data = login.body["data"] as? [String: Any], let access = data["access_token"] as? String,
              let refresh = data["refresh_token"] as? String else { throw TestFailure("login \(username): \(login.status) \(login.body)") }
        return (access, refresh, id)
    }
}

/// A test's own failure with a message (for helpers that cannot `#expect`).
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension [String: Any] {
    /// The envelope's `data` object.
    var data: [String: Any] { self["data"] as? [String: Any] ?? [:] }
    /// The error envelope's `error` object.
    var error: [String: Any] { self["error"] as? [String: Any] ?? [:] }
    /// The fields named in the error's details.
    var errorFields: [String] { (error["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }
}
