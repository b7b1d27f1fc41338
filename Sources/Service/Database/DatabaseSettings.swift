import Foundation
import Logging
import NIOSSL
import PostgresNIO

extension DatabaseURL {
    /// The client configuration for this URL: a unix socket when `host` is a folder, else TCP
    /// with TLS as `sslmode` asks (libpq's default `prefer` when absent; `require` and the
    /// `verify-*` modes refuse to connect without it, and only `verify-full` checks the host name).
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        if isUnixSocket {
            return PostgresClient.Configuration(unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        let tls: PostgresClient.Configuration.TLS
        switch parameters["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "allow", "prefer":
            tlsConfiguration.certificateVerification = .none
            tls = .prefer(tlsConfiguration)
        case "require":
            tlsConfiguration.certificateVerification = .none
            tls = .require(tlsConfiguration)
        case "verify-ca":
            tlsConfiguration.certificateVerification = .noHostnameVerification
            tls = .require(tlsConfiguration)
        case "verify-full": tls = .require(tlsConfiguration)
        case let other:
            throw ParseError(url: "postgres://\(user)@\(host):\(port)/\(database)", reason: "sslmode '\(other)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// A single connection's configuration for this URL (the worker's dedicated LISTEN
    /// connection), with the same TLS mode as the pools.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if isUnixSocket {
            return PostgresConnection.Configuration(unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        let tls: PostgresConnection.Configuration.TLS
        switch parameters["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "allow", "prefer":
            tlsConfiguration.certificateVerification = .none
            tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
        case "require":
            tlsConfiguration.certificateVerification = .none
            tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
        case "verify-ca":
            tlsConfiguration.certificateVerification = .noHostnameVerification
            tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
        default: tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}

/// Where the service's databases are: `DATABASE_URL` (and `DATABASE_READ_URL` for a read
/// replica) when set, else the project's own cluster under `.qf/pg` with a `quantforge` database,
/// created on first use.
public struct DatabaseSettings: Sendable {
    public var primary: PostgresClient.Configuration
    public var replica: PostgresClient.Configuration?
    /// The primary for a single dedicated connection (LISTEN).
    public var primaryConnection: PostgresConnection.Configuration
    /// Where the primary is, for logs (the password redacted).
    public var description: String

    public static let localDatabaseName = "quantforge"

    /// `QF_DB_POOL_SIZE` caps each pool (primary, replica) of this process: a worker holds its
    /// LISTEN connection plus up to this many (default 20, PostgresNIO's own), so many workers
    /// on one database are sized by it (see docs/cluster.md).
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment,
                               projectDirectory: String = FileManager.default.currentDirectoryPath, logger: Logger) async throws -> DatabaseSettings {
        let poolSize = try Self.poolSize(environment)
        var settings: DatabaseSettings
        if let text = environment["DATABASE_URL"], !text.isEmpty {
            let url = try DatabaseURL(text)
            let replica = try environment["DATABASE_READ_URL"].flatMap { $0.isEmpty ? nil : try DatabaseURL($0).clientConfiguration() }
            settings = DatabaseSettings(primary: try url.clientConfiguration(), replica: replica, primaryConnection: try url.connectionConfiguration(),
                                        description: DatabaseURL.redacted(text))
        } else {
            let cluster = try LocalPostgres.ensureRunning(projectDirectory: projectDirectory)
            try await cluster.createDatabaseIfMissing(localDatabaseName, logger: logger)
            settings = DatabaseSettings(primary: cluster.configuration(database: localDatabaseName), replica: nil,
                                        primaryConnection: cluster.connectionConfiguration(database: localDatabaseName),
                                        description: cluster.url(database: localDatabaseName))
        }
        if let poolSize {
            settings.primary.options.maximumConnections = poolSize
            settings.replica?.options.maximumConnections = poolSize
        }
        return settings
    }

    /// `QF_DB_POOL_SIZE`: 1 to 1,000 connections per pool; nil when unset.
    static func poolSize(_ environment: [String: String]) throws -> Int? {
        guard let text = environment["QF_DB_POOL_SIZE"], !text.isEmpty else { return nil }
        guard let size = Int(text), (1...1_000).contains(size) else {
            throw Invalid(description: "QF_DB_POOL_SIZE: connections per pool, 1 to 1000, got '\(text)'")
        }
        return size
    }

    /// A database setting in the environment that cannot be used; the message names it.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }
}

extension LocalPostgres {
    /// Creates `name` unless it exists.
    /// Drops `name` (closing its connections) and creates it empty: for benchmarks.
    public func recreateDatabase(_ name: String, logger: Logger) async throws {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw LocalPostgres.StartError(description: "database name '\(name)' is not a plain identifier")
        }
        let client = PostgresClient(configuration: configuration(database: "postgres"), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: logger) }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
    }

    public func createDatabaseIfMissing(_ name: String, logger: Logger) async throws {
        let client = PostgresClient(configuration: configuration(database: "postgres"), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: logger) }
            defer { group.cancelAll() }
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger) { exists = true }
            if !exists {
                // Identifiers cannot be bound; the name is checked to be a plain identifier.
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw LocalPostgres.StartError(description: "database name '\(name)' is not a plain identifier")
                }
                try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            }
        }
    }
}
