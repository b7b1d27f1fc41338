import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Service
import Testing

/// Hostile values on the routes: each is a 400 naming the field, the process keeps answering, and
/// nothing is stored.
@Suite struct HostileInputTests {
    /// Every list route with a page whose offset would overflow a 64-bit integer.
    @Test func hugePagesAreRefusedOnEveryListRoute() async throws {
        try await TestAPI.with("hostile_pages") { api in
            let (token, _, _) = try await api.signUp("pager", superuser: true)
            let strategy = try await StrategyTests.create(api, token, name: "paged")["id"] as? Int ?? 0
            let routes = ["/api/v1/strategies", "/api/v1/data/datasets", "/api/v1/training/jobs", "/api/v1/evaluations",
                          "/api/v1/strategies/\(strategy)/versions", "/api/v1/logs"]
            for route in routes {
                for page in ["92233720368547760", "9223372036854775807", "99999999999999999999999", "-1", "0"] {
                    let answer = try await api.call(.get, "\(route)?page=\(page)&size=100", token: token)
                    #expect(answer.status == .badRequest && answer.body.errorFields == ["page"], "\(route) page \(page): \(answer.status) \(answer.body)")
                }
                // The largest page that is allowed still answers, with no items.
                let last = try await api.call(.get, "\(route)?page=\(ListQuery.maximumPage)&size=100", token: token)
                #expect(last.status == .ok && (last.body.data["items"] as? [Any])?.isEmpty == true, "\(route): \(last.status) \(last.body)")
            }
            #expect(try await api.call(.get, "/healthz").status == .ok, "still serving")
        }
    }

    @Test func nulInQueryParametersIsA400NamingTheParameter() async throws {
        try await TestAPI.with("hostile_nul_query") { api in
            let (token, _, _) = try await api.signUp("nulquery")
            for (route, parameter) in [("/api/v1/strategies", "search"), ("/api/v1/strategies", "tags"), ("/api/v1/strategies", "category"),
                                       ("/api/v1/data/datasets", "search"), ("/api/v1/training/jobs", "status")] {
                let answer = try await api.call(.get, "\(route)?\(parameter)=a%00b", token: token)
                #expect(answer.status == .badRequest && answer.body.errorFields == [parameter], "\(route) \(parameter): \(answer.status) \(answer.body)")
            }
        }
    }

