import Backtest
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import PostgresNIO
@testable import Service
import Testing

/// Evaluations over HTTP with real workers on an uploaded (ingested) dataset: each figure equals
/// Backtest's own computation on the same bars; a grid split into shards taken by two workers
/// merges into the ranking a single sweep gives; performance, risk and comparison carry their
/// tables; the report is the owner's only; bad requests name their field.
@Suite struct EvaluationTests {
    static let base = "/api/v1/evaluations"

    /// A rule strategy on the dataset.
    static func ruleStrategy(_ api: TestAPI.Harness, _ token: String, name: String, rule: String, parameters: [String: Any], datasetID: Int) async throws -> Int {
        let response = try await api.call(.post, "/api/v1/strategies", json: ["name": name, "strategy_type": "algorithmic_trading",
                                                                              "config": ["rule": rule, "dataset_id": datasetID], "parameters": parameters], token: token)
        guard response.status == .created, let id = response.body.data["id"] as? Int else { throw TestFailure("strategy: \(response.status) \(response.body)") }
        return id
    }

    static func runUntilFinished(_ api: TestAPI.Harness, _ ids: [Int], workers count: Int = 1) async throws {
        let workers = (0..<count).map { _ in
            api.worker(pollInterval: .milliseconds(50))
        }
        let list = ids.map(String.init).joined(separator: ",")
        _ = try await QueueTests.runWorkers(workers, until: {
            // Finished, and no task of theirs still running: the merge can end an evaluation while
            // the worker that ran its last shard is still writing that shard task's status.
            try await AuthTests.text(api.sql, """
                SELECT count(*)::text FROM evaluations e WHERE e.id IN (\(list)) AND e.status IN ('completed', 'failed')
                AND NOT EXISTS (SELECT 1 FROM celery_tasks t WHERE t.related_type = 'evaluation' AND t.related_id = e.id AND t.status = 'STARTED')
                """) == String(ids.count)
        }, limit: .seconds(240))
    }

    /// The same bars Backtest reads, for the independent computation.
    static func bars(_ api: TestAPI.Harness, datasetID: Int) async throws -> BarSeries {
        let path = try await AuthTests.text(api.sql, "SELECT file_path FROM datasets WHERE id = \(datasetID)")
        return try BarSeries.read(path: path, symbol: nil)
    }

