import Logging
import PostgresNIO
import Synchronization

/// Whether the primary database answers, as this process last saw it.
///
/// Without it, an outage shows up as requests that wait for the pool — up to its circuit breaker,
/// 15 s and more — and then fail as 500s, for as long again after the database is back. Instead:
/// the first sign of an outage (a query failing for want of a connection, or the pool failing to
/// open one) marks the database down; while it is down, requests that need it are answered 503
/// with `Retry-After` at once, and a prober opens a connection of its own every second until one
/// succeeds, which marks it up again.
public final class DatabaseAvailability: Sendable {
    struct State {
        var down = false
        var outages = 0
    }

    let state = Mutex(State())
    /// Seconds a client is told to wait before retrying.
    public static let retryAfterSeconds = 5

    public init() {}

    public var isDown: Bool { state.withLock { $0.down } }

    /// Outages seen since start (for logs and tests).
    public var outages: Int { state.withLock { $0.outages } }

    public func markDown() {
        state.withLock { state in
            if !state.down { state.outages += 1 }
            state.down = true
        }
    }

    public func markUp() { state.withLock { $0.down = false } }

    /// Whether `error` means the database could not be reached (as opposed to a query it refused).
    public static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed: return true
            case .server:
                // 57P01-03: the server is shutting down or starting; 08xxx: connection exceptions.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("57P") || state.hasPrefix("08")
            default: return false
            }
        }
        if let transaction = error as? PostgresTransactionError {
            return [transaction.beginError, transaction.closureError, transaction.commitError, transaction.rollbackError]
                .contains { $0.map(isUnreachable) ?? false }
        }
        // The pool's circuit breaker (ConnectionPoolError lives in a module PostgresNIO does not export).
        return String(describing: type(of: error)) == "ConnectionPoolError"
    }

    /// While the task runs: whenever the database is marked down, opens a connection of its own
    /// (not the pool's, whose breaker may still be open) every second until `SELECT 1` answers.
    func probe(_ configuration: PostgresConnection.Configuration, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard isDown else { continue }
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: Int.random(in: 0...Int(Int32.max)), logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.query("SELECT 1", logger: logger)
                markUp()
                logger.warning("database reachable again")
            } catch {
                continue
            }
        }
    }
}
