import Logging
import PostgresNIO
import Synchronization

/// Live figures of one PostgresNIO pool for `/metrics`. Two sources:
/// - the pool's own events, which PostgresNIO reports only through the pool's background logger
///   (creating a connection, creation failed, connection closed): this handler sits beside the
///   real one in that logger and counts connections open and failed attempts;
/// - the server's view: `pg_stat_activity` rows carrying this pool's `application_name` (unique
///   per process), by state — active (running a statement), idle, idle in transaction.
/// A test holds a transaction open and reads the figures back, so an upgrade that renames the
/// events cannot break this silently.
public final class PoolObserver: Sendable {
    public let pool: String
    /// The `application_name` this pool's connections carry.
    public let applicationName: String
    public let maximumConnections: Int
    /// Told of every failed connection attempt (the primary's marks the database down).
    let onConnectFailure: @Sendable () -> Void
    /// Told of every connection closed (the primary's checks whether the server went away).
    let onConnectionClosed: @Sendable () -> Void

    struct State {
        var open = 0
        var connectFailures = 0
    }

    let state = Mutex(State())

    public init(pool: String, applicationName: String, maximumConnections: Int, onConnectFailure: @escaping @Sendable () -> Void = {},
                onConnectionClosed: @escaping @Sendable () -> Void = {}) {
        self.onConnectFailure = onConnectFailure
        self.onConnectionClosed = onConnectionClosed
        self.pool = pool
        self.applicationName = applicationName
        self.maximumConnections = maximumConnections
    }

    /// Connections open (or being opened) and failed connection attempts since start.
    public var counts: (open: Int, connectFailures: Int) {
        state.withLock { ($0.open, $0.connectFailures) }
    }

    func observe(_ message: String) {
        if message == "Connection creation failed" { onConnectFailure() }
        if message == "Connection closed" { onConnectionClosed() }
        state.withLock { state in
            switch message {
            case "Creating new connection": state.open += 1
            case "Connection creation failed": state.open = max(0, state.open - 1); state.connectFailures += 1
            case "Connection closed": state.open = max(0, state.open - 1)
            default: break
            }
        }
    }

    /// This pool's connections by server state (`active`, `idle`, `idle in transaction`, …),
    /// read through `client` (this pool), not counting the connection that asks.
    public func serverStates(on client: PostgresClient, logger: Logger) async throws -> [String: Int] {
        let query: PostgresQuery = """
            SELECT coalesce(state, 'unknown'), count(*)::int8 FROM pg_stat_activity
            WHERE application_name = \(applicationName) AND pid <> pg_backend_pid() GROUP BY 1
            """
        var states: [String: Int] = [:]
        for try await (state, count) in try await client.query(query, logger: logger).decode((String, Int64).self) { states[state] = Int(count) }
        return states
    }

    /// `logger` with this observer listening beside its handler (whose level is kept).
    public func wrapping(_ logger: Logger) -> Logger {
        let original = logger.handler
        let listener = Listener(observer: self)
        return Logger(label: logger.label) { _ in MultiplexLogHandler([original, listener]) }
    }

    struct Listener: LogHandler {
        let observer: PoolObserver
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            observer.observe("\(event.message)")
        }
    }
}
