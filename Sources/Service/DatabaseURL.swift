import Foundation

/// A PostgreSQL connection URL (`postgres://user:password@host:port/database?sslmode=…`), parsed
/// into the fields a client needs. `DATABASE_URL` and `DATABASE_READ_URL` are given in this form.
public struct DatabaseURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// Query parameters such as `sslmode` or `host` (a unix-socket folder, libpq's convention).
    public var parameters: [String: String]

    /// Why a URL was rejected.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let url: String
        public let reason: String
        public var description: String { "invalid database URL '\(DatabaseURL.redacted(url))': \(reason)" }
    }

    /// Parses `text`; the scheme must be `postgres` or `postgresql`.
    /// - Throws: `ParseError` saying which part is wrong (the password is never echoed).
    public init(_ text: String) throws {
        func fail(_ reason: String) -> ParseError { ParseError(url: text, reason: reason) }
        guard let schemeEnd = text.range(of: "://") else { throw fail("missing scheme (expected postgres://)") }
        let scheme = text[..<schemeEnd.lowerBound]
        guard scheme == "postgres" || scheme == "postgresql" else { throw fail("scheme '\(scheme)' is not postgres or postgresql") }
        var rest = Substring(text[schemeEnd.upperBound...])
        var parameters: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let key = String(kv[0]).removingPercentEncoding, let value = String(kv[1]).removingPercentEncoding else {
                    throw fail("query parameter '\(pair)' is not key=value")
                }
                parameters[key] = value
            }
            rest = rest[..<q]
        }
        var database = ""
        if let slash = rest.firstIndex(of: "/") {
            database = String(rest[rest.index(after: slash)...]).removingPercentEncoding ?? ""
            rest = rest[..<slash]
        }
        var user = "postgres"
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEncoding ?? ""
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding
            } else {
                user = String(credentials).removingPercentEncoding ?? ""
            }
            rest = rest[rest.index(after: at)...]
        }
        var host = String(rest)
        var port = 5432
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw fail("port '\(rest[rest.index(after: colon)...])' is not a number in 1...65535")
            }
            port = p
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty {
            guard let socketFolder = parameters["host"] else { throw fail("no host (give one, or a unix-socket folder as ?host=)") }
            host = socketFolder
        }
        guard !user.isEmpty else { throw fail("empty user name") }
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database.isEmpty ? user : database
        self.parameters = parameters
    }

    /// Whether `host` names a unix-socket folder rather than a network host.
    public var isUnixSocket: Bool { host.hasPrefix("/") }

    /// `text` with any password replaced by `***`, for logs and errors.
    public static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return text[..<credentials.index(after: colon)] + "***" + text[at...]
    }
}
