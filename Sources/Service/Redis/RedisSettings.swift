import RedisClient

/// Whether the service uses Redis, from the environment, as the seed's architecture has it
/// (a primary and a read replica beside PostgreSQL):
///
/// - `REDIS_URL` (`redis://[:password@]host[:port][/db]`): the primary. Unset: no Redis at all,
///   and everything runs on PostgreSQL as before.
/// - `REDIS_READ_URL`: a replica that serves the cache's reads; writes and invalidations go to
///   the primary, which waits (`WAIT`) for the replica to have them.
/// - `QF_REDIS_TIMEOUT_MS` (default 500): how long a command may take before the request goes on
///   without Redis, and Redis is left alone for a back-off. Making a connection may take this
///   long too, or a second when that is longer.
public struct RedisSettings: Sendable, Equatable {
    public var primary: RedisEndpoint
    public var replica: RedisEndpoint?
    public var commandTimeoutMilliseconds: Int

    public init(primary: RedisEndpoint, replica: RedisEndpoint? = nil, commandTimeoutMilliseconds: Int = 500) {
        self.primary = primary
        self.replica = replica
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
    }

    /// nil without `REDIS_URL`; an error naming the variable when a URL cannot be used.
    public static func resolve(environment: [String: String]) throws -> RedisSettings? {
        guard let url = environment["REDIS_URL"], !url.isEmpty else {
            if environment["REDIS_READ_URL"].map({ !$0.isEmpty }) ?? false {
                throw RedisError.invalidConfiguration("REDIS_READ_URL is set without REDIS_URL: a replica needs its primary")
            }
            return nil
        }
        let primary = try RedisEndpoint(url: url, name: "REDIS_URL")
        let replica = try environment["REDIS_READ_URL"].flatMap { $0.isEmpty ? nil : try RedisEndpoint(url: $0, name: "REDIS_READ_URL") }
        var timeout = 500
        if let text = environment["QF_REDIS_TIMEOUT_MS"] {
            guard let number = Int(text), (10...60_000).contains(number) else {
                throw RedisError.invalidConfiguration("QF_REDIS_TIMEOUT_MS: expected a whole number of milliseconds from 10 to 60000, got '\(text)'")
            }
            timeout = number
        }
        return RedisSettings(primary: primary, replica: replica, commandTimeoutMilliseconds: timeout)
    }
}
