import Foundation
import Logging
import PostgresNIO

/// Applies and rolls back `Migration`s in order, each inside its own transaction with its version
/// recorded in `schema_migrations`, all under a PostgreSQL advisory lock: two processes migrating
/// at once take turns, and the second finds nothing left to do.
public struct Migrator: Sendable {
    public let client: PostgresClient
    public let migrations: [Migration]
    public let logger: Logger
    /// The advisory lock's key ("QFMIGRAT" in ASCII).
    static let lockKey: Int64 = 0x5146_4D49_4752_4154

    public init(client: PostgresClient, migrations: [Migration] = SchemaMigrations.all, logger: Logger) {
        precondition(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version }, "Migrator: versions must increase")
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// One migration's state.
    public struct Entry: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var applied: Bool
    }

    /// Every known migration and whether it is applied.
    public func status() async throws -> [Entry] {
        try await locked { connection in
            let applied = try await appliedVersions(connection)
            return migrations.map { Entry(version: $0.version, name: $0.name, applied: applied.contains($0.version)) }
        }
    }

    /// Applies every pending migration (up to `target` when given); returns the versions applied.
    @discardableResult
    public func up(to target: Int? = nil) async throws -> [Int] {
        try await locked { connection in
            let applied = try await appliedVersions(connection)
            var done: [Int] = []
            for m in migrations where !applied.contains(m.version) && m.version <= (target ?? .max) {
                try await run(m, statements: m.up, direction: "up", on: connection) {
                    try await connection.query("INSERT INTO schema_migrations (version, name) VALUES (\(m.version), \(m.name))", logger: logger)
                }
                done.append(m.version)
            }
            return done
        }
    }

    /// Rolls back the `count` most recent applied migrations (all with `.max`); returns the
    /// versions rolled back, newest first.
    @discardableResult
    public func down(count: Int = 1) async throws -> [Int] {
        try await locked { connection in
            let applied = try await appliedVersions(connection)
            var done: [Int] = []
            for m in migrations.reversed() where applied.contains(m.version) && done.count < count {
                try await run(m, statements: m.down, direction: "down", on: connection) {
                    try await connection.query("DELETE FROM schema_migrations WHERE version = \(m.version)", logger: logger)
                }
                done.append(m.version)
            }
            return done
        }
    }

    /// Whether every known migration is applied (`/readyz`).
    public func isCurrent() async throws -> Bool {
        try await status().allSatisfy(\.applied)
    }

    func run(_ m: Migration, statements: [String], direction: String, on connection: PostgresConnection,
             record: () async throws -> Void) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            for (i, sql) in statements.enumerated() {
                do { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) } catch {
                    throw MigrationError(version: m.version, name: m.name, direction: direction, statement: i + 1, reason: String(reflecting: error))
                }
            }
            try await record()
            try await connection.query("COMMIT", logger: logger)
            logger.info("migration \(direction)", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    func appliedVersions(_ connection: PostgresConnection) async throws -> Set<Int> {
        var versions = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
            versions.insert(version)
        }
        return versions
    }

    /// Runs `body` on one connection holding the advisory lock, with the version table present.
    func locked<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, logger: logger)
                let result = try await body(connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }
}

/// A migration statement that failed: which migration, which direction, which statement, why.
/// The migration's transaction was rolled back, so the schema is as before it.
public struct MigrationError: Error, CustomStringConvertible {
    public let version: Int
    public let name: String
    public let direction: String
    public let statement: Int
    public let reason: String

    public var description: String {
        "migration \(version) (\(name)) \(direction), statement \(statement): \(reason); rolled back"
    }
}
