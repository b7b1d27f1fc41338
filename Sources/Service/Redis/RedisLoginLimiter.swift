import Logging
import RedisClient

/// Login throttling counted in Redis: one sorted set of failure times per username and per IP,
/// trimmed to the window and expiring with it, updated and read by one script (atomic, on Redis's
/// clock, so every server counts alike). A success clears the username's failures, as "failures
/// since the last success" says. `login_attempts` still gets every row (the record); when Redis
/// fails, the check counts those rows instead (`PostgresLoginLimiter`), so an outage never opens
/// the door. Failures made while Redis was away are in the rows but not in Redis's counts.
public struct RedisLoginLimiter: LoginLimiter {
    public let rows: PostgresLoginLimiter
    public let link: RedisLink
    let settings: AuthSettings

    public init(rows: PostgresLoginLimiter, link: RedisLink, settings: AuthSettings) {
        self.rows = rows
        self.link = link
        self.settings = settings
    }

    /// KEYS: the username's set, then the IP's when known. ARGV: window (ms), action
    /// (`check`, `fail`, `succeed`), a unique member. Returns count and milliseconds until the
    /// oldest counted failure leaves the window, for each key.
    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local window = tonumber(ARGV[1])
        local out = {}
        for i, key in ipairs(KEYS) do
          redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
          if ARGV[2] == 'fail' then
            redis.call('ZADD', key, now, ARGV[3])
            redis.call('PEXPIRE', key, window)
          elseif ARGV[2] == 'succeed' and i == 1 then
            redis.call('DEL', key)
          end
          local count = redis.call('ZCARD', key)
          local wait = 0
          if count > 0 then
            local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
            wait = tonumber(oldest[2]) + window - now
          end
          out[#out + 1] = count
          out[#out + 1] = wait
        end
        return out
        """

    static func keys(login: String, ipAddress: String?) -> [String] {
        ["qf:login:user:\(login.prefix(100).lowercased())"] + (ipAddress.map { ["qf:login:ip:\($0)"] } ?? [])
    }

    /// Runs the script; nil when Redis failed.
    func run(_ action: String, login: String, ipAddress: String?) async -> [(count: Int64, waitMilliseconds: Int64)]? {
        let keys = Self.keys(login: login, ipAddress: ipAddress)
        let window = String(settings.loginWindowSeconds * 1000)
        let member = "\(UInt64.random(in: 0...UInt64.max))"
        return await link.attempt("login limit") { link -> [(Int64, Int64)] in
            let reply = try await link.primary.send(["EVAL", Self.script, String(keys.count)] + keys + [window, action, member])
            guard let numbers = reply.elements?.compactMap(\.integer), numbers.count == 2 * keys.count else {
                throw RedisError.protocolViolation("the login-limit script answered \(reply)")
            }
            return stride(from: 0, to: numbers.count, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
        }
    }

    public func check(login: String, ipAddress: String?, logger: Logger) async throws {
        guard let counts = await run("check", login: login, ipAddress: ipAddress) else {
            return try await rows.check(login: login, ipAddress: ipAddress, logger: logger)
        }
        if counts[0].count >= settings.maxFailuresPerUsername {
            throw PostgresLoginLimiter.refusal("Too many failed logins for this account", wait: Double(counts[0].waitMilliseconds) / 1000)
        }
        if counts.count > 1, counts[1].count >= settings.maxFailuresPerIP {
            throw PostgresLoginLimiter.refusal("Too many failed logins from this address", wait: Double(counts[1].waitMilliseconds) / 1000)
        }
    }

    public func record(login: String, ipAddress: String?, succeeded: Bool, logger: Logger) async throws {
        try await rows.record(login: login, ipAddress: ipAddress, succeeded: succeeded, logger: logger)
        _ = await run(succeeded ? "succeed" : "fail", login: login, ipAddress: ipAddress)
    }
}
