import Logging

/// Where accounts are kept: what auth and the user routes need. `UserStore` (PostgreSQL) is the
/// implementation; a taken username or email is a `StoreError.conflict` naming the field.
public protocol UserStoring: Sendable {
    func create(username: String, email: String, passwordHash: String, fullName: String?, isSuperuser: Bool, logger: Logger) async throws -> UserRecord
    /// The id, password hash and whether the account is active, by username or email.
    func credentials(login: String, logger: Logger) async throws -> (id: Int, hash: String, isActive: Bool)?
    /// A successful login counted; the user as it is now.
    func recordLogin(userID: Int, logger: Logger) async throws -> UserRecord
    func find(id: Int, reading freshness: ReadFreshness, logger: Logger) async throws -> UserRecord?
    func updateProfile(id: Int, fullName: String?, avatarURL: String?, settings: JSONValue?, clear: Set<String>, logger: Logger) async throws -> UserRecord
    func createSuperuser(username: String, email: String, passwordHash: String, logger: Logger) async throws -> UserRecord
}

extension UserStoring {
    /// An ordinary account.
    public func create(username: String, email: String, passwordHash: String, fullName: String?, logger: Logger) async throws -> UserRecord {
        try await create(username: username, email: email, passwordHash: passwordHash, fullName: fullName, isSuperuser: false, logger: logger)
    }
}

extension UserStore: UserStoring {}
