import Foundation
import Logging
import PostgresNIO

/// Login throttling counted in `login_attempts`, so it holds across every server on the database:
/// a username is refused after `maxFailuresPerUsername` failures since its last success within
/// the window, an IP after `maxFailuresPerIP` failures within the window. Refusals are 429s with
/// `Retry-After` (seconds until the oldest counted failure leaves the window), decided before
/// the password is checked, so guessing cannot continue while refused.
public struct PostgresLoginLimiter: LoginLimiter {
    let database: Database
    let settings: AuthSettings

    public init(database: Database, settings: AuthSettings) {
        self.database = database
        self.settings = settings
    }

    public func check(login: String, ipAddress: String?, logger: Logger) async throws {
        let window = Double(settings.loginWindowSeconds)
        let query: PostgresQuery = """
            WITH recent AS (
                SELECT succeeded, attempted_at, lower(username) = lower(\(login)) AS same_user,
                       ip_address IS NOT DISTINCT FROM \(ipAddress)::inet AND \(ipAddress)::inet IS NOT NULL AS same_ip
                FROM login_attempts
                WHERE attempted_at > CURRENT_TIMESTAMP - make_interval(secs => \(window))
                  AND (lower(username) = lower(\(login)) OR ip_address = \(ipAddress)::inet)
            ), last_success AS (
                SELECT coalesce(max(attempted_at), '-infinity'::timestamp) AS at FROM recent WHERE same_user AND succeeded
            ), user_failures AS (
                SELECT attempted_at FROM recent, last_success WHERE same_user AND NOT succeeded AND attempted_at > last_success.at
            ), ip_failures AS (
                SELECT attempted_at FROM recent WHERE same_ip AND NOT succeeded
            )
            SELECT (SELECT count(*) FROM user_failures)::int8,
                   (SELECT extract(epoch FROM min(attempted_at) + make_interval(secs => \(window)) - CURRENT_TIMESTAMP) FROM user_failures)::float8,
                   (SELECT count(*) FROM ip_failures)::int8,
                   (SELECT extract(epoch FROM min(attempted_at) + make_interval(secs => \(window)) - CURRENT_TIMESTAMP) FROM ip_failures)::float8
            """
        for try await (userCount, userWait, ipCount, ipWait) in try await database.primary.query(query, logger: logger)
            .decode((Int64, Double?, Int64, Double?).self) {
            if userCount >= settings.maxFailuresPerUsername {
                throw Self.refusal("Too many failed logins for this account", wait: userWait)
            }
            if ipCount >= settings.maxFailuresPerIP {
                throw Self.refusal("Too many failed logins from this address", wait: ipWait)
            }
        }
    }

    static func refusal(_ message: String, wait: Double?) -> APIError {
        let seconds = max(1, Int((wait ?? 1).rounded(.up)))
        return APIError(.tooManyRequests, type: "rate_limited", message: "\(message); try again in \(seconds) s", retryAfterSeconds: seconds)
    }

    public func record(login: String, ipAddress: String?, succeeded: Bool, logger: Logger) async throws {
        let query: PostgresQuery = """
            INSERT INTO login_attempts (username, ip_address, succeeded) VALUES (\(String(login.prefix(100))), \(ipAddress)::inet, \(succeeded))
            """
        try await database.primary.query(query, logger: logger)
    }
}
