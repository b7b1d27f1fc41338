import Backtest
import Expressions
import Foundation
import HTTPTypes
@testable import Service
import Testing

/// Strategies written as expressions run in evaluations like the built-in rules: a backtest of
/// signal expressions and one of a target position give the figures of the same run done here,
/// and a grid over `{parameters}` split into shards ranks as one local `RuleSweep`.
@Suite struct ExpressionEvaluationTests {
    static let entry = "close > shift(highest(high, {n}), 1)"
    static let exit = "close < shift(lowest(low, {m}), 1)"

    static func strategy(_ api: TestAPI.Harness, _ token: String, config: [String: Any], parameters: [String: Any]) async throws -> Int {
        let response = try await api.call(.post, "/api/v1/strategies", json: ["name": "mine", "strategy_type": "algorithmic_trading",
                                                                              "config": config, "parameters": parameters], token: token)
        guard response.status == .created, let id = response.body.data["id"] as? Int else { throw TestFailure("strategy: \(response.status) \(response.body)") }
        return id
    }

    static func frame(_ api: TestAPI.Harness, datasetID: Int) async throws -> (BarSeries, Frame) {
        let path = try await AuthTests.text(api.sql, "SELECT file_path FROM datasets WHERE id = \(datasetID)")
        return try BarSeries.frame(path: path, symbol: nil)
    }

