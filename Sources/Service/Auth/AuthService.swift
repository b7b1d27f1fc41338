import Foundation
import Logging

/// Registration, login, refresh, logout and access-token checks: the auth endpoints' logic, on
/// the stores above. A login opens a session (IP, user agent, lifetime by `remember_me`) and
/// returns an access token for it and a refresh token; each refresh rotates the refresh token.
public struct AuthService: Sendable {
    public let settings: AuthSettings
    public let tokens: AccessTokens
    public let users: any UserStoring
    public let sessions: any SessionStoring
    public let limiter: any LoginLimiter
    public let hasher: PasswordHasher

    /// Sessions and login limits on PostgreSQL alone, or with Redis in front when `redis` is given.
    public init(settings: AuthSettings, database: Database, redis: RedisLink? = nil) async {
        let sessions = PostgresSessionStore(database: database), limiter = PostgresLoginLimiter(database: database, settings: settings)
        if let redis {
            await self.init(settings: settings, users: UserStore(database: database), sessions: CachedSessionStore(record: sessions, link: redis),
                            limiter: RedisLoginLimiter(rows: limiter, link: redis, settings: settings))
        } else {
            await self.init(settings: settings, users: UserStore(database: database), sessions: sessions, limiter: limiter)
        }
    }

    public init(settings: AuthSettings, users: any UserStoring, sessions: any SessionStoring, limiter: any LoginLimiter) async {
        self.settings = settings
        tokens = await AccessTokens(settings: settings)
        self.users = users
        self.sessions = sessions
        self.limiter = limiter
        hasher = PasswordHasher(cost: settings.bcryptCost, slots: settings.bcryptSlots, queueLimit: settings.bcryptQueue)
    }

    /// What a login or refresh hands back.
    public struct Grant: Sendable {
        public var accessToken: String
        public var refreshToken: String
        public var userID: Int
    }

    /// Where a request came from.
    public struct Origin: Sendable {
        public var ipAddress: String?
        public var userAgent: String?
        /// Whether the client still waits for the answer (a login whose client left is not hashed).
        public var clientIsThere: @Sendable () -> Bool

        public init(ipAddress: String?, userAgent: String?, clientIsThere: @escaping @Sendable () -> Bool = { true }) {
            self.ipAddress = ipAddress
            self.userAgent = userAgent
            self.clientIsThere = clientIsThere
        }
    }

    /// Checks the rate limit, the password and `is_active`; opens a session.
    public func login(_ login: String, password: String, rememberMe: Bool, origin: Origin, logger: Logger) async throws -> (Grant, UserRecord) {
        try await limiter.check(login: login, ipAddress: origin.ipAddress, logger: logger)
        let credentials = try await users.credentials(login: login, logger: logger)
        guard try await hasher.verify(password, hash: credentials?.hash, clientIsThere: origin.clientIsThere), let credentials else {
            try await limiter.record(login: login, ipAddress: origin.ipAddress, succeeded: false, logger: logger)
            throw APIError.unauthorized("Incorrect username or password")
        }
        guard credentials.isActive else {
            // The password was right, so saying why is no leak.
            throw APIError.forbidden("This account is deactivated")
        }
        try await limiter.record(login: login, ipAddress: origin.ipAddress, succeeded: true, logger: logger)
        let sessionToken = RefreshTokens.newSessionToken(), refreshToken = RefreshTokens.newRefreshToken()
        try await sessions.open(userID: credentials.id, sessionToken: sessionToken, refreshTokenHash: RefreshTokens.hash(refreshToken),
                                ipAddress: origin.ipAddress, userAgent: origin.userAgent,
                                lifetime: rememberMe ? settings.rememberMeTTL : settings.refreshTokenTTL, logger: logger)
        let user = try await users.recordLogin(userID: credentials.id, logger: logger)
        let access = try await tokens.issue(userID: credentials.id, sessionToken: sessionToken)
        return (Grant(accessToken: access, refreshToken: refreshToken, userID: credentials.id), user)
    }

    /// Rotates `refreshToken`; a reused one revokes its session.
    public func refresh(_ refreshToken: String, logger: Logger) async throws -> Grant {
        let next = RefreshTokens.newRefreshToken()
        switch try await sessions.rotate(oldHash: RefreshTokens.hash(refreshToken), newHash: RefreshTokens.hash(next), logger: logger) {
        case .rotated(let userID, let sessionToken):
            let access = try await tokens.issue(userID: userID, sessionToken: sessionToken)
            return Grant(accessToken: access, refreshToken: next, userID: userID)
        case .reused:
            logger.warning("refresh token reused; session revoked")
            throw APIError.unauthorized("Refresh token already used; the session has been revoked, sign in again")
        case .invalid:
            throw APIError.unauthorized("Invalid or expired refresh token")
        }
    }

    /// The live user behind an access token, or a 401.
    public func authenticate(accessToken: String, logger: Logger) async throws -> AuthenticatedUser {
        let claims = try await tokens.verify(accessToken)
        guard let userID = claims.userID,
              let user = try await sessions.live(sessionToken: claims.sid, userID: userID, logger: logger) else {
            throw APIError.unauthorized("Session revoked or expired")
        }
        return user
    }
}
