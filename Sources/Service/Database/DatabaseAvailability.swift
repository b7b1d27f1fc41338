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
        /// Who waits for the next outage (`untilDown`), by a number of their own.
        var watchers: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWatcher: UInt64 = 0
        /// Requests cut short by an outage while they waited (for logs and tests).
        var cutShort = 0
        /// Whether a check (`check`) is under way.
        var checking = false
    }

    let state = Mutex(State())
    /// Seconds a client is told to wait before retrying.
    public static let retryAfterSeconds = 5

    public init() {}

    public var isDown: Bool { state.withLock { $0.down } }

    /// Outages seen since start (for logs and tests).
    public var outages: Int { state.withLock { $0.outages } }

    public func markDown() {
        let watchers = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if !state.down { state.outages += 1 }
            state.down = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.resume() }
    }

    /// Returns when the database is marked down (at once if it is), or when the task is cancelled.
    func untilDown() async {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextWatcher &+= 1 }
            return state.nextWatcher
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.down || Task.isCancelled { return true }
                    state.watchers[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.watchers.removeValue(forKey: id) }?.resume()
        }
    }

    /// Counts a request answered 503 because an outage began while it waited.
    func noteCutShort() { state.withLock { $0.cutShort += 1 } }

    /// Requests answered 503 because an outage began while they waited, since start.
    public var requestsCutShort: Int { state.withLock { $0.cutShort } }

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

    /// Checks at once, on a connection of its own, whether the server still answers, and marks
    /// the database down if not; one check at a time. Called when the pool loses a connection:
    /// PostgresNIO's pool neither fails nor serves requests that wait for a connection when every
    /// connection it had was closed under them (they wait until something else asks it for one),
    /// so the loss itself must raise the alarm.
    func check(_ configuration: PostgresConnection.Configuration, logger: Logger) {
        let start = state.withLock { state -> Bool in
            if state.down || state.checking { return false }
            state.checking = true
            return true
        }
        guard start else { return }
        Task {
            defer { state.withLock { $0.checking = false } }
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: Int.random(in: 0...Int(Int32.max)), logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.query("SELECT 1", logger: logger)
            } catch {
                logger.warning("the database stopped answering", metadata: ["error": .string(String(reflecting: error))])
                markDown()
            }
        }
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
