import Logging

/// Creating accounts outside the HTTP API (`qf user create`): the same username, email and
/// password rules as registration; with `superuser`, an existing user of that name is promoted
/// (and given the new password) instead of refused, so the command can also recover an admin.
public enum AccountCreation {
    /// A rule the input breaks, naming the field.
    public struct Rejected: Error, CustomStringConvertible {
        public var field: String
        public var problem: String
        public var description: String { "\(field): \(problem)" }
    }

    public static func create(username: String, email: String, password: String, fullName: String? = nil, superuser: Bool,
                              users: any UserStoring, cost: UInt8, logger: Logger) async throws -> UserRecord {
        if let problem = CredentialRules.usernameProblem(username) { throw Rejected(field: "username", problem: problem) }
        if let problem = CredentialRules.emailProblem(email) { throw Rejected(field: "email", problem: problem) }
        if let problem = CredentialRules.passwordProblem(password, username: username) { throw Rejected(field: "password", problem: problem) }
        let hash = try await PasswordHasher(cost: cost).hash(password)
        do {
            if superuser { return try await users.createSuperuser(username: username, email: email, passwordHash: hash, logger: logger) }
            return try await users.create(username: username, email: email, passwordHash: hash, fullName: fullName, logger: logger)
        } catch StoreError.conflict(let message, let field) {
            throw Rejected(field: field ?? "username", problem: message)
        }
    }
}
