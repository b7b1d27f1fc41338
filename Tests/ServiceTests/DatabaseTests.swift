import Foundation
import Logging
import PostgresNIO
@testable import Service
import Testing

/// The pools: reads go to the replica when one is configured (proved by the name each pool gives
/// the server), and system_logs partitions are created ahead of the month.
@Suite struct DatabaseTests {
    static let logger = TestDatabase.logger

    static func servedBy(_ client: PostgresClient) async throws -> String {
        var name = ""
        for try await value in try await client.query("SELECT current_setting('application_name')", logger: logger).decode(String.self) { name = value }
        return name
    }

    @Test func readsGoToTheReplicaWhenOneIsConfigured() async throws {
        try await TestDatabase.with("replica") { _, cluster, name in
            // Both URLs point at one server, as the issue asks: the pool that answers says which it is.
            let url = cluster.url(database: name)
            let both = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": url, "DATABASE_READ_URL": url], logger: Self.logger)
            let primaryOnly = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": url], logger: Self.logger)
            for (settings, expectedReader) in [(both, Database.replicaName), (primaryOnly, Database.primaryName)] {
                // Names are "<pool>/<instance>"; the pool part says who served.
                let db = Database(settings: settings, logger: Self.logger)
                let (reader, writer) = try await withThrowingTaskGroup(of: Void.self) { group -> (String, String) in
                    group.addTask { await db.run() }
                    defer { group.cancelAll() }
                    return (try await Self.servedBy(db.reader), try await Self.servedBy(db.primary))
                }
                #expect(reader == "\(expectedReader)/\(db.instanceID)" && writer == "\(Database.primaryName)/\(db.instanceID)")
            }
            #expect(both.description == url && both.replica != nil && primaryOnly.replica == nil)
        }
    }

    @Test func logPartitionsAreCreatedAheadOfTheMonth() async throws {
        try await TestDatabase.with("partitions") { client, _, _ in
            try await Migrator(client: client, logger: Self.logger).up()
            let names = try await SystemLogPartitions.ensure(on: client, around: "'2031-12-15'", logger: Self.logger)
            #expect(names == ["system_logs_y2031m12", "system_logs_y2032m01"])
            // Idempotent, and rows of those months land in them, not in the default partition.
            try await SystemLogPartitions.ensure(on: client, around: "'2031-12-15'", logger: Self.logger)
            try await client.query("INSERT INTO system_logs (level, message, created_at) VALUES ('WARNING', 'later', '2032-01-31 23:59:59')", logger: Self.logger)
            var table = ""
            for try await t in try await client.query("SELECT tableoid::regclass::text FROM system_logs WHERE message = 'later'", logger: Self.logger).decode(String.self) { table = t }
            #expect(table == "system_logs_y2032m01")
        }
    }

    @Test func badDatabaseURLsNameTheirProblem() async throws {
        await #expect(throws: DatabaseURL.ParseError.self) {
            _ = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": "mysql://x@y/z"], logger: Self.logger)
        }
        let tls = try DatabaseURL("postgres://u:p@db.example.com:6432/app?sslmode=verify-full").clientConfiguration()
        #expect(tls.host == "db.example.com" && tls.port == 6432 && tls.database == "app")
        #expect(throws: DatabaseURL.ParseError.self) { _ = try DatabaseURL("postgres://u@h/app?sslmode=sometimes").clientConfiguration() }
    }
}
