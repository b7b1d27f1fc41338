import Foundation

/// What registration accepts, each rule reported against its field:
/// - username: 3–50 characters of letters, digits, `_`, `-` and `.`, starting with a letter or
///   digit (unique regardless of case);
/// - email: one `@`, a non-empty local part and a dotted domain, no spaces, at most 100
///   characters (stored lower-cased, unique);
/// - password: 8 to 72 bytes (bcrypt's limit), at least one letter and one digit, not the
///   username and not one of the most common passwords.
public enum CredentialRules {
    /// The username rule as a pattern (with 3…50 characters), for the API document.
    public static let usernamePattern = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    /// The email rule as a pattern: one `@`, no white space, a domain of non-empty dotted labels.
    public static let emailPattern = "^[^@\(BodyField.whiteSpace)]+@[^@.\(BodyField.whiteSpace)]+(\\.[^@.\(BodyField.whiteSpace)]+)+$"

    public static func usernameProblem(_ username: String) -> String? {
        let allowed = username.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) }
        guard (3...50).contains(username.count), allowed,
              let first = username.unicodeScalars.first, CharacterSet.alphanumerics.contains(first) else {
            return "3 to 50 characters: letters, digits, '_', '-' or '.', starting with a letter or digit"
        }
        return nil
    }

    public static func emailProblem(_ email: String) -> String? {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 100, parts.count == 2, !parts[0].isEmpty, !email.contains(where: { $0.isWhitespace }),
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains("..") else {
            return "Invalid email format"
        }
        return nil
    }

    static let common: Set<String> = ["password1", "password123", "12345678a", "qwerty123", "abc12345", "letmein1", "welcome1", "iloveyou1", "passw0rd", "admin123"]

    public static func passwordProblem(_ password: String, username: String?) -> String? {
        if password.utf8.count < 8 { return "at least 8 characters" }
        if password.utf8.count > PasswordHasher.maximumBytes { return "at most \(PasswordHasher.maximumBytes) bytes" }
        if !password.contains(where: { $0.isLetter }) || !password.contains(where: { $0.isNumber }) {
            return "needs at least one letter and one digit"
        }
        if let username, password.lowercased() == username.lowercased() { return "must differ from the username" }
        if common.contains(password.lowercased()) { return "too common; choose another" }
        return nil
    }
}
