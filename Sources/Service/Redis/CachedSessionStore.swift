import Logging
import RedisClient

/// Sessions with Redis in front of PostgreSQL for the check every authenticated request makes.
/// PostgreSQL stays the record: logins, refreshes and logouts write it first.
///
/// - A check reads `qf:session:<token>` from Redis (the replica when there is one). A miss asks
///   PostgreSQL and keeps its answer for at most `entrySeconds` (and never past the session's
///   end), so `last_activity_at` is still touched about once a minute and a change made to a user
///   in SQL is seen within a minute.
/// - Logout and a reused refresh token write a tombstone in place of the entry; the entries are
///   written with `NX`, so a check that read PostgreSQL just before a logout cannot put the
///   session back. Revocation therefore reaches every server at once.
/// - When Redis fails, the check is PostgreSQL's, as without Redis (`RedisLink`).
public struct CachedSessionStore: SessionStoring {
    public let record: PostgresSessionStore
    public let link: RedisLink
    /// How long an entry is kept: the once-a-minute `last_activity_at` touch depends on it.
    public static let entrySeconds = 60.0
    /// How long a tombstone is kept: longer than any check can take between reading PostgreSQL
    /// and writing its entry.
    public static let tombstoneMilliseconds = 300_000
    static let tombstone = "revoked"

    public init(record: PostgresSessionStore, link: RedisLink) {
        self.record = record
        self.link = link
    }

    static func key(_ sessionToken: String) -> String { "qf:session:\(sessionToken)" }

    public func open(userID: Int, sessionToken: String, refreshTokenHash: String, ipAddress: String?, userAgent: String?,
                     lifetime: Int, logger: Logger) async throws {
        try await record.open(userID: userID, sessionToken: sessionToken, refreshTokenHash: refreshTokenHash, ipAddress: ipAddress,
                              userAgent: userAgent, lifetime: lifetime, logger: logger)
    }

    public func rotate(oldHash: String, newHash: String, logger: Logger) async throws -> SessionRotation {
        let rotation = try await record.rotate(oldHash: oldHash, newHash: newHash, logger: logger)
        if case .reused(let sessionToken) = rotation { await bury(sessionToken) }
        return rotation
    }

    public func revoke(sessionToken: String, logger: Logger) async throws {
        try await record.revoke(sessionToken: sessionToken, logger: logger)
        await bury(sessionToken)
    }

    public func live(sessionToken: String, userID: Int, logger: Logger) async throws -> AuthenticatedUser? {
        let key = Self.key(sessionToken)
        if await link.readyToRead(tombstoneValue: Self.tombstone),
           let cached = await link.attempt("session read", { try await $0.reads.send(["GET", key]) }) {
            if let text = cached.string {
                if text == Self.tombstone { return nil }
                if let entry = Entry(text) { return entry.userID == userID ? entry.user(sessionToken: sessionToken) : nil }
            }
        }
        guard let (user, seconds) = try await record.liveWithRemainingTime(sessionToken: sessionToken, userID: userID, logger: logger) else {
            return nil
        }
        let milliseconds = Int(min(seconds, Self.entrySeconds) * 1000)
        if milliseconds > 0 {
            _ = await link.attempt("session write") {
                try await $0.primary.send(["SET", key, Entry(user: user).text, "PX", String(milliseconds), "NX"])
            }
        }
        return user
    }

    /// Replaces the session's entry by a tombstone (kept and written later if Redis is away).
    func bury(_ sessionToken: String) async {
        await link.writeTombstones([Self.key(sessionToken): Self.tombstoneMilliseconds], value: Self.tombstone)
    }

    /// What an entry holds: `userID`, superuser flag and username, tab-separated.
    struct Entry {
        var userID: Int
        var isSuperuser: Bool
        var username: String

        init(user: AuthenticatedUser) {
            userID = user.id
            isSuperuser = user.isSuperuser
            username = user.username
        }

        init?(_ text: String) {
            let fields = text.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let id = Int(fields[0]) else { return nil }
            userID = id
            isSuperuser = fields[1] == "1"
            username = String(fields[2])
        }

        var text: String { "\(userID)\t\(isSuperuser ? 1 : 0)\t\(username)" }

        func user(sessionToken: String) -> AuthenticatedUser {
            AuthenticatedUser(id: userID, username: username, isSuperuser: isSuperuser, sessionToken: sessionToken)
        }
    }
}
