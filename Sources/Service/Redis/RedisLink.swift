import Logging
import NIOCore
import RedisClient
import Synchronization

/// The service's use of Redis, where a failure never fails a request: every operation goes
/// through `attempt`, which returns nil when Redis errs, so the caller carries on with PostgreSQL.
/// The first failure after a success logs a warning ("serving from PostgreSQL"), the first
/// success after failures logs that Redis is back; `fallbacks` counts the operations that fell
/// back (for `/metrics`).
///
/// Invalidations that could not be written while Redis was away are kept here and written before
/// Redis is read again, so a session revoked during an outage is not served from a stale entry
/// once Redis returns (entries also expire within a minute, which bounds what another server,
/// which knows nothing of them, can see).
public final class RedisLink: Sendable {
    public let settings: RedisSettings
    /// Writes, invalidations and rate-limit counts.
    public let primary: RedisClient
    /// Cache reads: the replica when there is one.
    public let reads: RedisClient
    let logger: Logger

    struct State {
        var up = true
        var fallbacks = 0
        var outages = 0
        var published = 0
        var subscribed = false
        /// Tombstones to write before Redis is read again: key → milliseconds to live.
        var pending: [String: Int] = [:]
    }

    let state = Mutex(State())

    public init(settings: RedisSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let timeout = TimeAmount.milliseconds(Int64(settings.commandTimeoutMilliseconds)), connectTimeout = Self.connectTimeout(settings)
        primary = RedisClient(endpoint: settings.primary, connectTimeout: connectTimeout, commandTimeout: timeout)
        reads = settings.replica.map { RedisClient(endpoint: $0, connectTimeout: connectTimeout, commandTimeout: timeout) } ?? primary
    }

    /// How long making a connection may take: a second, or the command timeout when longer.
    public var connectTimeout: TimeAmount { Self.connectTimeout(settings) }
    static func connectTimeout(_ settings: RedisSettings) -> TimeAmount { .milliseconds(Int64(max(1000, settings.commandTimeoutMilliseconds))) }

    /// Whether the last operation succeeded.
    public var isUp: Bool { state.withLock { $0.up } }
    /// Operations that fell back to PostgreSQL since start.
    public var fallbacks: Int { state.withLock { $0.fallbacks } }
    /// Times Redis went away since start.
    public var outages: Int { state.withLock { $0.outages } }

    /// Events published on Redis and heard there by at least one server, since start.
    public var published: Int { state.withLock { $0.published } }
    func countPublished() { state.withLock { $0.published += 1 } }

    /// Whether this process's event subscription is confirmed (for tests and `/metrics`).
    public var isSubscribed: Bool { state.withLock { $0.subscribed } }
    func markSubscribed(_ on: Bool) { state.withLock { $0.subscribed = on } }

    /// Runs `body`; nil (logged, counted) when Redis fails. `what` names the operation in the log.
    public func attempt<T: Sendable>(_ what: String, _ body: (RedisLink) async throws -> T) async -> T? {
        do {
            let value = try await body(self)
            let returned = state.withLock { state -> Bool in
                defer { state.up = true }
                return !state.up
            }
            if returned { logger.notice("Redis is back", metadata: ["redis": .string(settings.primary.description)]) }
            return value
        } catch {
            let wentDown = state.withLock { state -> Bool in
                state.fallbacks += 1
                defer { state.up = false }
                if state.up { state.outages += 1 }
                return state.up
            }
            if wentDown {
                logger.warning("Redis failed; serving from PostgreSQL until it answers again",
                               metadata: ["redis": .string(settings.primary.description), "operation": .string(what), "error": .string(String(describing: error))])
            }
            return nil
        }
    }

    /// Writes `tombstones` (key → milliseconds) and, with a replica, waits for it to have them.
    /// What cannot be written is kept and written before the next read (`readyToRead`).
    public func writeTombstones(_ tombstones: [String: Int], value: String) async {
        let all = state.withLock { state -> [String: Int] in
            state.pending.merge(tombstones) { max($0, $1) }
            return state.pending
        }
        await flush(all, value: value)
    }

    /// Whether Redis may be read: earlier tombstones are all written (or there were none).
    public func readyToRead(tombstoneValue: String) async -> Bool {
        let pending = state.withLock { $0.pending }
        if pending.isEmpty { return true }
        return await flush(pending, value: tombstoneValue)
    }

    @discardableResult
    private func flush(_ tombstones: [String: Int], value: String) async -> Bool {
        let written: Bool? = await attempt("invalidate") { link in
            for (key, milliseconds) in tombstones {
                try await link.primary.send(["SET", key, value, "PX", String(milliseconds)])
            }
            if link.settings.replica != nil {
                // The replica serves reads: the tombstones must be there before the revoking
                // request answers. A replica that does not confirm within 200 ms is reported.
                let acknowledged = try await link.primary.send(["WAIT", "1", "200"]).integer ?? 0
                if acknowledged < 1 { link.logger.warning("Redis replica did not confirm an invalidation within 200 ms") }
            }
            return true
        }
        guard written == true else { return false }
        state.withLock { state in
            for (key, milliseconds) in tombstones where state.pending[key] == milliseconds { state.pending[key] = nil }
        }
        return true
    }

    /// Closes the connections.
    public func close() {
        primary.close()
        if reads !== primary { reads.close() }
    }
}
