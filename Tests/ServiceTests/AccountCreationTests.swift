import Foundation
@testable import Service
import Testing

/// `qf user create`'s logic: the registration rules, a superuser who can then sign in and read
/// the logs, promotion of an existing user, and a duplicate refused by field.
@Suite struct AccountCreationTests {
    @Test func aSuperuserIsCreatedOrPromotedAndCanSignIn() async throws {
        try await TestAPI.with("account_creation") { api in
            let admin = try await AccountCreation.create(username: "admin", email: "Admin@Example.com", password: "admin-pass-2026", superuser: true,
                                                         users: UserStore(database: api.database), cost: 4, logger: TestDatabase.logger)
            #expect(admin.isSuperuser && admin.isVerified && admin.email == "admin@example.com")
            let login = try await api.call(.post, "/api/v1/auth/login", json: ["username": "admin", "password": "admin-pass-2026"])
            let token = login.body.data["access_token"] as? String
            let logs = try await api.call(.get, "/api/v1/logs", token: token)
            #expect(login.status == .ok && logs.status == .ok)

            // A plain user, then promoted: same id, superuser now, the new password works.
            let (_, _, id) = try await api.signUp("worker")
            let promoted = try await AccountCreation.create(username: "worker", email: "worker@example.com", password: "new-pass-2027", superuser: true,
                                                            users: UserStore(database: api.database), cost: 4, logger: TestDatabase.logger)
            #expect(promoted.id == id && promoted.isSuperuser)
            #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "worker", "password": "new-pass-2027"]).status == .ok)

            await #expect(throws: AccountCreation.Rejected.self) {
                try await AccountCreation.create(username: "worker", email: "w2@example.com", password: "another-pass-1", superuser: false,
                                                 users: UserStore(database: api.database), cost: 4, logger: TestDatabase.logger)
            }
            for (username, email, password, field) in [("x", "x@example.com", "good-pass-123", "username"), ("okname", "bad", "good-pass-123", "email"),
                                                       ("okname", "ok@example.com", "short", "password")] {
                do {
                    _ = try await AccountCreation.create(username: username, email: email, password: password, superuser: true,
                                                         users: UserStore(database: api.database), cost: 4, logger: TestDatabase.logger)
                    Issue.record("\(field) accepted")
                } catch let rejected as AccountCreation.Rejected {
                    #expect(rejected.field == field)
                }
            }
        }
    }
}

/// Housekeeping deletes only what is old enough.
@Suite struct HousekeepingTests {
    @Test func oldAttemptsAndDeadSessionsGoRecentOnesStay() async throws {
        try await TestAPI.with("housekeeping") { api in
            let (_, _, id) = try await api.signUp("keeper")
            try await api.sql.query("""
                INSERT INTO login_attempts (username, succeeded, attempted_at) VALUES
                ('a', false, CURRENT_TIMESTAMP - INTERVAL '40 days'), ('b', false, CURRENT_TIMESTAMP - INTERVAL '1 day')
                """, logger: TestDatabase.logger)
            try await api.sql.query("""
                INSERT INTO user_sessions (user_id, session_token, expires_at, is_active, last_activity_at) VALUES
                (\(id), 'expired-long-ago', CURRENT_TIMESTAMP - INTERVAL '31 days', true, CURRENT_TIMESTAMP - INTERVAL '60 days'),
                (\(id), 'revoked-long-ago', CURRENT_TIMESTAMP + INTERVAL '5 days', false, CURRENT_TIMESTAMP - INTERVAL '31 days'),
                (\(id), 'revoked-yesterday', CURRENT_TIMESTAMP + INTERVAL '5 days', false, CURRENT_TIMESTAMP - INTERVAL '1 day')
                """, logger: TestDatabase.logger)
            let removed = try await Housekeeping.run(on: api.sql, logger: TestDatabase.logger)
            #expect(removed == .init(loginAttempts: 1, sessions: 2))
            let left = try await AuthTests.text(api.sql, "SELECT string_agg(session_token, ',' ORDER BY id) FROM user_sessions WHERE session_token NOT LIKE 'qfs_%'")
            #expect(left == "revoked-yesterday")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(username, ',') FROM login_attempts WHERE username IN ('a', 'b')") == "b")
        }
    }
}
