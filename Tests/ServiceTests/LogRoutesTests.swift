import Foundation
import PostgresNIO
@testable import Service
import Testing

/// `GET /api/v1/logs`: superusers only, with level, module, time and full-text filters.
@Suite struct LogRoutesTests {
    @Test func superusersFilterAndSearchTheLogs() async throws {
        try await TestAPI.with("logs_api") { api in
            let (user, _, userID) = try await api.signUp("plain")
            let (root, _, _) = try await api.signUp("root", superuser: true)
            try await api.sql.query("""
                INSERT INTO system_logs (level, message, module, function_name, user_id, request_id, metadata, created_at) VALUES
                ('INFO', 'worker started on node-a', 'qf.worker', 'run()', NULL, NULL, '{}', '2026-11-01 08:00:00'),
                ('WARNING', 'replica lag above threshold', 'qf.db', 'check()', NULL, 'req_a', '{"lag_ms": 900}', '2026-11-02 09:00:00'),
                ('ERROR', 'training job 12 failed: NaN loss', 'qf.worker', 'train()', \(userID), 'req_b', '{}', '2026-11-03 10:00:00'),
                ('CRITICAL', 'database unreachable', 'qf.db', 'connect()', NULL, NULL, '{}', '2026-11-04 11:00:00'),
                ('ERROR', 'evaluation 3 failed: file missing', 'qf.worker', 'evaluate()', NULL, 'req_c', '{}', '2025-01-01 00:00:00')
                """, logger: TestDatabase.logger)
            #expect(try await api.call(.get, "/api/v1/logs", token: user).status == .forbidden)
            #expect(try await api.call(.get, "/api/v1/logs").status == .unauthorized)

            func ids(_ query: String) async throws -> [String] {
                let response = try await api.call(.get, "/api/v1/logs?\(query)", token: root)
                guard response.status == .ok else { throw TestFailure("\(query): \(response.status) \(response.body)") }
                return (response.body.data["items"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            }
            #expect(try await ids("").count == 5)
            #expect(try await ids("size=2").first == "database unreachable", "newest first")
            #expect(try await ids("level=ERROR,critical").count == 3)
            #expect(try await ids("min_level=ERROR&module=qf.worker").sorted() == ["evaluation 3 failed: file missing", "training job 12 failed: NaN loss"])
            #expect(try await ids("start_time=2026-11-02&end_time=2026-11-04T00:00:00Z") == ["training job 12 failed: NaN loss", "replica lag above threshold"])
            #expect(try await ids("search=failed -evaluation") == ["training job 12 failed: NaN loss"])
            #expect(try await ids("search=%22lag%20above%22") == ["replica lag above threshold"])
            #expect(try await ids("user_id=\(userID)") == ["training job 12 failed: NaN loss"])
            #expect(try await ids("request_id=req_a&sort=created_at") == ["replica lag above threshold"])
            let row = try await api.call(.get, "/api/v1/logs?request_id=req_a", token: root).body.data["items"] as? [[String: Any]]
            #expect((row?.first?["metadata"] as? [String: Int]) == ["lag_ms": 900] && row?.first?["function_name"] as? String == "check()")
            // Search input is data, however it looks.
            #expect(try await ids("search=%27)%3B%20DROP%20TABLE%20users%3B--").isEmpty)
            for (query, field) in [("level=LOUD", "level"), ("min_level=x", "min_level"), ("start_time=yesterday", "start_time"),
                                   ("user_id=me", "user_id"), ("sort=message", "sort")] {
                let response = try await api.call(.get, "/api/v1/logs?\(query)", token: root)
                #expect(response.status == .badRequest && response.body.errorFields == [field], "\(query)")
            }
        }
    }
}
