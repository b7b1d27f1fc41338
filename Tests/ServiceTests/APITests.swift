import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Service
import Testing

/// The API's conventions over HummingbirdTesting against a real database: the envelopes, the
/// request id, unknown routes, a 500 that leaks nothing, health and readiness.
@Suite struct APITests {
    /// Runs `body` against the router on a database of its own (migrated when asked).
    static func withAPI(migrated: Bool, extraRoutes: @escaping @Sendable (Router<APIContext>) -> Void = { _ in },
                        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestAPI.with(migrated ? "api_ready" : "api_empty", migrated: migrated, extraRoutes: extraRoutes) { try await body($0.client) }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
    }

    @Test func healthAnswersInTheSuccessEnvelopeWithTheRequestID() async throws {
        try await Self.withAPI(migrated: true) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [EnvelopeMiddleware.requestIDField: "trace-42.a:b_c"]) { response in
                #expect(response.status == .ok && response.headers[EnvelopeMiddleware.requestIDField] == "trace-42.a:b_c")
                let body = try Self.json(response)
                #expect(body["success"] as? Bool == true && body["code"] as? Int == 200 && body["message"] as? String == "Success")
                #expect(body["request_id"] as? String == "trace-42.a:b_c" && (body["data"] as? [String: Any])?["status"] as? String == "ok")
                let timestamp = body["timestamp"] as? Int ?? 0
                #expect(abs(timestamp - Int(Date().timeIntervalSince1970)) < 60)
                #expect(Set(body.keys) == ["success", "data", "message", "code", "timestamp", "request_id"])
            }
            // An id with spaces (or too long) is replaced by a generated one, echoed the same way.
            for bad in ["has spaces", String(repeating: "x", count: 129), "semi;colon"] {
                try await client.execute(uri: "/healthz", method: .get, headers: [EnvelopeMiddleware.requestIDField: bad]) { response in
                    let id = response.headers[EnvelopeMiddleware.requestIDField] ?? ""
                    let echoed = try Self.json(response)["request_id"] as? String
                    #expect(id.hasPrefix("req_") && id.count == 28 && echoed == id)
                }
            }
        }
    }

    @Test func unknownRoutesAndFailuresUseTheErrorEnvelope() async throws {
        try await Self.withAPI(migrated: true, extraRoutes: { router in
            router.get("/boom") { _, _ -> String in throw CocoaError(.fileReadCorruptFile, userInfo: ["secret": "/etc/shadow"]) }
            router.get("/invalid") { _, _ -> String in throw APIError.validation([.init(field: "email", message: "Invalid email format")]) }
        }) { client in
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                let body = try Self.json(response)
                let error = body["error"] as? [String: Any] ?? [:]
                #expect(body["success"] as? Bool == false && error["code"] as? Int == 404 && error["type"] as? String == "not_found")
                #expect(Set(body.keys) == ["success", "error", "timestamp", "request_id"] && Set(error.keys) == ["code", "message", "type", "details"])
            }
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(text.contains("\"internal_error\"") && text.contains("Internal server error"))
                #expect(!text.contains("shadow") && !text.contains("Cocoa"), "a 500 never leaks internals")
            }
            try await client.execute(uri: "/invalid", method: .get) { response in
                #expect(response.status == .badRequest)
                let error = try Self.json(response)["error"] as? [String: Any] ?? [:]
                let details = error["details"] as? [[String: String]] ?? []
                #expect(error["type"] as? String == "validation_error" && details == [["field": "email", "message": "Invalid email format"]])
            }
        }
    }

    /// A documented path asked with a method it does not take: 405 with the methods it takes.
    @Test func aWrongMethodIs405WithAllow() async throws {
        try await Self.withAPI(migrated: true) { client in
            for (method, path, allow) in [(HTTPRequest.Method.trace, "/api/v1/strategies", "GET, POST"), (.patch, "/api/v1/strategies/7", "DELETE, GET, PUT"),
                                          (.delete, "/healthz", "GET"), (.put, "/api/v1/auth/login", "POST"), (.get, "/api/v1/strategies/7/start", "POST")] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path): \(response.headers[.allow] ?? "none")")
                    let error = try Self.json(response)["error"] as? [String: Any] ?? [:]
                    #expect(error["type"] as? String == "method_not_allowed")
                }
            }
            try await client.execute(uri: "/api/v1/strategies/7/nothing", method: .patch) { #expect($0.status == .notFound) }
        }
    }

    @Test func readinessNeedsTheDatabaseAndEveryMigration() async throws {
        try await Self.withAPI(migrated: true) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                let data = try Self.json(response)["data"] as? [String: String]
                #expect(response.status == .ok && data == ["database": "ok", "migrations": "current"])
            }
        }
        try await Self.withAPI(migrated: false) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let error = try Self.json(response)["error"] as? [String: Any] ?? [:]
                #expect(error["type"] as? String == "not_ready" && (error["message"] as? String ?? "").contains("migrations pending"))
            }
        }
    }

    @Test func theOpenAPIDocumentListsExactlyTheRegisteredRoutes() async throws {
        let settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": "postgres://nobody@/none?host=/nonexistent"], logger: TestDatabase.logger)
        let database = Database(settings: settings, logger: TestDatabase.logger)
        let router = APIServer.router(database: database, auth: await AuthService(settings: TestAPI.authSettings(), database: database),
                                      data: DataSettings(directory: "/nonexistent"))
        // Router paths write parameters as :name, OpenAPI as {name}.
        let registered = Set(router.routes.map { route -> String in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) /\(path)"
        })
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
        #expect(registered == documented, "only registered: \(registered.subtracting(documented)); only documented: \(documented.subtracting(registered))")
        let document = try JSONSerialization.jsonObject(with: OpenAPIDocument.json()) as? [String: Any] ?? [:]
        let pathCount = (document["paths"] as? [String: Any])?.count
        #expect(document["openapi"] as? String == "3.1.0" && pathCount == Set(OpenAPIDocument.operations.map(\.path)).count)
        // Served as plain JSON (not in the envelope).
        let app = Application(router: router, logger: TestDatabase.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                let version = try Self.json(response)["openapi"] as? String
                #expect(response.status == .ok && version == "3.1.0")
            }
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await Self.withAPI(migrated: true) { client in
            for _ in 0..<2 { try await client.execute(uri: "/healthz", method: .get) { _ in } }
            try await client.execute(uri: "/no/such/route/42", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                let lines = text.split(separator: "\n").map(String.init)
                func line(_ metric: String, _ labels: [String]) -> String? {
                    lines.first { $0.hasPrefix(metric + "{") && labels.allSatisfy($0.contains) }
                }
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(line("http_requests_total", ["route=\"/healthz\"", "status=\"200\"", "method=\"GET\""])?.hasSuffix(" 2") == true, "\(text)")
                #expect(line("http_requests_total", ["route=\"unmatched\"", "status=\"404\""])?.hasSuffix(" 1") == true, "ids never become labels")
                #expect(line("http_request_duration_seconds_count", ["route=\"/healthz\""])?.hasSuffix(" 2") == true)
            }
        }
    }

    @Test func metricsShowHowTheDatabasePoolsAreUsed() async throws {
        try await TestAPI.with("api_pools", separateReplica: true) { api in
            func gauge(_ text: String, _ name: String, _ labels: [String]) -> Int? {
                text.split(separator: "\n").first { $0.hasPrefix(name + "{") && labels.allSatisfy($0.contains) }
                    .flatMap { Double($0.split(separator: " ").last ?? "").map { Int($0) } }
            }
            func scrape() async throws -> String {
                try await api.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            }
            _ = try await api.call(.get, "/readyz")
            // A transaction held open on a primary connection shows as idle in transaction; once
            // it ends, the connection stays open and idle.
            try await api.database.primary.withTransaction(logger: TestDatabase.logger) { connection in
                try await connection.query("SELECT 1", logger: TestDatabase.logger)
                let during = try await scrape()
                #expect(gauge(during, "db_pool_connections", ["pool=\"primary\"", "state=\"idle_in_transaction\""]) == 1, "\(during)")
                #expect((gauge(during, "db_pool_connections", ["pool=\"primary\"", "state=\"open\""]) ?? 0) >= 2)
            }
            let after = try await scrape()
            #expect(gauge(after, "db_pool_connections", ["pool=\"primary\"", "state=\"idle_in_transaction\""]) == 0)
            #expect((gauge(after, "db_pool_connections", ["pool=\"primary\"", "state=\"idle\""]) ?? 0) >= 1)
            #expect((gauge(after, "db_pool_max_connections", ["pool=\"primary\""]) ?? 0) > 0)
            #expect(gauge(after, "db_pool_connect_failures", ["pool=\"replica\""]) == 0, "the replica pool is reported too")
        }
    }

    @Test func pagesCountTheirPages() {
        #expect(Page(items: [1, 2], total: 41, page: 3, size: 20).pages == 3)
        #expect(Page(items: [Int](), total: 0, page: 1, size: 20).pages == 0)
        #expect(Page(items: [1], total: 20, page: 1, size: 20).pages == 1)
    }
}
