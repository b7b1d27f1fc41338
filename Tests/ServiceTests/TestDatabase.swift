import Foundation
import Logging
import PostgresNIO
import Service

/// A database of its own on the project's local cluster (`.qf/pg`, started on first use) for one
/// test suite, so suites never see each other's rows; dropped when the suite's work is done.
enum TestDatabase {
    static let projectDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
    /// Errors only: pools log every cancelled connection attempt at info. `QF_TEST_LOG_LEVEL`
    /// (`debug`, `info`, `warning`, …) says more when a test must be traced.
    static let logger: Logger = {
        var logger = Logger(label: "qf.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["QF_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    /// Runs `body` with a client of a fresh database named after `suite`.
    static func with<T: Sendable>(_ suite: String, cluster own: LocalPostgres? = nil,
                                  _ body: @Sendable (PostgresClient, LocalPostgres, String) async throws -> T) async throws -> T {
        try await TestTrace.traced("creating its database") {
            let cluster = try own ?? LocalPostgres.ensureRunning(projectDirectory: projectDirectory)
            let name = "qf_test_\(suite.lowercased())_\(UInt32.random(in: 0...UInt32.max))"
            try await withClient(cluster, database: "postgres") { admin in
                try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            }
            do {
                let result = try await withClient(cluster, database: name) { client in
                    TestTrace.note("in the test body")
                    return try await body(client, cluster, name)
                }
                TestTrace.note("dropping its database")
                try await drop(name, cluster)
                return result
            } catch {
                TestTrace.note("dropping its database after \(error)")
                try? await drop(name, cluster)
                throw error
            }
        }
    }

    static func drop(_ name: String, _ cluster: LocalPostgres) async throws {
        try await withClient(cluster, database: "postgres") { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// A running client for `database`, shut down after `body`.
    @discardableResult
    static func withClient<T: Sendable>(_ cluster: LocalPostgres, database: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: cluster.configuration(database: database), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: logger) }
            defer {
                TestTrace.note("stopping its client's pool (\(database))")
                group.cancelAll()
            }
            return try await body(client)
        }
    }
}
