import Logging
import PostgresNIO

/// The service's connection pools: the primary for everything that writes, and an optional read
/// replica (`DATABASE_READ_URL`) that list and detail reads go to when it is set. Each pool names
/// itself to the server (`application_name` `quantforge-primary/<instance>` and
/// `quantforge-replica/<instance>`, the instance id random per `Database`), so
/// `pg_stat_activity` — and a test, and the pool gauges of `/metrics` — can tell which pool of
/// which process served a query. Sessions run in UTC, so
/// the seed's `TIMESTAMP` columns (without time zone) hold UTC and read back as such.
public final class Database: Sendable {
    public let primary: PostgresClient
    public let replica: PostgresClient?
    public let logger: Logger

    public static let primaryName = "quantforge-primary"
    public static let replicaName = "quantforge-replica"

    /// Live figures of each pool (the replica's only when there is one), for `/metrics`.
    public let pools: [PoolObserver]

    /// Random per instance: tells this process's connections from other servers' on one database.
    public let instanceID = String(UInt32.random(in: 0...UInt32.max), radix: 16)

    /// Whether the primary answers (see `DatabaseAvailability`).
    public let availability = DatabaseAvailability()
    let probeConfiguration: PostgresConnection.Configuration
    /// Where the WebSocket events of this process's writes go: Redis pub/sub when set, else
    /// NOTIFY (see `Events`).
    public let eventRelay: RedisLink?

    public init(settings: DatabaseSettings, logger: Logger, eventRelay: RedisLink? = nil) {
        self.eventRelay = eventRelay
        probeConfiguration = settings.primaryConnection
        var primary = settings.primary
        let primaryApplicationName = "\(Self.primaryName)/\(instanceID)", replicaApplicationName = "\(Self.replicaName)/\(instanceID)"
        primary.options.additionalStartupParameters += [("application_name", primaryApplicationName), ("TimeZone", "UTC")]
        let availability = self.availability
        let probe = settings.primaryConnection
        let primaryObserver = PoolObserver(pool: "primary", applicationName: primaryApplicationName, maximumConnections: primary.options.maximumConnections,
                                           onConnectFailure: { availability.markDown() },
                                           onConnectionClosed: { availability.check(probe, logger: logger) })
        self.primary = PostgresClient(configuration: primary, backgroundLogger: primaryObserver.wrapping(logger))
        var observers = [primaryObserver]
        replica = settings.replica.map { configuration in
            var replica = configuration
            replica.options.additionalStartupParameters += [("application_name", replicaApplicationName), ("TimeZone", "UTC")]
            let observer = PoolObserver(pool: "replica", applicationName: replicaApplicationName, maximumConnections: replica.options.maximumConnections)
            observers.append(observer)
            return PostgresClient(configuration: replica, backgroundLogger: observer.wrapping(logger))
        }
        pools = observers
        self.logger = logger
    }

    /// Each pool's observer with the client it watches.
    public var observedPools: [(PoolObserver, PostgresClient)] {
        zip(pools, [primary] + (replica.map { [$0] } ?? [])).map { ($0, $1) }
    }

    /// The pool reads go to: the replica when there is one.
    public var reader: PostgresClient { replica ?? primary }

    /// Runs `body` in a transaction on the primary. An `APIError` or `StoreError` the body throws
    /// (a 404, a 409) rolls back and reaches the caller as itself, not wrapped in PostgresNIO's transaction error.
    /// With an `eventRelay`, the events the body announces are published once it has committed.
    public func transaction<Result: Sendable>(logger: Logger, isolation: isolated (any Actor)? = #isolation,
                                              _ body: (PostgresConnection) async throws -> sending Result) async throws -> Result {
        guard let eventRelay else { return try await plainTransaction(logger: logger, isolation: isolation, body) }
        let outbox = Events.Outbox()
        let result = try await Events.$outbox.withValue(outbox) {
            try await plainTransaction(logger: logger, isolation: isolation, body)
        }
        await Events.publish(outbox.take(), through: eventRelay, fallback: primary, logger: logger)
        return result
    }

    private func plainTransaction<Result>(logger: Logger, isolation: isolated (any Actor)?,
                                          _ body: (PostgresConnection) async throws -> sending Result) async throws -> sending Result {
        do {
            return try await primary.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError where (error.closureError is APIError || error.closureError is StoreError) && error.rollbackError == nil {
            throw error.closureError!
        }
    }

    /// Runs the pools until the task is cancelled (the clients' `run()`), then waits for them to
    /// close at most `ShutdownGrace.pool`.
    public func run() async {
        await ShutdownGrace.runPools("the database pools", logger: logger) { await self.runPools() }
    }

    private func runPools() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.primary.run() }
            if let replica { group.addTask { await replica.run() } }
            group.addTask { await self.availability.probe(self.probeConfiguration, logger: self.logger) }
            // The pools' run() must have begun before anyone leases (PostgresNIO warns
            // otherwise); a moment's yield lets the child tasks start.
            group.addTask {
                try? await Task.sleep(for: .milliseconds(20))
                self.started.open()
            }
        }
    }

    let started = Latch()

    /// Returns once `run()` has started the pools: services that query at start-up wait here.
    public func waitUntilRunning() async {
        await started.wait()
    }
}

/// Keeps `system_logs` partitioned ahead of time: the current and next month's partitions exist
/// (created by the `ensure_system_logs_partition` function of migration 6), so rows land in their
/// month and only out-of-range times fall to the default partition. The service calls it at
/// start-up and daily.
public enum SystemLogPartitions {
    /// Ensures the partitions of `date`'s month and the next; returns their names.
    @discardableResult
    public static func ensure(on client: PostgresClient, around date: String = "CURRENT_DATE", logger: Logger) async throws -> [String] {
        var names: [String] = []
        let sql = "SELECT ensure_system_logs_partition((\(date))::DATE), ensure_system_logs_partition(((\(date))::DATE + INTERVAL '1 month')::DATE)"
        for try await (a, b) in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode((String, String).self) {
            names = [a, b]
        }
        return names
    }
}