    @Test func signalsAndPositionsRunAsTheyDoHere() async throws {
        try await TestAPI.with("evaluation_expressions") { api in
            let (token, _, _) = try await api.signUp("researcher")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let signals = try await Self.strategy(api, token, config: ["entry": Self.entry, "exit": Self.exit, "dataset_id": datasetID], parameters: ["n": 20, "m": 10])
            let position = try await Self.strategy(api, token, config: ["position": "where(close > sma(close, {n}), 1, -0.5)", "dataset_id": datasetID],
                                                   parameters: ["n": 30])
            var ids: [Int] = []
            for strategy in [signals, position] {
                let created = try await api.call(.post, EvaluationTests.base, json: [
                    "name": "expressions", "evaluation_type": "backtest", "strategy_id": strategy,
                    "config": ["fill": "close", "convention": "vectorbt", "commission": 0.001],
                ], token: token)
                #expect(created.status == .created, "\(created.body)")
                ids.append(created.body.data["id"] as? Int ?? 0)
            }
            try await EvaluationTests.runUntilFinished(api, ids)
            let (bars, frame) = try await Self.frame(api, datasetID: datasetID)
            var settings = ExecutionSettings(fill: .close, commission: 0.001, initialCash: 100_000, lot: .fractional)
            settings.peer = .vectorbt
            let ruleSignals = try RuleSignals.signals(SignalRules(entry: Self.entry, exit: Self.exit), frame: frame, parameters: ["n": 20, "m": 10], arithmetic: .vectorbt)
            let run = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, signals: ruleSignals, settings: settings)
            var short = settings
            short.allowShort = true
            let targets = try RuleSignals.positions("where(close > sma(close, {n}), 1, -0.5)", frame: frame, parameters: ["n": 30], arithmetic: .vectorbt)
            let positionRun = PortfolioBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, targets: targets, kind: .fraction, settings: short)
            for (id, equity) in zip(ids, [run.equity.last!, positionRun.equity.last!]) {
                let evaluation = try await api.call(.get, "\(EvaluationTests.base)/\(id)", token: token).body.data
                #expect(evaluation["status"] as? String == "completed", "\(evaluation)")
                let results = evaluation["results"] as? [String: Any] ?? [:]
                let final = results["final_equity"] as? Double ?? .nan
                #expect(abs(final - equity) <= 1e-9 * equity, "evaluation \(id): \(final) against \(equity) here")
            }
        }
    }

    @Test func aGridOverParametersRanksAsOneLocalSweep() async throws {
        try await TestAPI.with("evaluation_expression_grid") { api in
            let (token, _, _) = try await api.signUp("researcher")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategy = try await Self.strategy(api, token, config: ["entry": Self.entry, "exit": Self.exit, "dataset_id": datasetID], parameters: ["n": 20, "m": 10])
            let refused = try await api.call(.post, EvaluationTests.base, json: [
                "name": "grid", "evaluation_type": "backtest", "strategy_id": strategy, "config": ["grid": ["q": [1, 2]]],
            ], token: token)
            #expect(refused.status == .badRequest && refused.body.errorFields == ["config.grid"], "\(refused.body)")
            let created = try await api.call(.post, EvaluationTests.base, json: [
                "name": "grid", "evaluation_type": "backtest", "strategy_id": strategy,
                "config": ["grid": ["n": "5:40:5", "m": [5, 10, 20]], "shard_size": 7, "top": 5, "sort": "sharpe", "fill": "close",
                           "convention": "vectorbt", "commission": 0.001],
            ], token: token)
            #expect(created.status == .created, "\(created.body)")
            let id = created.body.data["id"] as? Int ?? 0
            #expect(created.body.data["shards_total"] as? Int == 4, "24 combinations in shards of 7")
            try await EvaluationTests.runUntilFinished(api, [id], workers: 2)
            let evaluation = try await api.call(.get, "\(EvaluationTests.base)/\(id)", token: token).body.data
            #expect(evaluation["status"] as? String == "completed", "\(evaluation)")

            let (bars, frame) = try await Self.frame(api, datasetID: datasetID)
            let grid = ParameterGrid(axes: [.init(name: "n", values: stride(from: 5.0, through: 40, by: 5).map { $0 }), .init(name: "m", values: [5, 10, 20])])
            var ranking = try SweepRanking(metric: "sharpe", limit: 5)
            _ = try RuleSweep.run(SignalRules(entry: Self.entry, exit: Self.exit), grid: grid, bars: bars, frame: frame,
                                  settings: ExecutionSettings(fill: .close, commission: 0.001, initialCash: 100_000, lot: .fractional),
                                  convention: .vectorbt, onRows: { ranking.add($0) })
            let top = ((evaluation["results"] as? [String: Any])?["grid"] as? [String: Any])?["top"] as? [[String: Any]] ?? []
            #expect(top.count == 5)
            for (row, expected) in zip(top, ranking.rows) {
                let parameters = row["parameters"] as? [String: Any] ?? [:]
                let sharpe = (row["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan
                #expect(parameters["n"] as? Double == expected.parameters[0] && parameters["m"] as? Double == expected.parameters[1], "\(row)")
                #expect(abs(sharpe - expected.metrics.sharpe) < 1e-9)
            }
        }
    }

    /// `qf sweep --entry … --distributed`: the grid over the expressions' `{parameters}` queued as
    /// shards for workers ranks as the same sweep run locally.
    @Test func qfSweepDistributedOfExpressionsRanksLikeALocalSweep() async throws {
        try await TestAPI.with("evaluation_cli_expression_sweep") { api in
            #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
            let (token, _, _) = try await api.signUp("operator")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let path = try await AuthTests.text(api.sql, "SELECT file_path FROM datasets WHERE id = \(datasetID)")
            let url = try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
            let arguments = ["sweep", "--data", path, "--entry", Self.entry, "--exit", Self.exit, "--grid", "n=5:30:5", "--grid", "m=5,10",
                             "--fill", "close", "--convention", "vectorbt", "--commission", "0.001", "--top", "6", "--json"]
            let distributed = try ProcessRunner.spawn(arguments + ["--distributed", "--shard-size", "5"], environment: ["DATABASE_URL": url])
            let workers = (0..<2).map { _ in api.worker(pollInterval: .milliseconds(50)) }
            _ = try await QueueTests.runWorkers(workers, until: {
                try await AuthTests.text(api.sql, "SELECT count(*)::text FROM evaluations WHERE status = 'completed' AND user_id IS NULL") == "1"
            }, limit: .seconds(120))
            let remote = await distributed.wait()
            let local = await (try ProcessRunner.start(arguments, environment: [:]))()
            #expect(remote.status == 0 && local.status == 0, "\(remote.output)\n\(local.output)")
            #expect(remote.output.contains("12 combinations in 3 shards queued"), "\(remote.output)")
            try SweepOutput.expectSameOverfitting(remote: remote.output, local: local.output)
            let remoteRows = try SweepOutput.rows(remote.output), localRows = try SweepOutput.rows(local.output)
            #expect(remoteRows.count == 6 && localRows.count == 6, "\(remote.output)\n\(local.output)")
            for (a, b) in zip(remoteRows, localRows) {
                let pa = a["parameters"] as? [String: Any] ?? [:], pb = b["parameters"] as? [String: Any] ?? [:]
                #expect(pa["n"] as? Double == pb["n"] as? Double && pa["m"] as? Double == pb["m"] as? Double)
                let sa = (a["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan, sb = (b["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan
                #expect(abs(sa - sb) < 1e-12)
            }
        }
    }
}
