import Foundation
import PostgresNIO

/// A `users` row as the API shows it (never the password hash).
public struct UserRecord: Codable, Sendable, Equatable {
    public var id: Int
    public var username: String
    public var email: String
    public var fullName: String?
    public var avatarURL: String?
    public var isActive: Bool
    public var isSuperuser: Bool
    public var isVerified: Bool
    public var lastLoginAt: Date?
    public var loginCount: Int
    public var settings: JSONValue
    public var createdAt: Date?
    public var updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, username, email, settings
        case fullName = "full_name", avatarURL = "avatar_url", isActive = "is_active", isSuperuser = "is_superuser"
        case isVerified = "is_verified", lastLoginAt = "last_login_at", loginCount = "login_count"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    // Explicit nulls: a client sees every field's key, set or not.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(username, forKey: .username)
        try container.encode(email, forKey: .email)
        try container.encode(fullName, forKey: .fullName)
        try container.encode(avatarURL, forKey: .avatarURL)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(isSuperuser, forKey: .isSuperuser)
        try container.encode(isVerified, forKey: .isVerified)
        try container.encode(lastLoginAt, forKey: .lastLoginAt)
        try container.encode(loginCount, forKey: .loginCount)
        try container.encode(settings, forKey: .settings)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    /// The select list `decode(from:)` reads, in order.
    static let columns = "id, username, email, full_name, avatar_url, is_active, is_superuser, is_verified, last_login_at, login_count, settings::text, created_at, updated_at"

    typealias Row = (Int, String, String, String?, String?, Bool?, Bool?, Bool?, Date?, Int?, String?, Date?, Date?)

    init(_ row: Row) throws {
        id = row.0
        username = row.1
        email = row.2
        fullName = row.3
        avatarURL = row.4
        isActive = row.5 ?? true
        isSuperuser = row.6 ?? false
        isVerified = row.7 ?? false
        lastLoginAt = row.8
        loginCount = row.9 ?? 0
        settings = try row.10.map(JSONValue.parse) ?? .object([:])
        createdAt = row.11
        updatedAt = row.12
    }

    /// The rows of `rows` (a query selecting `columns`).
    static func all(_ rows: PostgresRowSequence) async throws -> [UserRecord] {
        var users: [UserRecord] = []
        for try await row in rows.decode(Row.self) { users.append(try UserRecord(row)) }
        return users
    }
}
