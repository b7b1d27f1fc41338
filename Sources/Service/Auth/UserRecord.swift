import Foundation
import PostgresNIO

/// A `users` row as the API shows it (never the password hash).
public struct UserRecord: Encodable, Sendable, Equatable {
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
