import Hummingbird
import Logging
import PostgresNIO

/// `/healthz` (the process answers), `/readyz` (the database answers and every migration is
/// applied; 503 with what is missing otherwise).
public struct HealthRoutes: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    struct Health: Encodable, Sendable {
        let status: String
    }

    struct Readiness: Encodable, Sendable {
        let database: String
        let migrations: String
    }

    public func register(on router: Router<APIContext>) {
        router.get("/healthz") { _, context in
            try Envelope.success(Health(status: "ok"), context: context)
        }
        router.get("/readyz") { _, context in
            let migrator = Migrator(client: database.primary, logger: context.logger)
            let current: Bool
            do { current = try await migrator.isCurrent() } catch {
                context.logger.warning("readiness: database unreachable", metadata: ["error": .string(String(reflecting: error))])
                throw APIError(.serviceUnavailable, type: "not_ready", message: "Database unreachable")
            }
            guard current else {
                throw APIError(.serviceUnavailable, type: "not_ready", message: "Database migrations pending (run qf migrate up)")
            }
            return try Envelope.success(Readiness(database: "ok", migrations: "current"), context: context)
        }
    }
}
