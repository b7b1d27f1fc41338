import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import RedisClient
import RedisServer
import Testing
@testable import Service

/// Sessions and login limits with Redis in front of PostgreSQL, on real redis-servers of the
/// tests' own: what is read from Redis, that revocation reaches it at once (also on a replica and
/// across an outage), and that requests keep working while Redis is away.
@Suite struct RedisSessionTests {
    /// A long command timeout by default, so a busy machine never turns a Redis answer into a
    /// fallback where a test checks that Redis answered.
    static func settings(_ primary: RedisServer, replica: RedisServer? = nil, timeoutMilliseconds: Int = 30_000) throws -> RedisSettings {
        RedisSettings(primary: try RedisEndpoint(url: primary.url, name: "REDIS_URL"),
                      replica: try replica.map { try RedisEndpoint(url: $0.url, name: "REDIS_READ_URL") },
                      commandTimeoutMilliseconds: timeoutMilliseconds)
    }

    /// A client of the test's own, to look into Redis.
    static func direct(_ server: RedisServer) throws -> RedisClient {
        RedisClient(endpoint: try RedisEndpoint(url: server.url, name: "test"), connectTimeout: .seconds(30), commandTimeout: .seconds(30))
    }

    static func sessionToken(_ api: TestAPI.Harness, userID: Int) async throws -> String {
        try await AuthTests.text(api.sql, "SELECT session_token FROM user_sessions WHERE user_id = \(userID) ORDER BY id DESC LIMIT 1")
    }

    /// Revoked behind the service's back (in SQL), a cached session still answers: the check was
    /// Redis's. Logout then ends it at once.
    @Test func theSessionCheckIsReadFromRedisAndLogoutEndsItAtOnce() async throws {
        let redis = try RedisServer()
        try await TestAPI.with("redis_sessions", redis: try Self.settings(redis)) { api in
            let (token, _, id) = try await api.signUp("rosa")
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .ok)
            let sid = try await Self.sessionToken(api, userID: id)
            let direct = try Self.direct(redis)
            defer { direct.close() }
            let entry = try await direct.send(["GET", "qf:session:\(sid)"]).string
            #expect(entry == "\(id)\t0\trosa")
            let ttl = try await direct.send(["PTTL", "qf:session:\(sid)"]).integer ?? -1
            #expect(ttl > 0 && ttl <= 60_000)

            try await api.sql.query("UPDATE user_sessions SET is_active = false WHERE user_id = \(id)", logger: TestDatabase.logger)
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .ok, "served from Redis")
            try await api.sql.query("UPDATE user_sessions SET is_active = true WHERE user_id = \(id)", logger: TestDatabase.logger)

