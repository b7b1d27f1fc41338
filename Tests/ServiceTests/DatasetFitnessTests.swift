import Foundation
import HTTPTypes
@testable import Service
import Testing

/// A dataset that cannot serve a request says so when the request names it: a 400 naming the
/// field and what the data holds, before anything is queued.
@Suite struct DatasetFitnessTests {
    static func ingested(_ api: TestAPI.Harness, _ token: String, name: String, csv: String) async throws -> Int {
        let upload = try await DatasetTests.upload(api, token: token, fields: [("name", name)], file: ("\(name).csv", Array(csv.utf8)))
        let id = upload.body.data["id"] as? Int ?? 0
        guard try await DatasetTests.process(api, datasetID: id) == "ready" else { throw TestFailure("dataset \(name) not ready") }
        return id
    }

    @Test func dateRangesNeedTimestampsAndBarsInsideAndEveryJobNeedsClose() async throws {
        try await TestAPI.with("fitness") { api in
            let (token, _, _) = try await api.signUp("fit")
            var rows = ",open,close\n"
            for i in 0..<50 { rows += "\(i),\(100 + i % 5),\(100 + i % 7)\n" }
            let numbered = try await Self.ingested(api, token, name: "numbered", csv: rows)
            var dated = "date,open,close\n"
            for day in 1...28 { dated += "2021-02-\(day < 10 ? "0" : "")\(day),\(100 + day % 3),\(100 + day % 5)\n" }
            let february = try await Self.ingested(api, token, name: "february", csv: dated)
            let noClose = try await Self.ingested(api, token, name: "prices", csv: "date,mid\n2021-01-01,1\n2021-01-02,2\n")
            var created: [Int] = []
            func evaluate(_ datasetID: Int, _ config: [String: Any]) async throws -> (status: HTTPResponse.Status, fields: [String], message: String) {
                let strategyID = try await EvaluationTests.ruleStrategy(api, token, name: "s\(datasetID)", rule: "sma_cross", parameters: ["fast": 2, "slow": 5], datasetID: datasetID)
                let answer = try await api.call(.post, EvaluationTests.base, json: ["name": "e", "evaluation_type": "backtest", "strategy_id": strategyID,
                                                                                   "config": config], token: token)
                if let id = answer.body.data["id"] as? Int { created.append(id) }
                let message = (answer.body.error["details"] as? [[String: Any]])?.first?["message"] as? String ?? ""
                return (answer.status, answer.body.errorFields, message)
            }
            let noTimestamps = try await evaluate(numbered, ["start_date": "2021-01-01", "end_date": "2021-06-30"])
            #expect(noTimestamps.status == .badRequest && noTimestamps.fields == ["config.start_date"] && noTimestamps.message.contains("no timestamps"), "\(noTimestamps)")
            #expect(try await evaluate(numbered, [:]).status == .created, "without a range the numbered rows evaluate")
            // ... per bar, saying so: finite figures, bar numbers for dates, no calendar periods.
            let perBar = try #require(created.first)
            try await EvaluationTests.runUntilFinished(api, [perBar])
            let finished = try await api.call(.get, "\(EvaluationTests.base)/\(perBar)", token: token).body.data
            #expect(finished["status"] as? String == "completed", "\(finished)")
            let results = finished["results"] as? [String: Any] ?? [:]
            let summary = (results["summary"] as? [String: Any]) ?? results
            #expect(summary["time_axis"] as? String == "row_number" && summary["returns_per_year"] as? Double == 1, "\(summary)")
            #expect(summary["start"] as? Int == 0 && summary["end"] as? Int == 49 && (summary["note"] as? String ?? "").contains("per bar"))
            #expect((summary["sharpe_ratio"] as? Double)?.isFinite == true && (summary["annual_return"] as? Double)?.isFinite == true, "\(summary)")
            let outside = try await evaluate(february, ["start_date": "2030-01-01", "end_date": "2030-12-31"])
            #expect(outside.status == .badRequest && outside.fields == ["config.start_date"]
                    && outside.message.contains("covers 2021-02-01T00:00:00Z to 2021-02-28T00:00:00Z"), "\(outside)")
            let backwards = try await evaluate(february, ["start_date": "2021-02-20", "end_date": "2021-02-10"])
            #expect(backwards.status == .badRequest && backwards.fields == ["config.end_date"], "\(backwards)")
            let onlyClose = try await Self.ingested(api, token, name: "closes", csv: "date,close\n2021-01-01,1\n2021-01-02,2\n2021-01-03,3\n")
            let noOpen = try await evaluate(onlyClose, [:])
            #expect(noOpen.status == .badRequest && noOpen.fields == ["dataset_id"] && noOpen.message.contains("no 'open' column"), "\(noOpen)")
            let close = try await evaluate(noClose, [:])
            #expect(close.status == .badRequest && close.fields == ["dataset_id"] && close.message.contains("no 'close' column (it has mid)"), "\(close)")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let job = try await api.call(.post, TrainingJobTests.base, json: ["name": "j", "strategy_id": strategyID, "dataset_id": noClose,
                                                                              "config": TrainingJobTests.dqn], token: token)
            #expect(job.status == .badRequest && job.body.errorFields == ["dataset_id"], "\(job.body)")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "0")
        }
    }

    /// A task that cannot use a dataset's symbols is a 400 at POST: a portfolio on one symbol; an
    /// algorithmic-trading job on 29 DJ30 symbols (real bars from ../shared) without
    /// `config.symbol`, or naming one the data lacks. Naming one it holds is accepted.
    @Test func theTaskMustFitTheDatasetsSymbols() async throws {
        try await TestAPI.with("task_fit") { api in
            let (token, _, _) = try await api.signUp("fitter")
            let single = try await TrainingJobTests.readyDataset(api, token)
            let lines = try String(contentsOfFile: "\(SharedData.directory)/data/trademaster/portfolio_management/dj30/valid.csv", encoding: .utf8)
                .split(separator: "\n").prefix(1 + 29 * 15).joined(separator: "\n") + "\n"
            let dj30 = try await Self.ingested(api, token, name: "dj30", csv: lines)
            let strategyID = try await TrainingJobTests.strategy(api, token)
            func submit(_ datasetID: Int, _ config: [String: Any]) async throws -> (HTTPResponse.Status, [String], String) {
                let answer = try await api.call(.post, TrainingJobTests.base, json: ["name": "fit", "strategy_id": strategyID, "dataset_id": datasetID,
                                                                                    "config": config, "hyperparameters": ["epochs": 1]], token: token)
                let message = (answer.body.error["details"] as? [[String: Any]])?.first?["message"] as? String ?? ""
                return (answer.status, answer.body.errorFields, message)
            }
            let portfolio: [String: Any] = ["task_name": "portfolio_management", "dataset_name": "portfolio_management:mine", "agent_name": "portfolio_management:ppo"]
            let onOne = try await submit(single, portfolio)
            #expect(onOne.0 == .badRequest && onOne.1 == ["dataset_id"] && onOne.2.contains("holds 1"), "\(onOne)")
            var trading = TrainingJobTests.dqn
            trading["dataset_name"] = "algorithmic_trading:mine"
            let unnamed = try await submit(dj30, trading)
            #expect(unnamed.0 == .badRequest && unnamed.1 == ["config.symbol"] && unnamed.2.contains("holds 29 symbols (AAPL"), "\(unnamed)")
            trading["symbol"] = "TSLA"
            let missing = try await submit(dj30, trading)
            #expect(missing.0 == .badRequest && missing.1 == ["config.symbol"], "\(missing)")
            trading["symbol"] = "AMGN"
            #expect(try await submit(dj30, trading).0 == .created)
            var named = portfolio
            named["symbol"] = "AMGN"
            #expect(try await submit(dj30, named).1 == ["config.symbol"], "a portfolio trades them all")
            #expect(try await submit(dj30, portfolio).0 == .created)
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_jobs") == "2")
        }
    }
}
