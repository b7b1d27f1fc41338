import Foundation
import PostgresNIO
import RedisClient
import RedisServer
import Testing
@testable import Service

/// Ready datasets and completed evaluations answered from Redis: the same JSON as PostgreSQL's
/// answer, only for users who may see them, gone at once when deleted; unfinished ones never cached.
@Suite struct RedisResultCacheTests {
    @Test func finishedResultsAreServedFromRedisToTheirOwnersAndForgottenOnDelete() async throws {
        let redis = try RedisServer()
        try await TestAPI.with("redis_results", redis: try RedisSessionTests.settings(redis)) { api in
            let (token, _, userID) = try await api.signUp("ruth")
            let (otherToken, _, _) = try await api.signUp("rick")
            let direct = try RedisSessionTests.direct(redis)
            defer { direct.close() }
            try await api.sql.query("""
                INSERT INTO datasets (id, name, file_path, status, owner_id, row_count, statistics) VALUES
                    (801, 'prices', '/x.h5', 'ready', \(userID), 2991, '{"close": {"mean": 101.5, "std": 3.25}}'),
                    (802, 'still going', '/y.h5', 'processing', \(userID), NULL, NULL)
                """, logger: TestDatabase.logger)
            try await api.sql.query("""
                INSERT INTO evaluations (id, name, evaluation_type, status, config, results, charts, dataset_id, user_id, completed_at) VALUES
                    (901, 'bt', 'backtest', 'completed', '{"rule": "sma_cross"}', '{"sharpe_ratio": 1.25, "total_return": 0.5}',
                     '[{"type": "equity", "values": [1, 1.1, 1.5]}]', 801, \(userID), CURRENT_TIMESTAMP),
                    (902, 'running', 'backtest', 'running', '{}', '{}', '[]', 801, \(userID), NULL)
                """, logger: TestDatabase.logger)

            for (path, kind, id) in [("/api/v1/data/datasets/801", "dataset", 801), ("/api/v1/evaluations/901", "evaluation", 901)] {
                let first = try await api.call(.get, path, token: token)
                #expect(first.status == .ok)
                let entry = try await direct.send(["GET", "qf:result:\(kind):\(id)"]).string ?? ""
                #expect(entry.hasPrefix("\(userID)\n"))
                let ttl = try await direct.send(["PTTL", "qf:result:\(kind):\(id)"]).integer ?? -1
                #expect(ttl > 0 && ttl <= 3_600_000)
                // The cached answer is PostgreSQL's answer.
                let cached = try await api.call(.get, path, token: token)
                #expect(NSDictionary(dictionary: cached.body.data).isEqual(to: first.body.data))
                // And it is the cache's: a change made behind the API does not show.
                try await api.sql.query(PostgresQuery(unsafeSQL: "UPDATE \(kind)s SET name = 'renamed' WHERE id = \(id)"), logger: TestDatabase.logger)
                #expect(try await api.call(.get, path, token: token).body.data["name"] as? String != "renamed")
                // Someone else is not answered from it.
                #expect(try await api.call(.get, path, token: otherToken).status == .notFound)
            }
            // Unfinished objects are not cached.
            #expect(try await api.call(.get, "/api/v1/data/datasets/802", token: token).status == .ok)
            #expect(try await api.call(.get, "/api/v1/evaluations/902", token: token).status == .ok)
            #expect(try await direct.send(["EXISTS", "qf:result:dataset:802", "qf:result:evaluation:902"]).integer == 0)

            // Deleted: gone at once, and a tombstone keeps a late fetch from putting it back.
            #expect(try await api.call(.delete, "/api/v1/evaluations/901", token: token).status == .ok)
            #expect(try await api.call(.get, "/api/v1/evaluations/901", token: token).status == .notFound)
            #expect(try await direct.send(["GET", "qf:result:evaluation:901"]).string == ResultCache.tombstone)
            try await api.sql.query("DELETE FROM evaluations WHERE id = 902", logger: TestDatabase.logger)
            #expect(try await api.call(.delete, "/api/v1/data/datasets/801", token: token).status == .ok)
            #expect(try await api.call(.get, "/api/v1/data/datasets/801", token: token).status == .notFound)
            #expect(try await direct.send(["GET", "qf:result:dataset:801"]).string == ResultCache.tombstone)
            await ResultCache(link: try #require(api.redis)).keep(.dataset, id: 801, ownerID: userID, value: JSONValue.object([:]))
            #expect(try await direct.send(["GET", "qf:result:dataset:801"]).string == ResultCache.tombstone)
        }
    }
}
