import Agents
import Foundation
import HTTPTypes
import PostgresNIO
@testable import Service
import Testing

/// A hyperparameter search over REST: a parent job whose trials are child training jobs on two
/// workers, rung by rung; its promotions recomputed from the children's `training_metrics`; a
/// cancelled parent cancels its children; a bad search is a 400 naming its field.
@Suite struct TrainingSearchTests {
    static let base = TrainingJobTests.base

    static func search(_ api: TestAPI.Harness, _ token: String, strategyID: Int, datasetID: Int, search: [String: Any]) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: [String: Any]) {
        try await api.call(.post, base, json: [
            "name": "search", "strategy_id": strategyID, "dataset_id": datasetID, "config": TrainingJobTests.dqn,
            "hyperparameters": ["batch_size": 32, "seed": 3], "search": search,
        ], token: token)
    }

    @Test func aSearchRunsItsTrialsAsChildJobsRungByRung() async throws {
        try await TestAPI.with("training_search") { api in
            let (token, _, _) = try await api.signUp("tuner")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let created = try await Self.search(api, token, strategyID: strategyID, datasetID: datasetID, search: [
                "space": ["learning_rate": [1e-4, 1e-3, 1e-2], "gamma": "0.5,0.99"], "seeds": 2, "max_epochs": 4, "min_epochs": 1, "reduction": 2,
            ])
            #expect(created.status == .created, "\(created.body)")
            #expect(created.body.data["trials"] as? Int == 6 && created.body.data["child_jobs"] as? Int == 12 && created.body.data["celery_task_id"] is NSNull)
            let id = created.body.data["id"] as? Int ?? 0
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs WHERE parent_job_id = \(id)") == "12")

            let workers = [api.worker(pollInterval: .milliseconds(100)), api.worker(pollInterval: .milliseconds(100))]
            _ = try await QueueTests.runWorkers(workers, until: {
                let state = try await AuthTests.text(api.sql, """
                    SELECT j.status::text || '|' || (SELECT count(*) FROM celery_tasks WHERE status IN ('PENDING', 'STARTED', 'RETRY'))::text
                    FROM training_jobs j WHERE j.id = \(id)
                    """)
                return state == "completed|0" || state.hasPrefix("failed")
            }, limit: .seconds(300))
            let parent = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            #expect(parent["status"] as? String == "completed", "\(parent["error_message"] ?? "") \(parent["logs"] ?? "")")
            #expect(parent["progress"] as? Double == 100 && parent["parent_job_id"] is NSNull)
            let metrics = parent["metrics"] as? [String: Any] ?? [:]
            #expect(metrics["rungs"] as? [Int] == [1, 2, 4] && metrics["trials_total"] as? Int == 6 && metrics["trials_done"] as? Int == 6)
            #expect(metrics["epochs_trained"] as? Int == 6 * 2 * 1 + 3 * 2 * 1 + 1 * 2 * 2 && metrics["epochs_if_full"] as? Int == 6 * 2 * 4)
            let trials = metrics["trials"] as? [[String: Any]] ?? []
            #expect(trials.count == 6)
            #expect(trials.filter { $0["status"] as? String == "completed" }.count == 1 && trials.filter { $0["status"] as? String == "stopped" }.count == 5)

            // The rungs recomputed from the children's rows: each seed's best valid Sharpe up to the
            // rung, averaged over seeds; the best half goes on (ties to the lower trial).
            func score(_ trial: [String: Any], through epoch: Int) async throws -> Double {
                let ids = (trial["job_ids"] as? [Int] ?? []).map(String.init).joined(separator: ",")
                let text = try await AuthTests.text(api.sql, """
                    SELECT coalesce(avg(best)::text, '-inf') FROM (SELECT max((metrics->>'valid_sharpe')::float8) AS best FROM training_metrics
                    WHERE training_job_id IN (\(ids)) AND epoch <= \(epoch) GROUP BY training_job_id) s WHERE best IS NOT NULL
                    """)
                return Double(text) ?? -.infinity
            }
            func ranked(_ candidates: [[String: Any]], through epoch: Int) async throws -> [Int] {
                var scored: [(Int, Double)] = []
                for t in candidates { scored.append((t["trial"] as? Int ?? -1, try await score(t, through: epoch))) }
                return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map(\.0)
            }
            let reached2 = trials.filter { ($0["epochs"] as? Int ?? 0) >= 2 }
            #expect(Set(reached2.map { $0["trial"] as? Int ?? -1 }) == Set(try await ranked(trials, through: 1).prefix(3)))
            let best = metrics["best"] as? [String: Any] ?? [:]
            #expect(best["trial"] as? Int == (try await ranked(reached2, through: 2)).first)
            #expect((trials.first?["trial"] as? Int) == best["trial"] as? Int, "the leaderboard starts with the winner")

            // The trials are the CLI's: the same grid, in the same order.
            let space = try SearchSpace(dimensions: [try SearchDimension(parsing: "gamma=0.5,0.99"), try SearchDimension(parsing: "learning_rate=0.0001,0.001,0.01")])
            let grid = try space.grid()
            for t in trials {
                let values = try JSONDecoder().decode([String: HyperparameterValue].self, from: JSONSerialization.data(withJSONObject: t["values"] as? [String: Any] ?? [:]))
                #expect(values == grid[t["trial"] as? Int ?? 0], "trial \(t["trial"] ?? "")")
            }
            let config = best["config"] as? [String: Any] ?? [:]
            let hyperparameters = config["hyperparameters"] as? [String: Any] ?? [:]
            #expect(hyperparameters["epochs"] as? Int == 4 && hyperparameters["seed"] as? Int == 3 && hyperparameters["batch_size"] as? Int == 32)
            #expect((config["config"] as? [String: Any])?["search"] == nil, "the best config is a plain job config")

            // Children: completed, one row per epoch trained; stopped ones say where; the winner's are tested.
            let rows = try await AuthTests.text(api.sql, """
                SELECT string_agg(j.id || ':' || j.status || ':' || j.current_epoch || ':' || coalesce(j.metrics->>'stopped_at_epoch', '-') || ':'
                    || (j.metrics->'test' IS NOT NULL AND j.metrics->'test' <> 'null'::jsonb) || ':' || (SELECT count(*) FROM training_metrics m WHERE m.training_job_id = j.id), ',' ORDER BY j.id)
                FROM training_jobs j WHERE j.parent_job_id = \(id)
                """).split(separator: ",").map { $0.split(separator: ":").map(String.init) }
            let winners = Set(best["trial"].flatMap { b in trials.first { $0["trial"] as? Int == b as? Int }?["job_ids"] as? [Int] } ?? [])
            for row in rows {
                let childID = Int(row[0]) ?? 0
                #expect(row[1] == "completed" && row[5] == row[2], "child \(row)")
                if winners.contains(childID) { #expect(row[2] == "4" && row[3] == "-" && row[4] == "true", "winner \(row)") } else {
                    #expect(row[3] == row[2] && row[4] == "false", "stopped \(row)")
                }
            }
        }
    }

    @Test func cancellingASearchCancelsItsTrialsAndBadSearchesNameTheirField() async throws {
        try await TestAPI.with("training_search_cancel") { api in
            let (token, _, _) = try await api.signUp("tuner")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await TrainingJobTests.strategy(api, token)
            for (search, field) in [(["space": ["gama": [0.9]]], "search.space.gama"), (["space": ["gamma": [0.9]], "trials": "x"], "search.trials"),
                                    (["space": ["gamma": "0.9:2"]], "search.space.gamma"), (["space": [:]], "search.space"),
                                    (["space": ["buffer_size": [16, 64]]], "search"), (["space": ["gamma": [0.9]], "seeds": 0], "search.seeds"),
                                    (["space": ["gamma": [0.9]], "mode": "x"], "search.mode")] as [([String: Any], String)] {
                let reply = try await Self.search(api, token, strategyID: strategyID, datasetID: datasetID, search: search)
                #expect(reply.status == .badRequest && reply.body.errorFields == [field], "\(search): \(reply.body)")
            }
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "0")

            let created = try await Self.search(api, token, strategyID: strategyID, datasetID: datasetID, search: ["space": ["gamma": [0.9, 0.99]], "seeds": 2])
            let id = created.body.data["id"] as? Int ?? 0
            let cancelled = try await api.call(.post, "\(Self.base)/\(id)/cancel", token: token)
            #expect(cancelled.status == .ok && cancelled.body.data["status"] as? String == "cancelled")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(DISTINCT status::text, ',') FROM training_jobs WHERE parent_job_id = \(id)") == "cancelled")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(DISTINCT status::text, ',') FROM celery_tasks WHERE related_type = 'training_job'") == "REVOKED")
        }
    }

    /// A trial whose task the queue gives up on (FAILURE after its retries) ends as failed and the
    /// search still finishes with the others, instead of its rung waiting for ever.
    @Test func aTrialTheQueueGivesUpOnFailsAndTheSearchFinishes() async throws {
        try await TestAPI.with("training_search_abandoned") { api in
            let (token, _, _) = try await api.signUp("tuner")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let created = try await Self.search(api, token, strategyID: strategyID, datasetID: datasetID,
                                                search: ["space": ["gamma": [0.5, 0.99]], "max_epochs": 1, "scheduler": "none"])
            let id = created.body.data["id"] as? Int ?? 0
            let first = try await AuthTests.text(api.sql, "SELECT min(id)::text FROM training_jobs WHERE parent_job_id = \(id)")
            let task = try await AuthTests.text(api.sql, "SELECT id FROM celery_tasks WHERE related_type = 'training_job' AND related_id = \(first)")
            try await api.sql.query("UPDATE celery_tasks SET status = 'FAILURE', last_error = 'killed twice' WHERE id = \(task)", logger: TestDatabase.logger)
            try await AbandonedTasks.settle([task], client: api.sql, logger: TestDatabase.logger)
            _ = try await QueueTests.runWorkers([api.worker(pollInterval: .milliseconds(100))], until: {
                try await AuthTests.text(api.sql, "SELECT status::text FROM training_jobs WHERE id = \(id)") == "completed"
            }, limit: .seconds(240))
            let parent = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            let trials = (parent["metrics"] as? [String: Any])?["trials"] as? [[String: Any]] ?? []
            #expect(parent["status"] as? String == "completed", "\(parent)")
            #expect(trials.map { $0["status"] as? String ?? "" }.sorted() == ["completed", "failed"], "\(trials)")
            #expect(try await AuthTests.text(api.sql, "SELECT status::text FROM training_jobs WHERE id = \(first)") == "failed")
        }
    }
}
