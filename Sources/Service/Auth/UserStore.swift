import Foundation
import Logging
import PostgresNIO

/// The SQL behind users: create (duplicates reported by field, race-free through the unique
/// indexes), look up for login, record a login, read and update a profile.
public struct UserStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Inserts a user; a taken username or email is a 409 naming the field.
    public func create(username: String, email: String, passwordHash: String, fullName: String?, isSuperuser: Bool = false,
                       logger: Logger) async throws -> UserRecord {
        let query: PostgresQuery = """
            INSERT INTO users (username, email, hashed_password, full_name, is_superuser, is_verified)
            VALUES (\(username), \(email.lowercased()), \(passwordHash), \(fullName), \(isSuperuser), \(isSuperuser))
            RETURNING \(unescaped: UserRecord.columns)
            """
        do {
            guard let user = try await UserRecord.all(database.primary.query(query, logger: logger)).first else { throw StoreError.missingRow("the new user's row") }
            return user
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            let constraint = error.serverInfo?[.constraintName] ?? ""
            let field = constraint.contains("email") ? "email" : "username"
            throw StoreError.conflict("\(field == "email" ? "Email" : "Username") already registered", field: field)
        }
    }

    /// What login needs: the id, hash and active flag of the user named by username or email.
    public func credentials(login: String, logger: Logger) async throws -> (id: Int, hash: String, isActive: Bool)? {
        let query: PostgresQuery = """
            SELECT id, hashed_password, coalesce(is_active, true) FROM users
            WHERE lower(username) = lower(\(login)) OR email = lower(\(login)) LIMIT 1
            """
        for try await (id, hash, active) in try await database.primary.query(query, logger: logger).decode((Int, String, Bool).self) {
            return (id, hash, active)
        }
        return nil
    }

    /// Counts a successful login and returns the user as it now stands.
    public func recordLogin(userID: Int, logger: Logger) async throws -> UserRecord {
        let query: PostgresQuery = """
            UPDATE users SET last_login_at = CURRENT_TIMESTAMP, login_count = coalesce(login_count, 0) + 1
            WHERE id = \(userID) RETURNING \(unescaped: UserRecord.columns)
            """
        guard let user = try await UserRecord.all(database.primary.query(query, logger: logger)).first else { throw StoreError.credentialsRejected("Not authenticated") }
        return user
    }

    /// A user by id, read from `client` (the replica for plain reads).
    public func find(id: Int, reading freshness: ReadFreshness = .anyReplica, logger: Logger) async throws -> UserRecord? {
        let query: PostgresQuery = "SELECT \(unescaped: UserRecord.columns) FROM users WHERE id = \(id)"
        return try await UserRecord.all((freshness == .latest ? database.primary : database.reader).query(query, logger: logger)).first
    }

    /// Updates the profile fields given (nil leaves a field as it is; `clear` lists fields to null).
    public func updateProfile(id: Int, fullName: String?, avatarURL: String?, settings: JSONValue?, clear: Set<String>,
                              logger: Logger) async throws -> UserRecord {
        let query: PostgresQuery = """
            UPDATE users SET
                full_name = CASE WHEN \(clear.contains("full_name")) THEN NULL ELSE coalesce(\(fullName), full_name) END,
                avatar_url = CASE WHEN \(clear.contains("avatar_url")) THEN NULL ELSE coalesce(\(avatarURL), avatar_url) END,
                settings = coalesce(\(settings?.jsonText)::jsonb, settings)
            WHERE id = \(id) RETURNING \(unescaped: UserRecord.columns)
            """
        guard let user = try await UserRecord.all(database.primary.query(query, logger: logger)).first else { throw StoreError.notFound("User not found") }
        return user
    }

    /// Makes (or finds) a superuser from the command line; an existing user of that name is
    /// promoted and given the new password.
    public func createSuperuser(username: String, email: String, passwordHash: String, logger: Logger) async throws -> UserRecord {
        let query: PostgresQuery = """
            INSERT INTO users (username, email, hashed_password, is_superuser, is_verified)
            VALUES (\(username), \(email.lowercased()), \(passwordHash), true, true)
            ON CONFLICT (username) DO UPDATE SET is_superuser = true, is_active = true, hashed_password = EXCLUDED.hashed_password
            RETURNING \(unescaped: UserRecord.columns)
            """
        do {
            guard let user = try await UserRecord.all(database.primary.query(query, logger: logger)).first else { throw StoreError.missingRow("the new user's row") }
            return user
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.conflict("Email or username (in another case) already registered to another user", field: "email")
        }
    }
}
