import Logging
import PostgresNIO

/// The daily chores that keep the auth tables small: login attempts older than `keepDays` (far
/// beyond any rate-limit window) and sessions that expired or were revoked more than `keepDays`
/// ago (their rotated refresh-token hashes go with them) are deleted. Revoked sessions are kept
/// that long so a reused refresh token is still recognised as reuse rather than as unknown.
public enum Housekeeping {
    public struct Removed: Sendable, Equatable {
        public var loginAttempts: Int
        public var sessions: Int
    }

    @discardableResult
    public static func run(on client: PostgresClient, keepDays: Int = 30, logger: Logger) async throws -> Removed {
        let days = Double(keepDays)
        var removed = Removed(loginAttempts: 0, sessions: 0)
        let attempts: PostgresQuery = """
            WITH gone AS (DELETE FROM login_attempts WHERE attempted_at < CURRENT_TIMESTAMP - make_interval(days => \(Int32(days))) RETURNING 1)
            SELECT count(*)::int8 FROM gone
            """
        for try await n in try await client.query(attempts, logger: logger).decode(Int64.self) { removed.loginAttempts = Int(n) }
        let sessions: PostgresQuery = """
            WITH gone AS (
                DELETE FROM user_sessions
                WHERE expires_at < CURRENT_TIMESTAMP - make_interval(days => \(Int32(days)))
                   OR (NOT is_active AND last_activity_at < CURRENT_TIMESTAMP - make_interval(days => \(Int32(days))))
                RETURNING 1)
            SELECT count(*)::int8 FROM gone
            """
        for try await n in try await client.query(sessions, logger: logger).decode(Int64.self) { removed.sessions = Int(n) }
        // Idempotency keys answer retries of a request, which come within minutes: a day is ample.
        try await client.query("DELETE FROM idempotency_keys WHERE created_at < CURRENT_TIMESTAMP - interval '1 day'", logger: logger)
        return removed
    }
}
