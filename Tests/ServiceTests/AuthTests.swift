import Foundation
import JWTKit
import HTTPTypes
import PostgresNIO
@testable import Service
import RedisServer
import Testing

/// Registration, login, refresh rotation, logout and the profile, over HTTP against PostgreSQL,
/// with the security cases: tampered, expired, foreign-key and revoked-session tokens, and
/// refresh-token reuse.
@Suite struct AuthTests {
    static let password = "correct-horse-42"

    @Test func registrationValidatesEachFieldAndRefusesDuplicatesByField() async throws {
        try await TestAPI.with("auth_register") { api in
            let ok = try await api.call(.post, "/api/v1/auth/register",
                                        json: ["username": "Ada_L", "email": "Ada@Example.com", "password": Self.password, "full_name": "Ada Lovelace"])
            #expect(ok.status == .created && ok.body["code"] as? Int == 201)
            #expect(ok.body.data["username"] as? String == "Ada_L" && ok.body.data["email"] as? String == "ada@example.com")
            #expect(ok.body.data["hashed_password"] == nil && ok.body.data["login_count"] as? Int == 0 && ok.body.data["is_superuser"] as? Bool == false)
            let stored = try await Self.text(api.sql, "SELECT hashed_password FROM users WHERE username = 'Ada_L'")
            #expect(stored.hasPrefix("$2b$04$") && !stored.contains(Self.password), "bcrypt, never the password")

            let bad = try await api.call(.post, "/api/v1/auth/register", json: ["username": "a b", "email": "no-at-sign", "password": "short", "role": "admin"])
            #expect(bad.status == .badRequest && bad.body.error["type"] as? String == "validation_error")
            #expect(Set(bad.body.errorFields) == ["username", "email", "password", "role"])
            for (password, why) in [("lettersonly", "digit"), ("12345678", "letter"), ("password123", "common"), (String(repeating: "a1", count: 40), "72")] {
                let weak = try await api.call(.post, "/api/v1/auth/register", json: ["username": "bob", "email": "bob@example.com", "password": password])
                let message = ((weak.body.error["details"] as? [[String: Any]])?.first?["message"] as? String) ?? ""
                #expect(weak.status == .badRequest && weak.body.errorFields == ["password"] && message.contains(why), "\(password): \(message)")
            }
            let missing = try await api.call(.post, "/api/v1/auth/register", json: [:])
            #expect(Set(missing.body.errorFields) == ["username", "email", "password"])

            let sameName = try await api.call(.post, "/api/v1/auth/register", json: ["username": "ada_l", "email": "other@example.com", "password": Self.password])
            #expect(sameName.status == .conflict && sameName.body.errorFields == ["username"], "usernames are unique regardless of case")
            let sameEmail = try await api.call(.post, "/api/v1/auth/register", json: ["username": "ada2", "email": "ADA@example.com", "password": Self.password])
            #expect(sameEmail.status == .conflict && sameEmail.body.errorFields == ["email"])
            let notJSON = try await api.client.execute(uri: "/api/v1/auth/register", method: .post, body: ByteBuffer(string: "{nope")) { $0.status }
            #expect(notJSON == .badRequest)
        }
    }