    /// NUL anywhere in a JSON body, huge or mistyped numbers, duplicate keys, deep nesting: 400s
    /// naming the field, and no strategy is stored.
    @Test func hostileJSONBodiesAre400sAndStoreNothing() async throws {
        try await TestAPI.with("hostile_json") { api in
            let (token, _, _) = try await api.signUp("nuljson")
            let nul = "a\u{0}b"
            let cases: [([String: Any], String)] = [
                (["name": nul], "name"),
                (["name": "ok", "description": nul], "description"),
                (["name": "ok", "tags": ["fine", nul]], "tags[1]"),
                (["name": "ok", "category": nul], "category"),
                (["name": "ok", "config": ["nested": ["deeper": nul]]], "config.nested.deeper"),
                (["name": "ok", "parameters": [nul: 1]], "parameters.a\\u0000b"),
            ]
            for (body, field) in cases {
                let answer = try await api.call(.post, "/api/v1/strategies", json: body, token: token)
                #expect(answer.status == .badRequest && answer.body.errorFields == [field], "\(field): \(answer.status) \(answer.body)")
            }
            let raw: [(String, String)] = [
                (#"{"name": "a", "name": "b"}"#, "appears twice"),
                (String(repeating: "[", count: 300) + String(repeating: "]", count: 300), "nested more than 256"),
                (#"{"name": "\ud800"}"#, "not valid JSON"),
                (#"{"name": 1e400}"#, "not valid JSON"),
            ]
            for (text, message) in raw {
                let answer = try await api.client.execute(uri: "/api/v1/strategies", method: .post,
                                                          headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                          body: ByteBuffer(string: text)) { ($0.status, try TestAPI.json($0)) }
                let details = (answer.1.error["details"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
                #expect(answer.0 == .badRequest && details.contains { $0.contains(message) }, "\(text.prefix(40)): \(answer.0) \(answer.1)")
            }
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM strategies") == "0", "nothing was stored")
        }
    }

    /// Training hyperparameters beyond what a column, the arithmetic or the machine can hold are
    /// 400s naming the exact field; nothing is queued.
    @Test func oversizedHyperparametersAreNamedAndNothingIsQueued() async throws {
        try await TestAPI.with("hostile_hyper") { api in
            let (token, _, _) = try await api.signUp("hyper")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            for (hyperparameters, field) in [(["epochs": 1_000_000_000_000], "hyperparameters.epochs"),
                                             (["buffer_size": 1_000_000_000_000], "hyperparameters.buffer_size"),
                                             (["batch_size": Int(Int32.max) + 1], "hyperparameters.batch_size"),
                                             (["hidden_sizes": [1_000_000_000]], "hyperparameters.hidden_sizes"),
                                             (["learning_rate": 1e300], "hyperparameters.learning_rate")] as [([String: Any], String)] {
                let answer = try await api.call(.post, TrainingJobTests.base, json: [
                    "name": "too big", "strategy_id": strategyID, "config": TrainingJobTests.dqn, "hyperparameters": hyperparameters,
                ], token: token)
                #expect(answer.status == .badRequest && answer.body.errorFields.contains(field), "\(field): \(answer.status) \(answer.body)")
            }
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "0")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks") == "0")
        }
    }

    /// `config.dataset_id` naming someone else's dataset (or none) is refused at POST, PUT and start.
    @Test func aStrategyCannotPointAtAnotherUsersDataset() async throws {
        try await TestAPI.with("hostile_dataset_ref") { api in
            let (token, _, userID) = try await api.signUp("owner")
            let (_, _, otherID) = try await api.signUp("neighbour")
            try await api.sql.query("INSERT INTO datasets (id, name, file_path, status, owner_id) VALUES (501, 'theirs', '/x', 'ready', \(otherID))", logger: TestDatabase.logger)
            try await api.sql.query("INSERT INTO datasets (id, name, file_path, status, owner_id) VALUES (502, 'mine', '/y', 'ready', \(userID))", logger: TestDatabase.logger)
            let refused = try await api.call(.post, StrategyTests.base, json: ["name": "s", "strategy_type": "algorithmic_trading",
                                                                               "config": ["rule": "sma_cross", "dataset_id": 501]], token: token)
            #expect(refused.status == .badRequest && refused.body.errorFields == ["config.dataset_id"], "\(refused.body)")
            let missing = try await api.call(.post, StrategyTests.base, json: ["name": "s", "strategy_type": "algorithmic_trading",
                                                                               "config": ["dataset_id": 999_999]], token: token)
            #expect(missing.status == .badRequest && missing.body.errorFields == ["config.dataset_id"])
            let id = try await StrategyTests.create(api, token, name: "mine", config: ["rule": "sma_cross", "dataset_id": 502])["id"] as? Int ?? 0
            let put = try await api.call(.put, "\(StrategyTests.base)/\(id)", json: ["config": ["rule": "sma_cross", "dataset_id": 501]], token: token)
            #expect(put.status == .badRequest && put.body.errorFields == ["config.dataset_id"], "\(put.body)")
            // Written behind the API's back (or before this check): start refuses it too.
            try await api.sql.query("UPDATE strategies SET config = '{\"rule\": \"sma_cross\", \"dataset_id\": 501}' WHERE id = \(id)", logger: TestDatabase.logger)
            let start = try await api.call(.post, "\(StrategyTests.base)/\(id)/start", token: token)
            #expect(start.status == .badRequest && start.body.errorFields == ["config.dataset_id"], "\(start.body)")
            #expect(try await AuthTests.text(api.sql, "SELECT status::text FROM strategies WHERE id = \(id)") != "active")
        }
    }

    /// NUL in an upload's file name or its name / description parts: a 400 naming the part, and
    /// no dataset row or file left behind.
    @Test func nulInUploadNamesIsA400AndLeavesNothing() async throws {
        try await TestAPI.with("hostile_upload") { api in
            let (token, _, _) = try await api.signUp("uploader")
            let csv = Array("date,close\n2024-01-02,1\n2024-01-03,2\n".utf8)
            for (fields, filename, field) in [([("name", "a\u{0}b")], "x.csv", "name"), ([], "x\u{0}.csv", "file"),
                                              ([("name", "ok"), ("description", "d\u{0}")], "x.csv", "description")] as [([(String, String)], String, String)] {
                let answer = try await DatasetTests.upload(api, token: token, fields: fields, file: (filename, csv))
                #expect(answer.status == .badRequest && answer.body.errorFields == [field], "\(field): \(answer.status) \(answer.body)")
            }
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM datasets") == "0")
            let uploads = (try? FileManager.default.contentsOfDirectory(atPath: api.data.uploads)) ?? []
            #expect(uploads.isEmpty, "\(uploads)")
        }
    }

    /// A client whose POST timed out sends it again with the same Idempotency-Key: it gets the
    /// first answer back (marked as a replay) and nothing is created twice; the same key on another
    /// request is a 422; an answer the server could not give is not kept.
    @Test func anIdempotencyKeyReplaysTheFirstAnswer() async throws {
        try await TestAPI.with("idempotency") { api in
            let (token, _, _) = try await api.signUp("retrier")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let synthetic: [String: Any] = ["task_name": "synthetic", "dataset_name": "synthetic:ar1", "agent_name": "synthetic:ppo"]
            let body: [String: Any] = ["name": "once", "strategy_id": strategyID, "config": synthetic, "hyperparameters": ["epochs": 1]]
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "job-2026-12-02-a"]
            let first = try await api.call(.post, TrainingJobTests.base, json: body, token: token, headers: key)
            let again = try await api.call(.post, TrainingJobTests.base, json: body, token: token, headers: key)
            #expect(first.status == .created && again.status == .created, "\(first.status) \(again.status) \(again.body)")
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true" && first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(again.body.data["id"] as? Int == first.body.data["id"] as? Int)
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "1", "created once")
            var changed = body
            changed["name"] = "twice"
            let reused = try await api.call(.post, TrainingJobTests.base, json: changed, token: token, headers: key)
            #expect(reused.status == .unprocessableContent && (reused.body.error["type"] as? String) == "idempotency_key_reused")
            // Another user's same key is theirs alone; no key at all creates as usual.
            let (other, _, _) = try await api.signUp("neighbour")
            let otherStrategy = try await TrainingJobTests.strategy(api, other)
            let theirs = try await api.call(.post, TrainingJobTests.base, json: ["name": "theirs", "strategy_id": otherStrategy, "config": synthetic], token: other, headers: key)
            #expect(theirs.status == .created && theirs.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            _ = try await api.call(.post, TrainingJobTests.base, json: body, token: token)
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "3")
            // An error is not kept: the corrected request with the same key runs for real.
            let retried: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "fix-then-retry"]
            let bad = try await api.call(.post, TrainingJobTests.base, json: ["name": "x"], token: token, headers: retried)
            let fixed = try await api.call(.post, TrainingJobTests.base, json: body.merging(["name": "fixed"]) { $1 }, token: token, headers: retried)
            #expect(bad.status == .badRequest && fixed.status == .created && fixed.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let spaced = try await api.call(.post, TrainingJobTests.base, json: body, token: token, headers: [HTTPField.Name("Idempotency-Key")!: "has space"])
            #expect(spaced.status == .badRequest && spaced.body.errorFields == ["Idempotency-Key"])
        }
    }
}
