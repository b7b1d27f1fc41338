import Foundation
import Logging
import PostgresNIO
@testable import Service
import Testing

/// The seed's schema through the migrations, on a real PostgreSQL: every table, enum, index and
/// trigger present after `up`, nothing left after `down`, `up` again; two migrators at once;
/// a failing migration rolled back whole.
@Suite struct MigrationTests {
    /// The newest schema version (SchemaMigrations.all is numbered 1...latest).
    static let latest = SchemaMigrations.all.count
    static let logger = TestDatabase.logger

    static func names(_ client: PostgresClient, _ sql: String) async throws -> Set<String> {
        var out = Set<String>()
        for try await name in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) { out.insert(name) }
        return out
    }

    static func tables(_ c: PostgresClient) async throws -> Set<String> {
        try await names(c, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
    }

    static func types(_ c: PostgresClient) async throws -> Set<String> {
        try await names(c, "SELECT typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'")
    }

    static func indexes(_ c: PostgresClient) async throws -> Set<String> {
        try await names(c, "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'")
    }

    static func triggers(_ c: PostgresClient) async throws -> Set<String> {
        try await names(c, "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal")
    }

    @Test func theSchemaMigratesUpDownAndUpAgain() async throws {
        try await TestDatabase.with("migrations") { client, _, _ in
            let migrator = Migrator(client: client, logger: Self.logger)
            #expect(try await migrator.up() == Array(1...Self.latest))
            let month = { (offset: Int) -> String in
                let d = Calendar(identifier: .gregorian).date(byAdding: .month, value: offset, to: Date())!
                var utc = Calendar(identifier: .gregorian)
                utc.timeZone = TimeZone(identifier: "UTC")!
                let c = utc.dateComponents([.year, .month], from: d)
                return String(format: "system_logs_y%04dm%02d", c.year!, c.month!)
            }
            let tables = try await Self.tables(client)
            for t in ["users", "user_sessions", "strategies", "strategy_versions", "datasets", "training_jobs", "training_metrics",
                      "evaluations", "system_logs", "system_logs_default", month(0), month(1), "celery_tasks", "schema_migrations", "login_attempts", "user_session_rotated_tokens"] {
                #expect(tables.contains(t), "table \(t)")
            }
            #expect(try await Self.types(client) == ["strategy_type", "strategy_status", "dataset_status", "training_status", "evaluation_type",
                                                    "evaluation_status", "log_level", "task_status"])
            let indexes = try await Self.indexes(client)
            for i in ["idx_users_username", "idx_sessions_expires", "idx_strategies_tags", "idx_strategies_config", "idx_datasets_columns",
                      "idx_training_jobs_session", "idx_training_metrics_epoch", "idx_evaluations_status", "idx_system_logs_module",
                      "idx_celery_tasks_related", "training_metrics_job_epoch_key",
                      "idx_login_attempts_username", "users_username_lower_key", "idx_system_logs_message_search"] {
                #expect(indexes.contains(i), "index \(i)")
            }
            #expect(try await Self.triggers(client).isSuperset(of: ["update_users_updated_at", "update_strategies_updated_at",
                                                                     "update_training_jobs_updated_at", "update_datasets_updated_at"]))

            // The schema works: a user, a strategy, updated_at moves, constraints hold, a log row
            // of any date lands in some partition.
            try await client.query("INSERT INTO users (username, email, hashed_password) VALUES ('ada', 'ada@example.com', 'x')", logger: Self.logger)
            try await client.query("UPDATE users SET updated_at = '2000-01-01' WHERE username = 'ada'", logger: Self.logger)
            let moved = try await Self.names(client, "SELECT (updated_at > '2001-01-01')::text FROM users")
            #expect(moved == ["true"], "the trigger sets updated_at on every update")
            await #expect(throws: (any Error).self) {
                try await client.query("INSERT INTO strategies (name, strategy_type, sharpe_ratio) VALUES ('s', 'algorithmic_trading', 11)", logger: Self.logger)
            }
            try await client.query("INSERT INTO system_logs (level, message, created_at) VALUES ('ERROR', 'old', '1999-05-01'), ('INFO', 'now', now())", logger: Self.logger)
            #expect(try await Self.names(client, "SELECT tableoid::regclass::text FROM system_logs WHERE message = 'old'") == ["system_logs_default"])
            #expect(try await Self.names(client, "SELECT tableoid::regclass::text FROM system_logs WHERE message = 'now'") == [month(0)])

            let allApplied = try await migrator.status().allSatisfy(\.applied), current = try await migrator.isCurrent()
            #expect(allApplied && current)
            #expect(try await migrator.down(count: .max) == Array((1...Self.latest).reversed()))
            let left = try await Self.tables(client), leftTypes = try await Self.types(client)
            #expect(left == ["schema_migrations"] && leftTypes.isEmpty, "\(left) \(leftTypes)")
            #expect(try await migrator.status().allSatisfy { !$0.applied })
            #expect(try await migrator.up() == Array(1...Self.latest))
            let rolledBack = try await migrator.down(count: 2), currentAfter = try await migrator.isCurrent()
            #expect(rolledBack == [Self.latest, Self.latest - 1] && !currentAfter)
            #expect(try await migrator.up(to: Self.latest - 1) == [Self.latest - 1])
        }
    }

    @Test func twoMigratorsAtOnceTakeTurns() async throws {
        try await TestDatabase.with("concurrent") { client, cluster, name in
            try await TestDatabase.withClient(cluster, database: name) { other in
                async let a = Migrator(client: client, logger: Self.logger).up()
                async let b = Migrator(client: other, logger: Self.logger).up()
                let (first, second) = try await (a, b)
                // One applied everything, the other found nothing to do.
                #expect([first, second].sorted { $0.count < $1.count } == [[], Array(1...Self.latest)])
            }
        }
    }

    @Test func twoQfMigrateProcessesAtOnceTakeTurns() async throws {
        try await TestDatabase.with("processes") { client, cluster, name in
            #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
            let environment = ["DATABASE_URL": cluster.url(database: name)]
            let first = try ProcessRunner.start(["migrate", "up"], environment: environment)
            let second = try ProcessRunner.start(["migrate", "up"], environment: environment)
            let results = [await first(), await second()]
            #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.output))")
            let all = "applied " + (1...Self.latest).map(String.init).joined(separator: ", ")
            #expect(results.map { $0.output.contains(all) ? "all" : $0.output.contains("nothing to apply") ? "none" : $0.output }.sorted() == ["all", "none"],
                    "one process applied everything, the other waited for the lock and found nothing to do")
            #expect(try await Migrator(client: client, logger: Self.logger).isCurrent())
        }
    }

    @Test func aFailingMigrationIsRolledBackWhole() async throws {
        try await TestDatabase.with("failing") { client, _, _ in
            let broken = Migration(version: Self.latest + 1, name: "broken", up: ["CREATE TABLE half_done (id INT)", "CREATE TABLE nope (id NOT_A_TYPE)"], down: [])
            let migrator = Migrator(client: client, migrations: SchemaMigrations.all + [broken], logger: Self.logger)
            do {
                try await migrator.up()
                Issue.record("the broken migration applied")
            } catch let error as MigrationError {
                #expect(error.version == Self.latest + 1 && error.statement == 2 && error.description.contains("rolled back"))
            }
            // Every real migration committed, the broken one's first statement undone with it.
            #expect(!(try await Self.tables(client).contains("half_done")))
            #expect(try await migrator.status().filter(\.applied).map(\.version) == Array(1...Self.latest))
        }
    }
}
