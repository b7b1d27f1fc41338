import Logging

/// Where sessions live: what login, refresh, logout and every authenticated request need.
/// PostgreSQL holds the record (`PostgresSessionStore`); with Redis configured,
/// `CachedSessionStore` answers the per-request check from Redis in front of it.
public protocol SessionStoring: Sendable {
    /// A new session for `userID` lasting `lifetime` seconds.
    func open(userID: Int, sessionToken: String, refreshTokenHash: String, ipAddress: String?, userAgent: String?,
              lifetime: Int, logger: Logger) async throws
    /// Replaces the refresh token `oldHash` by `newHash`; a replaced token presented again revokes its session.
    func rotate(oldHash: String, newHash: String, logger: Logger) async throws -> SessionRotation
    /// The live user behind a session; nil when revoked, expired, someone else's, or the user is deactivated.
    func live(sessionToken: String, userID: Int, logger: Logger) async throws -> AuthenticatedUser?
    /// Revokes the session (logout): its refresh token and access tokens stop working at once.
    func revoke(sessionToken: String, logger: Logger) async throws
}

/// The outcome of presenting a refresh token.
public enum SessionRotation: Sendable, Equatable {
    /// The token was current: it is replaced; the session and user are returned.
    case rotated(userID: Int, sessionToken: String)
    /// The token had already been replaced: its session (`sessionToken`) is now revoked.
    case reused(sessionToken: String)
    /// Unknown, expired, revoked, or its user deactivated.
    case invalid
}