    @Test func loginChecksThePasswordAndRecordsTheSession() async throws {
        try await TestAPI.with("auth_login") { api in
            let (_, _, id) = try await api.signUp("carol")
            let wrong = try await api.call(.post, "/api/v1/auth/login", json: ["username": "carol", "password": "wrong-horse-42"])
            let unknown = try await api.call(.post, "/api/v1/auth/login", json: ["username": "nobody", "password": Self.password])
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.body.error["message"] as? String == unknown.body.error["message"] as? String, "no hint which part was wrong")
            let incomplete = try await api.call(.post, "/api/v1/auth/login", json: ["username": "carol", "remember_me": "yes"])
            #expect(incomplete.status == .badRequest && Set(incomplete.body.errorFields) == ["password", "remember_me"])

            var headers = HTTPFields()
            headers[.userAgent] = "qf-test/1.0"
            headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.7, 10.0.0.1"
            let login = try await api.call(.post, "/api/v1/auth/login", json: ["username": "CAROL", "password": Self.password, "remember_me": true], headers: headers)
            #expect(login.status == .ok && login.body.data["token_type"] as? String == "bearer" && login.body.data["expires_in"] as? Int == 3600)
            let user = login.body.data["user"] as? [String: Any] ?? [:]
            #expect(user["id"] as? Int == id && user["username"] as? String == "carol" && user["login_count"] as? Int == 2)
            #expect(user["last_login_at"] is String)
            let session = try await Self.text(api.sql, """
                SELECT host(ip_address) || '|' || user_agent || '|' || (expires_at > CURRENT_TIMESTAMP + INTERVAL '29 days')::text
                FROM user_sessions WHERE user_id = \(id) ORDER BY id DESC LIMIT 1
                """)
            #expect(session == "203.0.113.7|qf-test/1.0|true", "IP, user agent, and remember_me's 30-day lifetime")
            let plain = try await Self.text(api.sql, "SELECT (expires_at < CURRENT_TIMESTAMP + INTERVAL '8 days')::text FROM user_sessions WHERE user_id = \(id) ORDER BY id LIMIT 1")
            #expect(plain == "true", "without remember_me the session lasts 7 days")
            let storedRefresh = try await Self.text(api.sql, "SELECT refresh_token FROM user_sessions WHERE user_id = \(id) ORDER BY id DESC LIMIT 1")
            #expect(storedRefresh == RefreshTokens.hash(login.body.data["refresh_token"] as? String ?? ""), "only the hash is stored")

            // Email works as the login too; a deactivated account is refused even with the right password.
            let byEmail = try await api.call(.post, "/api/v1/auth/login", json: ["username": "carol@example.com", "password": Self.password])
            #expect(byEmail.status == .ok)
            try await api.sql.query("UPDATE users SET is_active = false WHERE id = \(id)", logger: TestDatabase.logger)
            let inactive = try await api.call(.post, "/api/v1/auth/login", json: ["username": "carol", "password": Self.password])
            #expect(inactive.status == .forbidden)
            let stale = try await api.call(.get, "/api/v1/users/me", token: byEmail.body.data["access_token"] as? String)
            #expect(stale.status == .unauthorized, "a deactivated user's tokens stop working")
        }
    }

    @Test func refreshRotatesAndAReusedTokenRevokesTheSession() async throws {
        try await TestAPI.with("auth_refresh") { api in
            let (access, refresh, _) = try await api.signUp("dave")
            let first = try await api.call(.post, "/api/v1/auth/refresh", token: refresh)
            let newRefresh = first.body.data["refresh_token"] as? String ?? ""
            let newAccess = first.body.data["access_token"] as? String ?? ""
            #expect(first.status == .ok && !newRefresh.isEmpty && newRefresh != refresh && first.body.data["expires_in"] as? Int == 3600)
            #expect(try await api.call(.get, "/api/v1/users/me", token: newAccess).status == .ok)
            // An access token is not a refresh token.
            #expect(try await api.call(.post, "/api/v1/auth/refresh", token: access).status == .unauthorized)

            // The old refresh token again: reuse. The session is revoked: the newest refresh token
            // and every access token of the session stop working.
            let reuse = try await api.call(.post, "/api/v1/auth/refresh", token: refresh)
            #expect(reuse.status == .unauthorized && (reuse.body.error["message"] as? String ?? "").contains("revoked"))
            #expect(try await api.call(.post, "/api/v1/auth/refresh", token: newRefresh).status == .unauthorized)
            #expect(try await api.call(.get, "/api/v1/users/me", token: newAccess).status == .unauthorized)
            #expect(try await api.call(.get, "/api/v1/users/me", token: access).status == .unauthorized)
            let missing = try await api.call(.post, "/api/v1/auth/refresh")
            #expect(missing.status == .unauthorized && missing.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func logoutEndsTheSessionAndOnlyThatSession() async throws {
        try await TestAPI.with("auth_logout") { api in
            let (phone, _, _) = try await api.signUp("erin")
            let laptop = try await api.call(.post, "/api/v1/auth/login", json: ["username": "erin", "password": Self.password])
            let laptopToken = laptop.body.data["access_token"] as? String
            let refresh = laptop.body.data["refresh_token"] as? String
            #expect(try await api.call(.post, "/api/v1/auth/logout", token: laptopToken).status == .ok)
            #expect(try await api.call(.get, "/api/v1/users/me", token: laptopToken).status == .unauthorized)
            #expect(try await api.call(.post, "/api/v1/auth/refresh", token: refresh).status == .unauthorized)
            #expect(try await api.call(.get, "/api/v1/users/me", token: phone).status == .ok, "the other session lives on")
            #expect(try await api.call(.post, "/api/v1/auth/logout").status == .unauthorized)
        }
    }

    @Test func forgedExpiredAndForeignTokensAreRefused() async throws {
        try await TestAPI.with("auth_tokens") { api in
            let (access, _, id) = try await api.signUp("frank")
            let sid = try await Self.text(api.sql, "SELECT session_token FROM user_sessions WHERE user_id = \(id)")
            let parts = access.split(separator: ".").map(String.init)
            #expect(parts.count == 3)
            // Payload changed to another user, signature kept.
            let otherPayload = try Self.base64URL(JSONSerialization.data(withJSONObject: ["sub": "999", "sid": sid, "typ": "access",
                                                                                          "iat": Date().timeIntervalSince1970, "exp": Date().timeIntervalSince1970 + 600]))
            let tampered = [parts[0], otherPayload, parts[2]].joined(separator: ".")
            // The signature's first character changed (its last one carries two unused bits, so
            // changing it can leave the decoded signature the same).
            let badSignature = parts[0] + "." + parts[1] + "." + (parts[2].hasPrefix("A") ? "B" : "A") + String(parts[2].dropFirst())
            // alg none, no signature.
            let none = try Self.base64URL(JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT"])) + "." + parts[1] + "."
            // Signed with another secret under the same kid.
            let otherKeys = await AccessTokens(settings: TestAPI.authSettings { $0.signingKey.secret = String(repeating: "z", count: 40) })
            let foreign = try await otherKeys.issue(userID: id, sessionToken: sid)
            // Our key, expired an hour ago.
            let expired = try await api.auth.tokens.issue(userID: id, sessionToken: sid, now: Date().addingTimeInterval(-7200))
            for (name, token) in [("tampered", tampered), ("bad signature", badSignature), ("alg none", none), ("foreign", foreign),
                                  ("expired", expired), ("garbage", "not.a.jwt")] {
                let response = try await api.call(.get, "/api/v1/users/me", token: token)
                #expect(response.status == .unauthorized && response.body["success"] as? Bool == false, "\(name)")
            }
            let expiredMessage = try await api.call(.get, "/api/v1/users/me", token: expired).body.error["message"] as? String
            #expect(expiredMessage == "Access token expired")
            #expect(try await api.call(.get, "/api/v1/users/me", token: access).status == .ok)
        }
    }

    /// Signed with the current secret, yet not ours to accept: no kid, a kid that is not configured,
    /// or an issue time in the future (beyond the allowed clock skew).
    @Test func tokensWithoutAKnownKidOrIssuedInTheFutureAreRefused() async throws {
        try await TestAPI.with("auth_kid") { api in
            let (access, _, id) = try await api.signUp("kidder")
            let sid = try await Self.text(api.sql, "SELECT session_token FROM user_sessions WHERE user_id = \(id)")
            let claims = AccessTokenClaims(userID: id, sessionToken: sid, issuedAt: Date(), expiresAt: Date().addingTimeInterval(600))
            let noKid = JWTKeyCollection()
            await noKid.add(hmac: HMACKey(from: TestAPI.secret), digestAlgorithm: .sha256)
            let withoutKid = try await noKid.sign(claims)
            let unknownKid = try await AccessTokens(settings: TestAPI.authSettings { $0.signingKey.kid = "not-configured" }).issue(userID: id, sessionToken: sid)
            let future = try await api.auth.tokens.issue(userID: id, sessionToken: sid, now: Date().addingTimeInterval(3600))
            let slightlyAhead = try await api.auth.tokens.issue(userID: id, sessionToken: sid, now: Date().addingTimeInterval(20))
            for (name, token) in [("no kid", withoutKid), ("unknown kid", unknownKid), ("issued in an hour", future)] {
                let response = try await api.call(.get, "/api/v1/users/me", token: token)
                #expect(response.status == .unauthorized, "\(name): \(response.status)")
            }
            #expect(try await api.call(.get, "/api/v1/users/me", token: slightlyAhead).status == .ok, "a small clock skew is allowed")
            #expect(try await api.call(.get, "/api/v1/users/me", token: access).status == .ok)
        }
    }

    @Test func aRotatedSecretKeepsOldTokensValidUntilTheyExpire() async throws {
        let old = AuthSettings.SigningKey(kid: "2025", secret: String(repeating: "o", count: 40))
        let new = AuthSettings.SigningKey(kid: "2026", secret: String(repeating: "n", count: 40))
        var before = AuthSettings(signingKey: old)
        before.bcryptCost = 4
        var after = AuthSettings(signingKey: new)
        after.previousKeys = [old]
        let oldTokens = await AccessTokens(settings: before), newTokens = await AccessTokens(settings: after)
        let issuedBefore = try await oldTokens.issue(userID: 7, sessionToken: "qfs_x")
        #expect(try await newTokens.verify(issuedBefore).userID == 7, "the old kid still verifies")
        let issuedAfter = try await newTokens.issue(userID: 8, sessionToken: "qfs_y")
        let header = try JSONSerialization.jsonObject(with: Self.unbase64URL(String(issuedAfter.split(separator: ".")[0]))) as? [String: Any]
        #expect(header?["kid"] as? String == "2026" && header?["alg"] as? String == "HS256")
        let payload = String(decoding: Self.unbase64URL(String(issuedAfter.split(separator: ".")[1])), as: UTF8.self)
        let claims = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
        #expect(!payload.contains("."), "iat and exp are whole seconds: \(payload)")
        #expect((claims?["exp"] as? Int ?? 0) - (claims?["iat"] as? Int ?? 0) == 3600 && claims?["sub"] as? String == "8" && claims?["typ"] as? String == "access")
        await #expect(throws: APIError.self) { try await oldTokens.verify(issuedAfter) }
        var dropped = after
        dropped.previousKeys = []
        await #expect(throws: APIError.self) { try await AccessTokens(settings: dropped).verify(issuedBefore) }

        // The environment form, and its errors.
        let settings = try AuthSettings.resolve(environment: ["QF_JWT_SECRET": new.secret, "QF_JWT_KID": "2026",
                                                               "QF_JWT_PREVIOUS_SECRETS": "2025=\(old.secret)"], projectDirectory: "/nonexistent")
        #expect(settings.signingKey == new && settings.previousKeys == [old])
        #expect(throws: AuthSettings.Invalid.self) { try AuthSettings.resolve(environment: ["QF_JWT_SECRET": "short"], projectDirectory: "/nonexistent") }
        #expect(throws: AuthSettings.Invalid.self) {
            try AuthSettings.resolve(environment: ["QF_JWT_SECRET": new.secret, "QF_BCRYPT_COST": "3"], projectDirectory: "/nonexistent")
        }
        // Without a secret one is generated once and kept.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qf-auth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try AuthSettings.resolve(environment: [:], projectDirectory: directory)
        let second = try AuthSettings.resolve(environment: [:], projectDirectory: directory)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/.qf/jwt-secret")[.posixPermissions] as? Int
        #expect(first.signingKey.secret.count == 128 && first.signingKey == second.signingKey && mode == 0o600)
    }

    /// The same limits whether PostgreSQL's rows or Redis count the failures.
    @Test(arguments: [false, true]) func loginsAreRateLimitedPerUsernameAndPerIP(countedInRedis: Bool) async throws {
        let redis = countedInRedis ? try RedisServer() : nil
        let settings = try redis.map { try RedisSessionTests.settings($0) }
        try await TestAPI.with("auth_limits", auth: { $0.maxFailuresPerUsername = 3; $0.maxFailuresPerIP = 5 }, redis: settings) { api in
            _ = try await api.signUp("gina")
            var fromA = HTTPFields()
            fromA[HTTPField.Name("X-Forwarded-For")!] = "198.51.100.1"
            for _ in 0..<3 {
                let wrong = try await api.call(.post, "/api/v1/auth/login", json: ["username": "gina", "password": "wrong-pass-1"], headers: fromA)
                #expect(wrong.status == .unauthorized)
            }
            // Refused before the password is looked at: the right one is refused too.
            let limited = try await api.call(.post, "/api/v1/auth/login", json: ["username": "gina", "password": Self.password], headers: fromA)
            let retry = Int(limited.headers[.retryAfter] ?? "") ?? 0
            #expect(limited.status == .tooManyRequests && limited.body.error["type"] as? String == "rate_limited" && (1...900).contains(retry))

            // Per IP: failures against several usernames from one address add up.
            var fromB = HTTPFields()
            fromB[HTTPField.Name("X-Forwarded-For")!] = "2001:db8::5"
            for name in ["u1", "u2", "u3", "u4", "u5"] {
                _ = try await api.call(.post, "/api/v1/auth/login", json: ["username": name, "password": "wrong-pass-1"], headers: fromB)
            }
            let ipLimited = try await api.call(.post, "/api/v1/auth/login", json: ["username": "u6", "password": "wrong-pass-1"], headers: fromB)
            #expect(ipLimited.status == .tooManyRequests && (ipLimited.body.error["message"] as? String ?? "").contains("address"))
            // Another address is not affected, and the counts live in the database.
            var fromC = HTTPFields()
            fromC[HTTPField.Name("X-Forwarded-For")!] = "192.0.2.9"
            #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "u6", "password": "wrong-pass-1"], headers: fromC).status == .unauthorized)
            #expect(try await Self.text(api.sql, "SELECT count(*)::text FROM login_attempts WHERE NOT succeeded") == "9")
            // Garbage in X-Forwarded-For is ignored, not cast into INET.
            var junk = HTTPFields()
            junk[HTTPField.Name("X-Forwarded-For")!] = "'; DROP TABLE users; --"
            #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "zed", "password": "wrong-pass-1"], headers: junk).status == .unauthorized)
        }
    }

    @Test func theProfileReadsAndUpdates() async throws {
        try await TestAPI.with("auth_profile") { api in
            let (token, _, id) = try await api.signUp("hana")
            let me = try await api.call(.get, "/api/v1/users/me", token: token)
            #expect(me.status == .ok && me.body.data["id"] as? Int == id && me.body.data["settings"] as? [String: Any] != nil)
            let update = try await api.call(.put, "/api/v1/users/me", json: ["full_name": "Hana K", "avatar_url": "https://example.com/h.png",
                                                                           "settings": ["theme": "dark", "page_size": 50]], token: token)
            #expect(update.status == .ok && update.body.data["full_name"] as? String == "Hana K")
            let settings = update.body.data["settings"] as? [String: Any]
            #expect(settings?["theme"] as? String == "dark" && settings?["page_size"] as? Int == 50)
            let again = try await api.call(.get, "/api/v1/users/me", token: token)
            #expect(again.body.data["avatar_url"] as? String == "https://example.com/h.png")
            let cleared = try await api.call(.put, "/api/v1/users/me", json: ["full_name": NSNull()], token: token)
            #expect(cleared.status == .ok && cleared.body.data["full_name"] is NSNull && cleared.body.data["avatar_url"] as? String == "https://example.com/h.png")
            let bad = try await api.call(.put, "/api/v1/users/me", json: ["avatar_url": "javascript:alert(1)", "settings": "x", "is_superuser": true], token: token)
            #expect(bad.status == .badRequest && Set(bad.body.errorFields) == ["avatar_url", "settings", "is_superuser"])
            let superuser = try await Self.text(api.sql, "SELECT is_superuser::text FROM users WHERE id = \(id)")
            #expect(superuser == "false")
            let anonymous = try await api.call(.get, "/api/v1/users/me")
            #expect(anonymous.status == .unauthorized && anonymous.body.error["type"] as? String == "authentication_error")
        }
    }

    /// The first column of the first row as text ("" for none). Given up on after 120 s without
    /// an answer (`StatementDeadline`): a statement PostgresNIO lost then fails the test, naming
    /// it, instead of hanging the run.
    static func text(_ client: PostgresClient, _ sql: String) async throws -> String {
        do {
            return try await StatementDeadline.run(seconds: 120) {
                for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(String.self) { return value }
                return ""
            }
        } catch let error as StatementDeadline.Exceeded {
            throw TestFailure("\(error): \(sql.prefix(300))")
        }
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func unbase64URL(_ text: String) -> Data {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64) ?? Data()
    }
}
