import Foundation

/// How the service signs tokens, hashes passwords and limits logins, from the environment:
///
/// - `QF_JWT_SECRET` (at least 32 bytes) signs access tokens (HS256) under key id `QF_JWT_KID`
///   (default `k1`). To rotate, set the new secret and kid and list the old ones in
///   `QF_JWT_PREVIOUS_SECRETS` as `kid=secret,kid=secret`: tokens signed with them still verify
///   until they expire, new ones use the new key. Without `QF_JWT_SECRET` a random secret is made
///   once and kept in `.qf/jwt-secret` (mode 0600), so a development server needs no setup and its
///   tokens survive restarts.
/// - `QF_ACCESS_TOKEN_TTL` (seconds, default 3600), `QF_REFRESH_TOKEN_TTL` (default 7 days),
///   `QF_REMEMBER_ME_TTL` (default 30 days): lifetimes of the access token and of the session
///   its refresh token keeps alive.
/// - `QF_BCRYPT_COST` (4–31, default 12).
/// - `QF_LOGIN_MAX_FAILURES_PER_USERNAME` (default 5), `QF_LOGIN_MAX_FAILURES_PER_IP` (default
///   20), `QF_LOGIN_WINDOW` (seconds, default 900): failed logins counted in the database.
/// - `QF_TRUST_FORWARDED_FOR=1`: take the client's IP from `X-Forwarded-For` (behind a proxy
///   you control); otherwise the TCP peer's address is used and the header ignored.
public struct AuthSettings: Sendable {
    /// A signing key and its id.
    public struct SigningKey: Sendable, Equatable {
        public var kid: String
        public var secret: String

        public init(kid: String, secret: String) {
            self.kid = kid
            self.secret = secret
        }
    }

    public var signingKey: SigningKey
    public var previousKeys: [SigningKey] = []
    public var accessTokenTTL = 3600
    public var refreshTokenTTL = 7 * 86_400
    public var rememberMeTTL = 30 * 86_400
    public var bcryptCost: UInt8 = 12
    /// Hashes at once (nil: the cores) and hashes waiting (nil: 4 per slot); beyond, 503.
    public var bcryptSlots: Int?
    public var bcryptQueue: Int?
    public var maxFailuresPerUsername = 5
    public var maxFailuresPerIP = 20
    public var loginWindowSeconds = 900
    public var trustForwardedFor = false

    public static let minimumSecretBytes = 32

    public init(signingKey: SigningKey) {
        self.signingKey = signingKey
    }

    /// A configuration problem, naming the variable.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the environment; `projectDirectory` holds the generated secret when none is set.
    public static func resolve(environment: [String: String], projectDirectory: String) throws -> AuthSettings {
        let kid = environment["QF_JWT_KID"] ?? "k1"
        let secret: String
        if let configured = environment["QF_JWT_SECRET"] {
            secret = configured
        } else {
            secret = try generatedSecret(in: projectDirectory)
        }
        guard secret.utf8.count >= minimumSecretBytes else {
            throw Invalid(description: "QF_JWT_SECRET: at least \(minimumSecretBytes) bytes are needed for HS256 (got \(secret.utf8.count))")
        }
        var settings = AuthSettings(signingKey: SigningKey(kid: kid, secret: secret))
        if let previous = environment["QF_JWT_PREVIOUS_SECRETS"], !previous.isEmpty {
            for entry in previous.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.count >= minimumSecretBytes, parts[0] != kid else {
                    throw Invalid(description: "QF_JWT_PREVIOUS_SECRETS: each entry is kid=secret with a secret of at least \(minimumSecretBytes) bytes and a kid other than QF_JWT_KID")
                }
                settings.previousKeys.append(SigningKey(kid: parts[0], secret: parts[1]))
            }
        }
        settings.accessTokenTTL = try integer("QF_ACCESS_TOKEN_TTL", environment, default: 3600, range: 60...86_400)
        settings.refreshTokenTTL = try integer("QF_REFRESH_TOKEN_TTL", environment, default: 7 * 86_400, range: 300...365 * 86_400)
        settings.rememberMeTTL = try integer("QF_REMEMBER_ME_TTL", environment, default: 30 * 86_400, range: 300...365 * 86_400)
        settings.bcryptCost = UInt8(try integer("QF_BCRYPT_COST", environment, default: 12, range: 4...31))
        if environment["QF_BCRYPT_SLOTS"] != nil { settings.bcryptSlots = try integer("QF_BCRYPT_SLOTS", environment, default: 1, range: 1...1024) }
        if environment["QF_BCRYPT_QUEUE"] != nil { settings.bcryptQueue = try integer("QF_BCRYPT_QUEUE", environment, default: 0, range: 0...100_000) }
        settings.maxFailuresPerUsername = try integer("QF_LOGIN_MAX_FAILURES_PER_USERNAME", environment, default: 5, range: 1...10_000)
        settings.maxFailuresPerIP = try integer("QF_LOGIN_MAX_FAILURES_PER_IP", environment, default: 20, range: 1...100_000)
        settings.loginWindowSeconds = try integer("QF_LOGIN_WINDOW", environment, default: 900, range: 1...86_400)
        settings.trustForwardedFor = environment["QF_TRUST_FORWARDED_FOR"] == "1"
        return settings
    }

    static func integer(_ name: String, _ environment: [String: String], default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = environment[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw Invalid(description: "\(name): expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    /// Settings with a random key that is never written anywhere, for processes that sign and
    /// check no tokens (workers).
    public static func unusedKey() -> AuthSettings {
        var generator = SystemRandomNumberGenerator()
        return AuthSettings(signingKey: SigningKey(kid: "unused", secret: (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()))
    }

    /// The secret kept in `.qf/jwt-secret`, created (random, 0600, written then renamed) if absent.
    static func generatedSecret(in projectDirectory: String) throws -> String {
        let directory = URL(fileURLWithPath: projectDirectory).appendingPathComponent(".qf")
        let file = directory.appendingPathComponent("jwt-secret")
        if let existing = try? String(contentsOf: file, encoding: .utf8), existing.utf8.count >= minimumSecretBytes {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<8).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
        let temporary = directory.appendingPathComponent("jwt-secret.\(getpid()).tmp")
        _ = FileManager.default.createFile(atPath: temporary.path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        // link() never replaces an existing file: when another process won the race, its secret
        // stays and everyone uses whatever the file holds.
        let linked = link(temporary.path, file.path)
        let linkError = errno
        unlink(temporary.path)
        if linked != 0 && linkError != EEXIST {
            throw Invalid(description: "\(file.path): could not store the generated JWT secret (errno \(linkError))")
        }
        return (try String(contentsOf: file, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