    static func raw(_ api: TestAPI.Harness, _ uri: String, token: String) async throws -> (HTTPResponse.Status, String, String?) {
        try await api.client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
            (response.status, String(buffer: response.body), response.headers[.contentType])
        }
    }

    @Test func aBacktestEvaluationGivesBacktestsFiguresChartsAndAnOwnerOnlyReport() async throws {
        try await TestAPI.with("evaluation_backtest") { api in
            let (token, _, _) = try await api.signUp("evaluator")
            let (other, _, _) = try await api.signUp("outsider")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await Self.ruleStrategy(api, token, name: "sma", rule: "sma_cross", parameters: ["fast": 10, "slow": 30, "note": "kept out"], datasetID: datasetID)
            let created = try await api.call(.post, Self.base, json: [
                "name": "sma 2016", "evaluation_type": "backtest", "strategy_id": strategyID,
                "config": ["start_date": "2016-01-01", "end_date": "2016-12-31", "initial_capital": 50_000, "commission": 0.002, "benchmark": "buy_and_hold"],
            ], token: token)
            #expect(created.status == .created, "\(created.body)")
            #expect(created.body.data["status"] as? String == "pending" && created.body.data["celery_task_id"] is String && created.body.data["shards_total"] as? Int == 1)
            let id = created.body.data["id"] as? Int ?? 0
            try await Self.runUntilFinished(api, [id])
            let evaluation = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            #expect(evaluation["status"] as? String == "completed", "\(evaluation)")
            #expect(evaluation["progress"] as? Double == 100 && evaluation["shards_done"] as? Int == 1)
            let range = evaluation["time_range"] as? [String: Any] ?? [:]
            #expect((range["start"] as? String ?? "").hasPrefix("2016-01-01") && (range["end"] as? String ?? "").hasPrefix("2016-12-31"))

            // Independently: Backtest on the 2016 bars with the same settings.
            let all = try await Self.bars(api, datasetID: datasetID)
            let bars = all.slice(from: 1_451_606_400_000_000_000, to: 1_483_228_799_999_999_000)
            let spec = StrategySpec(name: "sma_cross", parameters: ["fast": 10, "slow": 30])
            let settings = ExecutionSettings(fill: .nextOpen, commission: 0.002, initialCash: 50_000)
            let result = try FusedBacktest.run(spec, open: bars.open, close: bars.close, timestamps: bars.timestamps, settings: settings)
            let m = PerformanceMetrics(equity: result.equity, timestamps: bars.timestamps, trades: result.trades, benchmark: bars.close,
                                       benchmarkStart: try Strategies.warmupBars(spec), initialCash: 50_000, openTrade: result.openTrade)
            let results = evaluation["results"] as? [String: Any] ?? [:]
            func close(_ key: String, _ expected: Double) -> Bool { abs((results[key] as? Double ?? .nan) - expected) <= 1e-9 * max(1, abs(expected)) }
            #expect(bars.count > 300 && bars.count < 370)
            #expect(close("total_return", m.totalReturn * 100) && close("sharpe_ratio", m.sharpe) && close("max_drawdown", -m.maxDrawdown * 100), "\(results)")
            #expect(close("win_rate", m.winRate) && results["total_trades"] as? Int == m.tradeCount && close("final_equity", m.equityFinal))
            #expect((results["start"] as? String ?? "").hasPrefix("2016-01-01") && (results["end"] as? String ?? "").hasPrefix("2016-12-31"))
            #expect((results["metrics"] as? [String: Any])?["sortino"] != nil)
            let charts = evaluation["charts"] as? [[String: Any]] ?? []
            #expect(charts.map { $0["type"] as? String ?? "" } == ["equity_curve", "drawdown", "positions", "trades"])
            #expect((charts.first?["data"] as? [Any])?.count == bars.count)

            // The report: the owner's HTML; a stranger sees neither it nor the evaluation.
            let url = evaluation["report_url"] as? String ?? ""
            #expect(url == "\(Self.base)/\(id)/report")
            let (status, html, type) = try await Self.raw(api, url, token: token)
            #expect(status == .ok && type?.hasPrefix("text/html") == true && html.contains("<svg") && html.contains("sma 2016"))
            #expect(try await Self.raw(api, url, token: other).0 == .notFound)
            // A browser following the link passes the token in the query instead.
            let linked = try await api.client.execute(uri: "\(url)?token=\(token)", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(linked.0 == .ok && linked.1.contains("<svg"))
            #expect(try await api.client.execute(uri: "\(url)?token=\(other)", method: .get) { $0.status } == .notFound)
            #expect(try await api.client.execute(uri: "\(url)?token=forged", method: .get) { $0.status } == .unauthorized)
            #expect(try await api.client.execute(uri: "\(Self.base)/\(id)?token=\(token)", method: .get) { $0.status } == .unauthorized,
                    "only the report takes a query token")
            #expect(try await api.call(.get, "\(Self.base)/\(id)", token: other).status == .notFound)
            let list = try await api.call(.get, "\(Self.base)?evaluation_type=backtest&status=completed", token: token).body.data
            #expect(list["total"] as? Int == 1 && (list["items"] as? [[String: Any]])?.first?["charts"] == nil, "lists leave charts out")
            #expect(try await api.call(.get, "\(Self.base)?evaluation_type=backtest", token: other).body.data["total"] as? Int == 0)
        }
    }

    @Test func aGridSplitIntoShardsMergesIntoTheRankingOfOneSweep() async throws {
        try await TestAPI.with("evaluation_grid") { api in
            let (token, _, _) = try await api.signUp("sweeper")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await Self.ruleStrategy(api, token, name: "sma grid", rule: "sma_cross", parameters: ["fast": 10, "slow": 30], datasetID: datasetID)
            let created = try await api.call(.post, Self.base, json: [
                "name": "grid", "evaluation_type": "backtest", "strategy_id": strategyID,
                "config": ["grid": ["fast": "2:20", "slow": [25, 30, 40, 50, 60]], "shard_size": 20, "top": 10, "sort": "sharpe",
                           "fill": "close", "convention": "vectorbt", "commission": 0.001],
            ], token: token)
            #expect(created.status == .created, "\(created.body)")
            let id = created.body.data["id"] as? Int ?? 0
            #expect(created.body.data["shards_total"] as? Int == 5, "95 combinations in shards of 20")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE related_type = 'evaluation' AND related_id = \(id)") == "5")
            try await Self.runUntilFinished(api, [id], workers: 2)
            let evaluation = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            #expect(evaluation["status"] as? String == "completed", "\(evaluation)")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(DISTINCT status::text, ',') || ' ' || count(*) FROM celery_tasks WHERE related_id = \(id) AND task_name = 'evaluate_shard'") == "SUCCESS 5")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM evaluation_shards WHERE evaluation_id = \(id)") == "0", "merged, then let go")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE related_id = \(id) AND task_name = 'finish_evaluation'") == "1")

            // One sweep over the whole grid, here.
            let bars = try await Self.bars(api, datasetID: datasetID)
            let grid = ParameterGrid(axes: [.init(name: "fast", values: (2...20).map(Double.init)), .init(name: "slow", values: [25, 30, 40, 50, 60])])
            var ranking = try SweepRanking(metric: "sharpe", limit: 10)
            var local = SweepConfiguration(strategy: "sma_cross", grid: grid, settings: ExecutionSettings(fill: .close, commission: 0.001, initialCash: 100_000, lot: .fractional),
                                           convention: .vectorbt)
            local.overfittingPartitions = 16
            var overfitting = SweepOverfitting()
            _ = try Sweep.run(local, open: bars.open, close: bars.close, timestamps: bars.timestamps, onRows: { ranking.add($0); overfitting.add($0) })
            let gridResults = (evaluation["results"] as? [String: Any])?["grid"] as? [String: Any] ?? [:]
            #expect(gridResults["evaluated"] as? Int == 95 && gridResults["shards"] as? Int == 5)
            let top = gridResults["top"] as? [[String: Any]] ?? []
            #expect(top.count == 10)
            for (row, expected) in zip(top, ranking.rows) {
                let parameters = row["parameters"] as? [String: Any] ?? [:]
                let sharpe = (row["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan
                #expect(parameters["fast"] as? Double == expected.parameters[0] && parameters["slow"] as? Double == expected.parameters[1])
                #expect(abs(sharpe - expected.metrics.sharpe) < 1e-9)
            }
            // The overfitting statistics of the merged shards are the whole sweep's (16 blocks by default).
            let expected = try #require(overfitting.report(selected: ranking.rows[0].index))
            let statistics = gridResults["overfitting"] as? [String: Any] ?? [:]
            let deflated = statistics["deflated_sharpe"] as? [String: Any] ?? [:], pbo = statistics["probability_of_backtest_overfitting"] as? [String: Any] ?? [:]
            #expect(statistics["trials"] as? Int == 95 && pbo["partitions"] as? Int == 16 && pbo["splits"] as? Int == 12_870, "\(statistics)")
            #expect(abs((deflated["probability"] as? Double ?? .nan) - expected.deflatedSharpe.probability) < 1e-9, "\(deflated) vs \(expected)")
            #expect(abs((pbo["probability"] as? Double ?? .nan) - (expected.overfittingProbability?.probability ?? .nan)) < 1e-12, "\(pbo) vs \(expected)")
            // The headline is the best combination's full run.
            let best = ranking.rows[0]
            let label = (evaluation["results"] as? [String: Any])?["label"] as? String ?? ""
            #expect(label.contains("fast=\(Int(best.parameters[0])) slow=\(Int(best.parameters[1]))"), "\(label)")
            let (status, csv, _) = try await Self.raw(api, "\(Self.base)/\(id)/report?format=csv", token: token)
            #expect(status == .ok && csv.split(separator: "\n").count == 96 && csv.hasPrefix("rank,fast,slow,equity_final"))
            let (_, html, _) = try await Self.raw(api, "\(Self.base)/\(id)/report", token: token)
            #expect(html.contains("#2 fast=\(Int(ranking.rows[1].parameters[0])) slow=\(Int(ranking.rows[1].parameters[1]))"), "the report lists the leading combinations")
            #expect(html.contains("Deflated Sharpe ratio") && html.contains("Probability of backtest overfitting"), "the report carries the overfitting statistics")
        }
    }

    /// A walk-forward over REST: each window's in-sample sweep is a shard any worker takes, the
    /// merge stitches the out-of-sample runs, and the results equal `WalkForward.run` here; bad
    /// walk-forward options are 400s naming the field.
    @Test func aWalkForwardRunsItsWindowsAsShardsAndStitchesThem() async throws {
        try await TestAPI.with("evaluation_walkforward") { api in
            let (token, _, _) = try await api.signUp("forward")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await Self.ruleStrategy(api, token, name: "sma wf", rule: "sma_cross", parameters: ["fast": 10, "slow": 30], datasetID: datasetID)
            func post(_ config: [String: Any]) async throws -> (HTTPResponse.Status, [String: Any], [String]) {
                let answer = try await api.call(.post, Self.base, json: ["name": "wf", "evaluation_type": "backtest", "strategy_id": strategyID, "config": config],
                                                token: token)
                return (answer.status, answer.body.data, answer.body.errorFields)
            }
            let base: [String: Any] = ["grid": ["fast": "2:20:6", "slow": [25, 40]], "fill": "close", "convention": "vectorbt", "commission": 0.001]
            var config = base
            config["walk_forward"] = ["train": 300, "test": 150]
            let (status, created, _) = try await post(config)
            #expect(status == .created, "\(created)")
            let id = created["id"] as? Int ?? 0
            let bars = try await Self.bars(api, datasetID: datasetID)
            let windows = try WalkForwardWindows(bars: bars.count, train: 300, test: 150)
            #expect(created["shards_total"] as? Int == windows.windows.count, "a shard per window")
            try await Self.runUntilFinished(api, [id], workers: 2)
            let evaluation = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            #expect(evaluation["status"] as? String == "completed", "\(evaluation)")
            let results = evaluation["results"] as? [String: Any] ?? [:]
            let walkForward = results["walk_forward"] as? [String: Any] ?? [:]
            let printed = walkForward["windows"] as? [[String: Any]] ?? []

            var settings = ExecutionSettings(fill: .close, commission: 0.001, initialCash: 100_000, lot: .fractional)
            settings.peer = .vectorbt
            let grid = ParameterGrid(axes: [.init(name: "fast", values: [2, 8, 14, 20]), .init(name: "slow", values: [25, 40])])
            let local = try WalkForward.run(.strategy("sma_cross"), configuration: WalkForwardConfiguration(grid: grid, settings: settings, convention: .vectorbt, threads: 1),
                                            windows: windows, bars: bars)
            #expect(printed.count == local.windows.count)
            for (row, window) in zip(printed, local.windows) {
                let parameters = row["parameters"] as? [String: Any] ?? [:]
                #expect(parameters["fast"] as? Double == window.parameters[0] && parameters["slow"] as? Double == window.parameters[1], "\(row)")
                #expect((row["overfitting"] as? [String: Any])?["trials"] as? Int == 8, "each window judges its in-sample choice")
            }
            let sharpe = results["sharpe_ratio"] as? Double ?? .nan
            #expect(abs(sharpe - local.metrics.sharpe) < 1e-9, "the stitched out-of-sample run: \(sharpe) vs \(local.metrics.sharpe)")
            #expect(abs((walkForward["efficiency"] as? Double ?? .nan) - local.efficiency) < 1e-9)
            let (_, html, _) = try await Self.raw(api, "\(Self.base)/\(id)/report", token: token)
            #expect(html.contains("Walk-forward efficiency") && html.contains("Window 1 from"))
            // The windows marked on the equity, drawdown and parameter charts; the parameters charted.
            #expect(html.components(separatedBy: "class=\"window\"").count - 1 == 3 * (windows.windows.count - 1), "window boundaries on three charts")
            #expect(html.contains("Parameters chosen per window"))

            var noGrid = base
            noGrid.removeValue(forKey: "grid")
            noGrid["walk_forward"] = ["train": 300, "test": 150]
            #expect(try await post(noGrid).2 == ["config.walk_forward"])
            for (block, field) in [(["train": "2x", "test": 150] as [String: Any], "config.walk_forward.train"), (["train": 300, "test": 150, "step": 50], "config.walk_forward"),
                                   (["train": 300], "config.walk_forward.test"), (["train": 300, "test": 150, "every": 3], "config.walk_forward.every")] {
                var bad = base
                bad["walk_forward"] = block
                let (status, _, fields) = try await post(bad)
                #expect(status == .badRequest && fields == [field], "\(block): \(status) \(fields)")
            }
        }
    }

    @Test func performanceRiskAndComparisonCarryTheirTables() async throws {
        try await TestAPI.with("evaluation_kinds") { api in
            let (token, _, _) = try await api.signUp("analyst")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let sma = try await Self.ruleStrategy(api, token, name: "sma", rule: "sma_cross", parameters: ["fast": 10, "slow": 30], datasetID: datasetID)
            let rsi = try await Self.ruleStrategy(api, token, name: "rsi", rule: "rsi", parameters: ["period": 14], datasetID: datasetID)
            // A second version of the SMA strategy to compare with the first.
            let updated = try await api.call(.put, "/api/v1/strategies/\(sma)", json: ["parameters": ["fast": 5, "slow": 50]], token: token)
            #expect(updated.status == .ok, "\(updated.body)")
            let version = updated.body.data["version"] as? String ?? ""
            var ids: [Int] = []
            for (kind, config) in [("performance", [String: Any]()), ("risk", [:]), ("comparison", ["strategy_ids": [rsi], "versions": ["1.0.0"]])] {
                let created = try await api.call(.post, Self.base, json: ["name": kind, "evaluation_type": kind, "strategy_id": sma, "config": config], token: token)
                #expect(created.status == .created, "\(created.body)")
                ids.append(created.body.data["id"] as? Int ?? 0)
            }
            try await Self.runUntilFinished(api, ids)
            var results: [[String: Any]] = []
            for id in ids {
                let evaluation = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
                #expect(evaluation["status"] as? String == "completed", "\(evaluation)")
                results.append(evaluation["results"] as? [String: Any] ?? [:])
            }
            // Performance: yearly returns compound to the total return.
            let yearly = (results[0]["periods"] as? [String: Any])?["yearly"] as? [[String: Any]] ?? []
            let compounded = yearly.reduce(1.0) { $0 * (1 + ($1["return"] as? Double ?? .nan) / 100) } - 1
            #expect(yearly.count >= 2 && abs(compounded * 100 - (results[0]["total_return"] as? Double ?? .nan)) < 1e-6, "\(yearly)")
            #expect(((results[0]["periods"] as? [String: Any])?["monthly"] as? [Any])?.count ?? 0 > 12)
            // Risk: VaR and CVaR as positive losses in percent, CVaR at least VaR; the drawdown table, deepest first.
            let risk = results[1]["risk"] as? [String: Any] ?? [:]
            let var95 = risk["var_95"] as? Double ?? .nan, cvar95 = risk["cvar_95"] as? Double ?? .nan
            #expect(var95 > 0 && cvar95 >= var95 - 1e-12, "\(risk)")
            let drawdowns = (risk["drawdowns"] as? [[String: Any]] ?? []).map { $0["depth"] as? Double ?? .nan }
            #expect(!drawdowns.isEmpty && drawdowns == drawdowns.sorted() && abs(drawdowns[0] - (risk["max_drawdown"] as? Double ?? .nan)) < 1e-9)
            // Comparison: the strategy (current version), the other strategy, version 1.0.0 and the benchmark.
            let table = results[2]["comparison"] as? [[String: Any]] ?? []
            let labels = table.map { $0["label"] as? String ?? "" }
            #expect(table.count == 4 && labels[0].contains("fast=5 slow=50") && labels[1].hasPrefix("rsi") && labels[2].contains("v1.0.0") && labels[2].contains("fast=10 slow=30")
                    && labels[3].hasPrefix("benchmark"), "\(labels) (current version \(version))")
            #expect(table[0]["total_return"] as? Double == results[2]["total_return"] as? Double)
        }
    }

    @Test func badEvaluationsAreRefusedNamingTheirField() async throws {
        try await TestAPI.with("evaluation_validation") { api in
            let (token, _, _) = try await api.signUp("careful")
            let (other, _, _) = try await api.signUp("neighbour")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let mine = try await Self.ruleStrategy(api, token, name: "mine", rule: "sma_cross", parameters: [:], datasetID: datasetID)
            let theirs = try await StrategyTests.create(api, other, name: "theirs", config: ["rule": "sma_cross"])["id"] as? Int ?? 0
            let noRule = try await StrategyTests.create(api, token, name: "agent only")["id"] as? Int ?? 0
            func post(_ body: [String: Any], as who: String? = nil) async throws -> (HTTPResponse.Status, [String]) {
                let response = try await api.call(.post, Self.base, json: body, token: who ?? token)
                return (response.status, response.body.errorFields)
            }
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": theirs]) == (.notFound, ["strategy_id"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "dataset_id": datasetID], as: other) == (.notFound, ["strategy_id"]))
            #expect(try await post(["name": "x", "evaluation_type": "audit", "strategy_id": mine]) == (.badRequest, ["evaluation_type"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["start": "2016-01-01", "commission": 2]])
                    == (.badRequest, ["config.start", "config.commission"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["end_date": "last year"]]) == (.badRequest, ["config.end_date"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["benchmark": "SPY"]]) == (.badRequest, ["config.benchmark"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": noRule, "dataset_id": datasetID]) == (.badRequest, ["strategy_id"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["parameters": ["fast": 30, "slow": 10]]])
                    == (.badRequest, ["strategy_id"]))
            #expect(try await post(["name": "x", "evaluation_type": "risk", "strategy_id": mine, "config": ["grid": ["fast": [5, 10]]]]) == (.badRequest, ["config.grid"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["grid": ["window": [5, 10]]]]) == (.badRequest, ["config.grid"]))
            for partitions in [7, 22, -2, 1e300] {
                #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["grid": ["fast": [5, 10]], "overfitting_partitions": partitions]])
                        == (.badRequest, ["config.overfitting_partitions"]), "\(partitions)")
            }
            #expect(try await post(["name": "x", "evaluation_type": "comparison", "strategy_id": mine, "config": ["strategy_ids": [theirs]]]) == (.notFound, ["config.strategy_ids"]))
            #expect(try await post(["name": "x", "evaluation_type": "backtest", "strategy_id": mine, "config": ["training_job_id": 12345]]) == (.notFound, ["config.training_job_id"]))
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM evaluations") == "0")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE related_type = 'evaluation'") == "0")
        }
    }

    @Test func aLostShardIsRerunAndTheStaleWorkersLateResultRefused() async throws {
        try await TestAPI.with("evaluation_lost_shard") { api in
            let (token, _, _) = try await api.signUp("resilient")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await Self.ruleStrategy(api, token, name: "sma", rule: "sma_cross", parameters: [:], datasetID: datasetID)
            let created = try await api.call(.post, Self.base, json: ["name": "two shards", "evaluation_type": "backtest", "strategy_id": strategyID,
                                                                     "config": ["grid": ["fast": [5, 10, 15, 20]], "shard_size": 2]], token: token)
            let id = created.body.data["id"] as? Int ?? 0
            // A worker takes a shard and dies: its lease runs out and the rescuer puts it back.
            let queue = TaskQueue(client: api.database.primary)
            let ghost = try await queue.claim(worker: "ghost", queues: [TaskQueues.evaluation], limit: 1, logger: TestDatabase.logger)
            #expect(ghost.count == 1)
            try await api.sql.query("UPDATE celery_tasks SET lease_expires_at = CURRENT_TIMESTAMP - interval '1 second' WHERE worker_name = 'ghost'", logger: TestDatabase.logger)
            #expect(try await queue.rescue(logger: TestDatabase.logger).map(\.status) == ["RETRY"])
            try await api.sql.query("UPDATE celery_tasks SET run_at = CURRENT_TIMESTAMP WHERE status = 'RETRY'", logger: TestDatabase.logger)
            try await Self.runUntilFinished(api, [id])
            let evaluation = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            #expect(evaluation["status"] as? String == "completed" && evaluation["shards_done"] as? Int == 2, "\(evaluation["error_message"] ?? "")")
            let grid = (evaluation["results"] as? [String: Any])?["grid"] as? [String: Any] ?? [:]
            #expect(grid["evaluated"] as? Int == 3 && grid["rejected"] as? Int == 1, "fast=20 is not below the default slow=20: \(grid)")
            // The ghost comes back with a result for its old claim: refused, nothing overwritten.
            var shard = -1
            if case .int(let v)? = ghost[0].kwargs.objectValue?["shard"] { shard = Int(v) }
            let accepted = try await EvaluationStore(database: api.database).recordShard(id, shard: shard, results: .object(["stale": .bool(true)]),
                                                                                         claim: ghost[0].key, logger: TestDatabase.logger)
            #expect(!accepted)
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM evaluation_shards WHERE evaluation_id = \(id) AND results ? 'stale'") == "0")
        }
    }

    @Test func anEvaluationTheQueueGivesUpOnOrWhoseDataIsGoneFailsSayingWhy() async throws {
        try await TestAPI.with("evaluation_failures") { api in
            let (token, _, _) = try await api.signUp("unlucky")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await Self.ruleStrategy(api, token, name: "sma", rule: "sma_cross", parameters: [:], datasetID: datasetID)
            func submit(_ name: String) async throws -> Int {
                try await api.call(.post, Self.base, json: ["name": name, "evaluation_type": "risk", "strategy_id": strategyID], token: token).body.data["id"] as? Int ?? 0
            }
            // Its only shard's worker dies with no retries left: the evaluation fails with the reason.
            let abandoned = try await submit("abandoned")
            let queue = TaskQueue(client: api.database.primary)
            _ = try await queue.claim(worker: "ghost", queues: [TaskQueues.evaluation], limit: 1, logger: TestDatabase.logger)
            try await api.sql.query("""
                UPDATE celery_tasks SET lease_expires_at = CURRENT_TIMESTAMP - interval '1 second', max_retries = 0 WHERE worker_name = 'ghost'
                """, logger: TestDatabase.logger)
            #expect(try await queue.rescue(logger: TestDatabase.logger).map(\.status) == ["FAILURE"])
            #expect(try await AuthTests.text(api.sql, "SELECT status::text || ': ' || error_message FROM evaluations WHERE id = \(abandoned)")
                    .hasPrefix("failed: evaluate_shard: lease expired: worker ghost"))

            // The bar file vanished under it: failed at once (no retry), naming the file.
            let orphan = try await submit("orphan")
            let path = try await AuthTests.text(api.sql, "SELECT file_path FROM datasets WHERE id = \(datasetID)")
            try FileManager.default.removeItem(atPath: path)
            try await Self.runUntilFinished(api, [orphan])
            let message = try await AuthTests.text(api.sql, "SELECT status::text || ': ' || coalesce(error_message, '') FROM evaluations WHERE id = \(orphan)")
            let file = URL(fileURLWithPath: path).lastPathComponent
            #expect(message.hasPrefix("failed: shard 0: ") && message.contains(file) && !message.contains(path), "names the file, not the server's path: \(message)")
            #expect(try await AuthTests.text(api.sql, "SELECT status::text || ' ' || retries FROM celery_tasks WHERE related_id = \(orphan) AND related_type = 'evaluation'") == "FAILURE 0")
        }
    }

    @Test func qfSweepDistributedRanksLikeALocalSweep() async throws {
        try await TestAPI.with("evaluation_cli_sweep") { api in
            #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
            let (token, _, _) = try await api.signUp("operator")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let path = try await AuthTests.text(api.sql, "SELECT file_path FROM datasets WHERE id = \(datasetID)")
            let url = try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
            let arguments = ["sweep", "--data", path, "--grid", "fast=2:12", "--grid", "slow=15:40:5", "--fill", "close", "--convention", "vectorbt",
                             "--commission", "0.001", "--top", "8", "--json"]
            let distributed = try ProcessRunner.spawn(arguments + ["--distributed", "--shard-size", "10"], environment: ["DATABASE_URL": url])
            // Workers in this process take the shards the command queued.
            let workers = (0..<2).map { _ in
                api.worker(pollInterval: .milliseconds(50))
            }
            _ = try await QueueTests.runWorkers(workers, until: {
                try await AuthTests.text(api.sql, "SELECT count(*)::text FROM evaluations WHERE status = 'completed' AND user_id IS NULL") == "1"
            }, limit: .seconds(120))
            let remote = await distributed.wait()
            let local = await (try ProcessRunner.start(arguments, environment: ["DATABASE_URL": url]))()
            #expect(remote.status == 0 && local.status == 0, "\(remote.output)\n\(local.output)")
            #expect(remote.output.contains("66 combinations in 7 shards queued"), "\(remote.output)")
            try SweepOutput.expectSameOverfitting(remote: remote.output, local: local.output)
            let remoteRows = try SweepOutput.rows(remote.output), localRows = try SweepOutput.rows(local.output)
            #expect(remoteRows.count == 8 && localRows.count == 8, "\(remote.output)\n\(local.output)")
            for (a, b) in zip(remoteRows, localRows) {
                let pa = a["parameters"] as? [String: Any] ?? [:], pb = b["parameters"] as? [String: Any] ?? [:]
                #expect(pa["fast"] as? Double == pb["fast"] as? Double && pa["slow"] as? Double == pb["slow"] as? Double)
                let sa = (a["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan, sb = (b["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan
                #expect(abs(sa - sb) < 1e-12)
            }
        }
    }

    /// The seed's request body, as written: a strategy without a rule that has trained is
    /// evaluated through its latest completed model; `benchmark` names a symbol that another of the
    /// caller's datasets holds; dates outside the data are a 400 saying what the data covers.
    @Test func theSeedsRequestAsWrittenWorksOrSaysWhy() async throws {
        try await TestAPI.with("evaluation_seed_body") { api in
            let (token, _, _) = try await api.signUp("seedling")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await TrainingJobTests.strategy(api, token)
            var spy = "date,close\n"
            for day in 0..<1100 {
                let t = Date(timeIntervalSince1970: 1_420_070_400 + Double(day) * 86_400)   // from 2015-01-01
                if Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: t).weekday.map({ $0 == 1 || $0 == 7 }) == true { continue }
                spy += "\(ISO8601DateFormatter().string(from: t).prefix(10)),\(200 + Double(day) * 0.1)\n"
            }
            let spyID = try await DatasetFitnessTests.ingested(api, token, name: "SPY", csv: spy)
            let body: (String, String, String) -> [String: Any] = { start, end, benchmark in
                ["name": "string", "evaluation_type": "backtest", "strategy_id": strategyID,
                 "config": ["start_date": start, "end_date": end, "initial_capital": 100000, "benchmark": benchmark]]
            }
            // No rule and no trained model yet: said at once.
            let untrained = try await api.call(.post, Self.base, json: body("2017-01-01", "2017-12-31", "SPY"), token: token)
            #expect(untrained.status == .badRequest && untrained.body.errorFields == ["strategy_id"], "\(untrained.body)")
            let jobID = try await TrainingJobTests.submitDQN(api, token, name: "model", strategyID: strategyID, datasetID: datasetID, epochs: 2, seed: 1)
            #expect(try await TrainingJobTests.runUntil(api, job: jobID, status: ["completed", "failed"]) == "completed")
            // The seed's own dates lie outside this data: a 400 naming the range it covers.
            let outside = try await api.call(.post, Self.base, json: body("2024-01-01", "2024-12-31", "SPY"), token: token)
            let message = (outside.body.error["details"] as? [[String: Any]])?.first?["message"] as? String ?? ""
            #expect(outside.status == .badRequest && outside.body.errorFields == ["config.start_date"] && message.contains("covers 2017-"), "\(outside.body)")
            let nowhere = try await api.call(.post, Self.base, json: body("2017-06-01", "2017-09-30", "QQQ"), token: token)
            let looked = (nowhere.body.error["details"] as? [[String: Any]])?.first?["message"] as? String ?? ""
            #expect(nowhere.status == .badRequest && nowhere.body.errorFields == ["config.benchmark"] && looked.contains("SPY"), "lists where it looked: \(looked)")
            // Inside the data, with SPY from the other dataset: it runs.
            let created = try await api.call(.post, Self.base, json: body("2017-06-01", "2017-09-30", "SPY"), token: token)
            #expect(created.status == .created, "\(created.body)")
            let id = created.body.data["id"] as? Int ?? 0
            try await Self.runUntilFinished(api, [id])
            let evaluation = try await api.call(.get, "\(Self.base)/\(id)", token: token).body.data
            #expect(evaluation["status"] as? String == "completed", "\(evaluation)")
            // The benchmark is SPY's buy and hold over the evaluated bars (its last close at or
            // before each bar): here a steady 0.1 a day from 200.
            let path = try await AuthTests.text(api.sql, "SELECT coalesce(plan->>'benchmark_path', '') FROM evaluations WHERE id = \(id)")
            #expect(path == api.data.barFilePath(id: spyID), "read from the SPY dataset: \(path)")

            // The same model on another dataset (dataset_id): real DJI bars from ../shared, which
            // have no TradeMaster features (computed for the run as training computed them).
            let djiID = try await DatasetFitnessTests.ingested(api, token, name: "DJI", csv: try SharedData.dji(rows: 1500))
            let elsewhere = try await api.call(.post, Self.base, json: ["name": "on DJI", "evaluation_type": "backtest", "strategy_id": strategyID,
                                                                       "dataset_id": djiID, "config": ["initial_capital": 100000]], token: token)
            #expect(elsewhere.status == .created, "\(elsewhere.body)")
            let elsewhereID = elsewhere.body.data["id"] as? Int ?? 0
            try await Self.runUntilFinished(api, [elsewhereID])
            let onDJI = try await api.call(.get, "\(Self.base)/\(elsewhereID)", token: token).body.data
            #expect(onDJI["status"] as? String == "completed" && onDJI["dataset_id"] as? Int == djiID, "\(onDJI)")
            let summary = onDJI["results"] as? [String: Any] ?? [:]
            #expect(summary["dataset"] as? String == "DJI" && (summary["start"] as? String ?? "").hasPrefix("2000-01"), "all of DJI, not a split: \(summary)")
            // A dataset the agent cannot observe (close only): a 400 naming what it lacks.
            let closeOnly = try await api.call(.post, Self.base, json: ["name": "on SPY", "evaluation_type": "backtest", "strategy_id": strategyID,
                                                                       "dataset_id": spyID, "config": [:]], token: token)
            #expect(closeOnly.status == .badRequest && closeOnly.body.errorFields == ["dataset_id"], "\(closeOnly.body)")
        }
    }

    /// A benchmark from another file with another calendar: its last close at or before each
    /// evaluated bar; none before the first bar is an error naming the time.
    @Test func aBenchmarkOnAnotherCalendarIsCarriedForward() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("spy.csv").path, bars = dir.appendingPathComponent("spy.h5").path
        // Friday 2024-01-05, then Monday 2024-01-08: no weekend bars.
        try Data("date,close\n2024-01-04,10\n2024-01-05,11\n2024-01-08,12\n".utf8).write(to: URL(fileURLWithPath: csv))
        _ = try CSVIngestor.ingest(csv: csv, to: bars, options: { var o = IngestOptions(); o.symbol = "SPY"; return o }())
        func day(_ d: Int) -> Int64 { Int64(d) * 86_400_000_000_000 }
        let jan5 = Int64(19_727), times = [day(19_727), day(19_728), day(19_729), day(19_730)]   // Fri, Sat, Sun, Mon
        #expect(try EvaluationRunner.benchmarkPrices("SPY", times: times, close: [1, 2, 3, 4], file: bars) == [11, 11, 11, 12])
        #expect(try EvaluationRunner.benchmarkPrices(nil, times: times, close: [1, 2, 3, 4], file: bars) == [1, 2, 3, 4])
        #expect(throws: BacktestError.self) { try EvaluationRunner.benchmarkPrices("SPY", times: [day(Int(jan5) - 30)], close: [1], file: bars) }
    }
}