            #expect(try await api.call(.post, "/api/v1/auth/logout", token: token).status == .ok)
            #expect(try await direct.send(["GET", "qf:session:\(sid)"]).string == CachedSessionStore.tombstone)
            // PostgreSQL says live again (set back above, then revoked by logout: check both ways).
            #expect(try await AuthTests.text(api.sql, "SELECT is_active::text FROM user_sessions WHERE session_token = '\(sid)'") == "false")
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .unauthorized)
            // Without Redis the same session is refused by PostgreSQL as well: the tombstone is not the only guard.
            try await direct.send(["FLUSHALL"])
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .unauthorized)
            #expect(try await direct.send(["EXISTS", "qf:session:\(sid)"]).integer == 0, "a refused session is not cached")
        }
    }

    /// A reused refresh token revokes its session in PostgreSQL and in Redis.
    @Test func aReusedRefreshTokenEndsTheCachedSession() async throws {
        let redis = try RedisServer()
        try await TestAPI.with("redis_refresh", redis: try Self.settings(redis)) { api in
            let (token, refresh, _) = try await api.signUp("ravi")
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .ok)
            #expect(try await api.call(.post, "/api/v1/auth/refresh", token: refresh).status == .ok)
            #expect(try await api.call(.post, "/api/v1/auth/refresh", token: refresh).status == .unauthorized)
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .unauthorized)
        }
    }

    /// With a replica serving reads, logout still ends the session at once (the primary waits for
    /// the replica to have the tombstone), and the checks are the replica's.
    @Test func withAReplicaReadsAreTheReplicasAndLogoutReachesItAtOnce() async throws {
        let primary = try RedisServer()
        let replica = try RedisServer(replicaOf: primary)
        let direct = try Self.direct(primary)
        let replicaDirect = try Self.direct(replica)
        defer { direct.close(); replicaDirect.close() }
        var linked = false
        for _ in 0..<6000 where !linked {
            linked = (try await direct.send(["INFO", "replication"]).string ?? "").contains("connected_slaves:1")
            if !linked { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(linked)
        try await TestAPI.with("redis_replica", redis: try Self.settings(primary, replica: replica)) { api in
            let (token, _, _) = try await api.signUp("rhea")
            func hits() async throws -> Int {
                let stats = try await replicaDirect.send(["INFO", "stats"]).string ?? ""
                let line = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("keyspace_hits:") }
                return Int(line?.dropFirst("keyspace_hits:".count) ?? "") ?? -1
            }
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .ok)
            // The entry is written on the primary; once the replica has it, checks hit there
            // (replication takes milliseconds; up to a minute is allowed for a busy machine).
            var before = try await hits(), answered = 0
            for _ in 0..<3000 where answered == 0 {
                _ = try await api.call(.get, "/api/v1/users/me", token: token)
                let after = try await hits()
                answered = after - before
                before = after
                if answered == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(answered > 0)
            #expect(try await api.call(.post, "/api/v1/auth/logout", token: token).status == .ok)
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .unauthorized)
        }
    }

    /// Frozen Redis (SIGSTOP: connections open, data kept): requests go on over PostgreSQL; a
    /// logout made meanwhile is written to Redis before Redis is read again, so the stale entry
    /// it still holds is never served.
    @Test func aLogoutDuringAnOutageIsNotUndoneWhenRedisReturns() async throws {
        let redis = try RedisServer()
        try await TestAPI.with("redis_frozen", redis: try Self.settings(redis, timeoutMilliseconds: 200)) { api in
            let (token, _, id) = try await api.signUp("remy")
            let sid = try await Self.sessionToken(api, userID: id)
            let direct = try Self.direct(redis)
            defer { direct.close() }
            // Until the session is cached (a busy machine can turn the first attempts into
            // 200-ms timeouts, which fall back to PostgreSQL and cache nothing).
            var cached = false
            for _ in 0..<6000 where !cached {
                #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .ok)
                cached = try await direct.send(["GET", "qf:session:\(sid)"]).string == "\(id)\t0\tremy"
                if !cached { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(cached)
            redis.pause()
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .ok)
            #expect(try await api.call(.post, "/api/v1/auth/logout", token: token).status == .ok)
            #expect(api.redis?.isUp == false)
            redis.resume()
            // The stale entry is still in Redis until the service writes its tombstone.
            let held = try await direct.send(["GET", "qf:session:\(sid)"]).string
            #expect(held == "\(id)\t0\tremy" || held == CachedSessionStore.tombstone)
            // However long Redis's back-off lasts, the answer is 401: from PostgreSQL while Redis
            // is skipped, after the tombstone once it is read again.
            var redisReadAgain = false
            for _ in 0..<6000 where !redisReadAgain {
                #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .unauthorized)
                redisReadAgain = try await direct.send(["GET", "qf:session:\(sid)"]).string == CachedSessionStore.tombstone
                if !redisReadAgain { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(redisReadAgain)
            #expect(try await api.call(.get, "/api/v1/users/me", token: token).status == .unauthorized)
        }
    }

    /// redis-server killed and started again while clients keep sending authenticated requests:
    /// none fails, /metrics reports the outage, and sessions are cached again afterwards.
    @Test func requestsUnderLoadSurviveRedisStoppingAndStarting() async throws {
        let redis = try RedisServer()
        try await TestAPI.with("redis_restart", redis: try Self.settings(redis)) { api in
            let (token, _, id) = try await api.signUp("rory")
            let sid = try await Self.sessionToken(api, userID: id)
            let direct = try Self.direct(redis)
            defer { direct.close() }
            let phase = Phase()
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var seen: [Int] = []
                        while await phase.current != .done {
                            seen.append(Int(try await api.call(.get, "/api/v1/users/me", token: token).status.code))
                            await phase.count()
                        }
                        return seen
                    }
                }
                group.addTask {
                    await phase.waitForRequests(50)
                    redis.stop()
                    await phase.waitForRequests(100)
                    try redis.start()
                    // Until the service has cached the session in the new, empty server.
                    var cached = false
                    while !cached {
                        cached = (try? await direct.send(["EXISTS", "qf:session:\(sid)"]).integer) == 1
                        if !cached { await phase.waitForRequests(10) }
                    }
                    await phase.finish()
                    return []
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(statuses.count > 150 && statuses.allSatisfy { $0 == 200 }, "statuses: \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            let metrics = try await api.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            func figure(_ name: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect(figure("redis_available") == 1)
            #expect((figure("redis_outages") ?? 0) >= 1)
            #expect((figure("redis_fallbacks") ?? 0) >= 1)
        }
    }

    /// Login failures are counted in Redis with expiry; PostgreSQL keeps every row; a success
    /// clears the username's count.
    @Test func loginFailuresAreCountedInRedisWithExpiry() async throws {
        let redis = try RedisServer()
        try await TestAPI.with("redis_limits", auth: { $0.maxFailuresPerUsername = 3; $0.maxFailuresPerIP = 50; $0.loginWindowSeconds = 600 },
                               redis: try Self.settings(redis)) { api in
            _ = try await api.signUp("rita")
            let direct = try Self.direct(redis)
            defer { direct.close() }
            var from = HTTPFields()
            from[HTTPField.Name("X-Forwarded-For")!] = "198.51.100.77"
            for _ in 0..<2 {
                #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "Rita", "password": "wrong-pass-1"], headers: from).status == .unauthorized)
            }
            #expect(try await direct.send(["ZCARD", "qf:login:user:rita"]).integer == 2)
            #expect(try await direct.send(["ZCARD", "qf:login:ip:198.51.100.77"]).integer == 2)
            let ttl = try await direct.send(["PTTL", "qf:login:user:rita"]).integer ?? -1
            #expect(ttl > 0 && ttl <= 600_000)
            // A success clears the username's failures (not the address's).
            #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "rita", "password": AuthTests.password], headers: from).status == .ok)
            #expect(try await direct.send(["EXISTS", "qf:login:user:rita"]).integer == 0)
            #expect(try await direct.send(["ZCARD", "qf:login:ip:198.51.100.77"]).integer == 2)
            for _ in 0..<3 {
                _ = try await api.call(.post, "/api/v1/auth/login", json: ["username": "rita", "password": "wrong-pass-1"], headers: from)
            }
            let limited = try await api.call(.post, "/api/v1/auth/login", json: ["username": "rita", "password": AuthTests.password], headers: from)
            let retry = Int(limited.headers[.retryAfter] ?? "") ?? 0
            #expect(limited.status == .tooManyRequests && (1...600).contains(retry))
            // Every attempt is still a row.
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM login_attempts WHERE username ILIKE 'rita'") == "7")
            // The counts are Redis's: emptied there, the next attempt is let through to the password check.
            try await direct.send(["FLUSHALL"])
            #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "rita", "password": AuthTests.password], headers: from).status == .ok)
            // Redis away: PostgreSQL's rows decide, and they hold the failures made above.
            for _ in 0..<3 {
                _ = try await api.call(.post, "/api/v1/auth/login", json: ["username": "rita", "password": "wrong-pass-1"], headers: from)
            }
            redis.stop()
            let refusedByRows = try await api.call(.post, "/api/v1/auth/login", json: ["username": "rita", "password": AuthTests.password], headers: from)
            #expect(refusedByRows.status == .tooManyRequests)
        }
    }
}

/// Counts the load's requests, so the fault test moves on progress, not on time.
private actor Phase {
    enum State { case running, done }
    private(set) var current = State.running
    private var requests = 0
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    func count() {
        requests += 1
        let ready = waiters.filter { $0.0 <= requests }
        waiters.removeAll { $0.0 <= requests }
        for (_, waiter) in ready { waiter.resume() }
    }

    /// Returns once `more` requests have been made from now.
    func waitForRequests(_ more: Int) async {
        let target = requests + more
        await withCheckedContinuation { waiters.append((target, $0)) }
    }

    func finish() { current = .done }
}
