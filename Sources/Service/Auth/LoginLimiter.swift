import Logging

/// Login throttling: a username is refused after `maxFailuresPerUsername` failures since its
/// last success within the window, an IP after `maxFailuresPerIP` failures within the window,
/// with a 429 whose `Retry-After` is the seconds until the oldest counted failure leaves it.
/// Every attempt is also a row of `login_attempts`, the record; `PostgresLoginLimiter` counts
/// those rows, `RedisLoginLimiter` counts in Redis with expiry.
public protocol LoginLimiter: Sendable {
    /// Throws a 429 (`APIError`) when `login` or `ipAddress` has failed too often lately.
    func check(login: String, ipAddress: String?, logger: Logger) async throws
    /// Records an attempt's outcome.
    func record(login: String, ipAddress: String?, succeeded: Bool, logger: Logger) async throws
}
