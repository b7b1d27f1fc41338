import Foundation
import HTTPTypes
@testable import Service
import Testing

/// A strategy written as expressions is checked when saved: each mistake is a 400 naming its
/// field (`config.entry`, …) with the compiler's message, every mistake at once, nothing stored;
/// with `config.dataset_id` the columns are that dataset's.
@Suite struct StrategyExpressionTests {
    func post(_ api: TestAPI.Harness, _ token: String, config: [String: Any], parameters: [String: Any] = [:]) async throws -> (HTTPResponse.Status, [String: Any]) {
        let response = try await api.call(.post, "/api/v1/strategies", json: ["name": "mine", "strategy_type": "algorithmic_trading", "config": config,
                                                                            "parameters": parameters], token: token)
        return (response.status, response.body)
    }

    func message(_ body: [String: Any], _ field: String) -> String {
        ((body.error["details"] as? [[String: Any]]) ?? []).first { $0["field"] as? String == field }?["message"] as? String ?? ""
    }

    @Test func mistakesAreNamedByFieldAndNothingIsStored() async throws {
        try await TestAPI.with("strategy_expressions") { api in
            let (token, _, _) = try await api.signUp("writer")
            let (status, body) = try await post(api, token, config: ["entry": "close > smaa(close, 20)", "exit": "close", "short_exit": "shift(close, -1) > 0"])
            #expect(status == .badRequest)
            #expect(Set(body.errorFields) == ["config.entry", "config.exit", "config.short_exit"], "every problem at once: \(body)")
            #expect(message(body, "config.entry").contains("unknown function 'smaa' (did you mean 'sma'?) at character 9"))
            #expect(message(body, "config.exit").contains("a number where a condition is needed"))
            #expect(message(body, "config.short_exit").contains("look-ahead"))
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM strategies") == "0")

            let mixed = try await post(api, token, config: ["entry": "close > open", "position": "1"])
            #expect(mixed.0 == .badRequest && mixed.1.errorFields == ["config.position"])
            let wrongType = try await post(api, token, config: ["entry": 42])
            #expect(wrongType.0 == .badRequest && message(wrongType.1, "config.entry").contains("as text"))
            let tooSmall = try await post(api, token, config: ["entry": "close > sma(close, {n})"], parameters: ["n": 0])
            #expect(tooSmall.0 == .badRequest && message(tooSmall.1, "config.entry").contains("at least 1"))
        }
    }

    @Test func goodExpressionsAreSavedAndDatasetColumnsAreChecked() async throws {
        try await TestAPI.with("strategy_expressions_ok") { api in
            let (token, _, _) = try await api.signUp("writer")
            // No dataset: any name may be a column of the data to come; parameters may come later.
            let free = try await post(api, token, config: ["entry": "signal > 0 and close > sma(close, {n})", "exit": "crossed_below(close, sma(close, {n}))"])
            #expect(free.0 == .created, "\(free.1)")
            let position = try await post(api, token, config: ["position": "where(rsi(close, 14) < 30, 1, 0)"])
            #expect(position.0 == .created, "\(position.1)")

            let dataset = try await TrainingJobTests.readyDataset(api, token)
            let typo = try await post(api, token, config: ["dataset_id": dataset, "entry": "clsoe > sma(close, 20)"])
            #expect(typo.0 == .badRequest && message(typo.1, "config.entry").contains("unknown column 'clsoe' (did you mean 'close'"), "\(typo.1)")
            let known = try await post(api, token, config: ["dataset_id": dataset, "entry": "close > shift(highest(high, 20), 1)", "exit": "close < sma(close, 10)"])
            #expect(known.0 == .created, "\(known.1)")

            // PUT checks the same, and a refused change leaves the strategy as it was.
            let id = try #require((known.1.data["id"] as? Int))
            let put = try await api.call(.put, "/api/v1/strategies/\(id)", json: ["config": ["dataset_id": dataset, "entry": "close > sma(close, 20", "exit": "close < 1"]], token: token)
            #expect(put.status == .badRequest && put.body.errorFields == ["config.entry"], "\(put.body)")
            #expect(message(put.body, "config.entry").contains("never closed"))
            let after = try await api.call(.get, "/api/v1/strategies/\(id)", token: token)
            #expect((after.body.data["config"] as? [String: Any])?["exit"] as? String == "close < sma(close, 10)")
        }
    }

    /// A training job's `config.features` are compiled at POST against its dataset's columns: a
    /// mistake is a 400 naming `config.features[k]`, nothing queued; good ones train as any job.
    @Test func trainingFeaturesAreCheckedAtPostAndTrain() async throws {
        try await TestAPI.with("training_features") { api in
            let (token, _, _) = try await api.signUp("trainer")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            func submit(_ features: [String]) async throws -> (HTTPResponse.Status, [String: Any]) {
                var config = TrainingJobTests.dqn
                config["features"] = features
                let response = try await api.call(.post, TrainingJobTests.base, json: [
                    "name": "features", "strategy_id": strategyID, "dataset_id": datasetID, "config": config,
                    "hyperparameters": ["epochs": 2, "batch_size": 32, "seed": 1],
                ], token: token)
                return (response.status, response.body)
            }
            let (status, body) = try await submit(["zscore(close, 20)", "rsi(clsoe, 14)", "shift(close, -2)"])
            #expect(status == .badRequest && body.errorFields == ["config.features[1]", "config.features[2]"], "\(body)")
            #expect(message(body, "config.features[1]").contains("did you mean 'close'"))
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "0")
            let (created, job) = try await submit(["zscore(close, 20)", "pct_change(close, 1)"])
            #expect(created == .created, "\(job)")
            let id = try #require(job.data["id"] as? Int)
            #expect(try await TrainingJobTests.runUntil(api, job: id, status: ["completed", "failed"]) == "completed")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_metrics WHERE training_job_id = \(id)") == "2")
        }
    }
}
