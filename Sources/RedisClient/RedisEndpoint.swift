/// Where a Redis server is and how to sign in: `redis://[[user]:password@]host[:port][/db]`, the
/// form redis-cli and every client library take. A password's special characters are
/// percent-encoded in the URL, as in any URL.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `url`; `name` (the environment variable it came from) is in every error.
    public init(url: String, name: String) throws {
        func invalid(_ why: String) -> RedisError { .invalidConfiguration("\(name): \(why) (expected redis://[:password@]host[:port][/db], got '\(url)')") }
        guard url.hasPrefix("redis://") else { throw invalid(url.hasPrefix("rediss://") ? "TLS (rediss://) is not supported" : "the scheme must be redis://") }
        var rest = Substring(url.dropFirst("redis://".count))
        var username: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = String(credentials[..<colon])
                username = user.isEmpty ? nil : try Self.percentDecoded(user, invalid)
                password = try Self.percentDecoded(String(credentials[credentials.index(after: colon)...]), invalid)
            } else {
                password = try Self.percentDecoded(String(credentials), invalid)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), (0...15_999).contains(number) else { throw invalid("the database '\(path)' is not a number") }
                database = number
            }
        }
        var host = String(rest), port = 6379
        if host.hasPrefix("[") {   // [::1]:6379
            guard let close = host.firstIndex(of: "]") else { throw invalid("an IPv6 address needs its closing ]") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65_535).contains(number) else { throw invalid("the port is not a number from 1 to 65535") }
                port = number
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65_535).contains(number) else { throw invalid("the port is not a number from 1 to 65535") }
            port = number
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw invalid("the host is missing") }
        self.init(host: host, port: port, username: username, password: password, database: database)
    }

    private static func percentDecoded(_ text: String, _ invalid: (String) -> RedisError) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { throw invalid("a % in the credentials is not followed by two hex digits") }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The URL without its password, for logs.
    public var description: String {
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(credentials)\(shownHost):\(port)/\(database)"
    }
}
