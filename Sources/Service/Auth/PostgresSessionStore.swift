import Foundation
import Logging
import PostgresNIO

/// `user_sessions`: one row per login. The row's `session_token` is what access tokens carry;
/// `refresh_token` holds the SHA-256 of the current refresh token, replaced on every refresh
/// while the replaced hash goes to `user_session_rotated_tokens`. Presenting a replaced token
/// again means it was copied: the session is revoked, which also stops its access tokens.
/// The record of every session, whether or not Redis caches them (`CachedSessionStore`).
public struct PostgresSessionStore: SessionStoring {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A new session for `userID` lasting `lifetime` seconds.
    public func open(userID: Int, sessionToken: String, refreshTokenHash: String, ipAddress: String?, userAgent: String?,
                     lifetime: Int, logger: Logger) async throws {
        let query: PostgresQuery = """
            INSERT INTO user_sessions (user_id, session_token, refresh_token, ip_address, user_agent, expires_at)
            VALUES (\(userID), \(sessionToken), \(refreshTokenHash), \(ipAddress)::inet, \(userAgent),
                    CURRENT_TIMESTAMP + make_interval(secs => \(Double(lifetime))))
            """
        try await database.primary.query(query, logger: logger)
    }

    /// Replaces the session's refresh token `oldHash` by `newHash` in one statement (two
    /// concurrent refreshes with one token: one rotates, the other is a reuse).
    public func rotate(oldHash: String, newHash: String, logger: Logger) async throws -> SessionRotation {
        let rotate: PostgresQuery = """
            WITH rotated AS (
                UPDATE user_sessions s SET refresh_token = \(newHash), last_activity_at = CURRENT_TIMESTAMP
                FROM users u
                WHERE s.refresh_token = \(oldHash) AND s.is_active AND s.expires_at > CURRENT_TIMESTAMP
                  AND u.id = s.user_id AND coalesce(u.is_active, true)
                RETURNING s.id, s.user_id, s.session_token
            ), remembered AS (
                INSERT INTO user_session_rotated_tokens (token_hash, session_id) SELECT \(oldHash), id FROM rotated
            )
            SELECT user_id, session_token FROM rotated
            """
        for try await (userID, sessionToken) in try await database.primary.query(rotate, logger: logger).decode((Int, String).self) {
            return .rotated(userID: userID, sessionToken: sessionToken)
        }
        let revoke: PostgresQuery = """
            UPDATE user_sessions SET is_active = false
            WHERE id = (SELECT session_id FROM user_session_rotated_tokens WHERE token_hash = \(oldHash))
            RETURNING session_token
            """
        for try await sessionToken in try await database.primary.query(revoke, logger: logger).decode(String.self) {
            return .reused(sessionToken: sessionToken)
        }
        return .invalid
    }

    /// The live user behind an access token's session, touching `last_activity_at` (at most once
    /// a minute, so a burst of requests does not write a row each); nil when the session is
    /// revoked or expired, belongs to someone else, or the user is deactivated.
    public func live(sessionToken: String, userID: Int, logger: Logger) async throws -> AuthenticatedUser? {
        try await liveWithRemainingTime(sessionToken: sessionToken, userID: userID, logger: logger)?.user
    }

    /// `live`, with the seconds the session has left (a cache must not keep it longer).
    public func liveWithRemainingTime(sessionToken: String, userID: Int, logger: Logger) async throws -> (user: AuthenticatedUser, seconds: Double)? {
        let statement = LiveSessionStatement(sessionToken: sessionToken, userID: userID)
        for try await (username, superuser, seconds) in try await database.primary.execute(statement, logger: logger) {
            return (AuthenticatedUser(id: userID, username: username, isSuperuser: superuser, sessionToken: sessionToken), seconds)
        }
        return nil
    }

    /// Revokes the session (logout); its refresh token and access tokens stop working.
    public func revoke(sessionToken: String, logger: Logger) async throws {
        try await database.primary.query("UPDATE user_sessions SET is_active = false WHERE session_token = \(sessionToken)", logger: logger)
    }
}
