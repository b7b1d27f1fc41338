import Backtest
import Expressions
import Foundation
import PostgresNIO
@testable import Service
import Testing

/// `start` on a rule strategy with a dataset replays its latest bars as paper trading with a
/// real worker: to the end (performance equal to Backtest on those bars, status stopped), or
/// until `stop` (the replay's task revoked mid-way). A strategy without a rule only changes status.
@Suite struct PaperTradeTests {
    static func strategy(_ api: TestAPI.Harness, _ token: String, datasetID: Int, bars: Int, intervalMS: Int) async throws -> Int {
        let response = try await api.call(.post, "/api/v1/strategies", json: [
            "name": "paper", "strategy_type": "algorithmic_trading",
            "config": ["rule": "sma_cross", "dataset_id": datasetID, "replay": ["bars": bars, "interval_ms": intervalMS]],
            "parameters": ["fast": 3, "slow": 8],
        ], token: token)
        guard let id = response.body.data["id"] as? Int else { throw TestFailure("strategy: \(response.body)") }
        return id
    }

    /// The strategy left `active` and the replay's task is recorded (the handler sets the status
    /// just before it returns).
    static func replayEnded(_ api: TestAPI.Harness, _ id: Int) async throws -> Bool {
        let task = try await AuthTests.text(api.sql, "SELECT coalesce(string_agg(status::text, ','), '') FROM celery_tasks WHERE related_type = 'strategy' AND related_id = \(id)")
        return try await status(api, id) != "active" && !["", "PENDING", "STARTED", "RETRY"].contains(task)
    }

    static func status(_ api: TestAPI.Harness, _ id: Int) async throws -> String {
        try await AuthTests.text(api.sql, "SELECT status::text FROM strategies WHERE id = \(id)")
    }

    @Test func aReplayRunsToTheEndWithBacktestsFigures() async throws {
        try await TestAPI.with("paper_trade_end") { api in
            let (token, _, _) = try await api.signUp("paper")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await Self.strategy(api, token, datasetID: datasetID, bars: 40, intervalMS: 0)
            #expect(try await api.call(.post, "/api/v1/strategies/\(id)/start", token: token).status == .ok)
            #expect(try await AuthTests.text(api.sql, "SELECT task_name FROM celery_tasks WHERE related_type = 'strategy' AND related_id = \(id)") == "paper_trade")
            let worker = api.worker(pollInterval: .milliseconds(50))
            _ = try await QueueTests.runWorkers([worker], until: { try await Self.replayEnded(api, id) }, limit: .seconds(60))
            #expect(try await Self.status(api, id) == "stopped")
            #expect(try await AuthTests.text(api.sql, "SELECT status::text FROM celery_tasks WHERE related_type = 'strategy'") == "SUCCESS")

            // Independently: Backtest over the dataset's last 40 bars.
            let all = try await EvaluationTests.bars(api, datasetID: datasetID)
            let from = all.count - 40
            let spec = StrategySpec(name: "sma_cross", parameters: ["fast": 3, "slow": 8])
            let settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 100_000)
            let close = Array(all.close[from...]), times = Array(all.timestamps[from...])
            let result = try FusedBacktest.run(spec, open: Array(all.open[from...]), close: close, timestamps: times, settings: settings)
            let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, benchmark: close, initialCash: 100_000, openTrade: result.openTrade)
            let strategy = try await api.call(.get, "/api/v1/strategies/\(id)", token: token).body.data
            let performance = strategy["performance"] as? [String: Any] ?? [:]
            #expect(abs((performance["total_return"] as? Double ?? .nan) - m.totalReturn * 100) < 1e-4, "\(performance) vs \(m.totalReturn * 100)")
            #expect(abs((performance["max_drawdown"] as? Double ?? .nan) + m.maxDrawdown * 100) < 1e-4)
            #expect(strategy["last_run_at"] is String)
        }
    }

    /// A strategy written as expressions replays the same way: its figures at the end are
    /// Backtest's over the last bars with the same signals; one naming a column its dataset lacks
    /// is refused when saved.
    @Test func anExpressionStrategyReplaysAndABadOneSaysWhy() async throws {
        try await TestAPI.with("paper_trade_expressions") { api in
            let (token, _, _) = try await api.signUp("paper")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let entry = "crossed_above(sma(close, {fast}), sma(close, {slow}))", exit = "close < lowest(low, 5)"
            var ids: [Int] = []
            let configs: [[String: Any]] = [["entry": entry, "exit": exit], ["entry": "close > sma(no_such_column, 3)"]]
            for config in configs {
                let response = try await api.call(.post, "/api/v1/strategies", json: [
                    "name": "paper", "strategy_type": "algorithmic_trading",
                    "config": config.merging(["dataset_id": datasetID, "replay": ["bars": 40, "interval_ms": 0]] as [String: Any]) { $1 },
                    "parameters": ["fast": 3, "slow": 8],
                ], token: token)
                // The second names a column the dataset lacks: refused when saved with its dataset.
                if ids.count == 1 {
                    #expect(response.status == .badRequest && response.body.errorFields == ["config.entry"], "\(response.body)")
                    break
                }
                ids.append(try #require(response.body.data["id"] as? Int, "\(response.body)"))
            }
            let id = ids[0]
            #expect(try await api.call(.post, "/api/v1/strategies/\(id)/start", token: token).status == .ok)
            let worker = api.worker(pollInterval: .milliseconds(50))
            _ = try await QueueTests.runWorkers([worker], until: { try await Self.replayEnded(api, id) }, limit: .seconds(60))
            #expect(try await Self.status(api, id) == "stopped")

            let (all, frame) = try await ExpressionEvaluationTests.frame(api, datasetID: datasetID)
            let from = all.count - 40
            let last = Frame(symbol: all.symbol, columns: frame.columns.mapValues { Array($0[from...]) })
            var settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 100_000)
            settings.peer = .backtestingPy
            let signals = try RuleSignals.signals(SignalRules(entry: entry, exit: exit), frame: last, parameters: ["fast": 3, "slow": 8], arithmetic: .pandas)
            let close = Array(all.close[from...]), times = Array(all.timestamps[from...])
            let result = SignalBacktest.run(open: Array(all.open[from...]), close: close, timestamps: times, signals: signals, settings: settings)
            let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, benchmark: close, initialCash: 100_000, openTrade: result.openTrade)
            let performance = try await api.call(.get, "/api/v1/strategies/\(id)", token: token).body.data["performance"] as? [String: Any] ?? [:]
            #expect(abs((performance["total_return"] as? Double ?? .nan) - m.totalReturn * 100) < 1e-4, "\(performance) vs \(m.totalReturn * 100)")
        }
    }

    @Test func stopEndsAReplayMidwayAndARulelessStartOnlyChangesStatus() async throws {
        try await TestAPI.with("paper_trade_stop") { api in
            let (token, _, _) = try await api.signUp("stopper")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await Self.strategy(api, token, datasetID: datasetID, bars: 500, intervalMS: 50)
            _ = try await api.call(.post, "/api/v1/strategies/\(id)/start", token: token)
            let worker = api.worker(pollInterval: .milliseconds(50))
            _ = try await QueueTests.runWorkers([worker], until: {
                // Some bars in (the task reports them), then stop.
                let progress = try await AuthTests.text(api.sql, "SELECT coalesce(progress->>'bar', '0') FROM celery_tasks WHERE related_type = 'strategy'")
                let current = try await Self.status(api, id)
                if (Int(progress) ?? 0) >= 5 && current == "active" {
                    #expect(try await api.call(.post, "/api/v1/strategies/\(id)/stop", token: token).status == .ok)
                }
                return ["SUCCESS", "REVOKED"].contains(try await AuthTests.text(api.sql, "SELECT status::text FROM celery_tasks WHERE related_type = 'strategy'"))
            }, limit: .seconds(60))
            #expect(try await Self.status(api, id) == "stopped")
            let task = try await AuthTests.text(api.sql, "SELECT status::text || ' ' || coalesce(progress::text, '') || ' ' || coalesce(result::text, '') || coalesce(last_error, '') FROM celery_tasks WHERE related_type = 'strategy'")
            // The replay sees the status leave active (SUCCESS, not finished) or the cancel request first (REVOKED).
            #expect(task.hasPrefix("REVOKED") || (task.hasPrefix("SUCCESS") && task.contains("\"finished\": false")), "\(task)")

            let plain = try await StrategyTests.create(api, token, name: "agent")["id"] as? Int ?? 0
            #expect(try await api.call(.post, "/api/v1/strategies/\(plain)/start", token: token).status == .ok)
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE related_type = 'strategy' AND related_id = \(plain)") == "0")
        }
    }

    @Test func aStrategyWithATrainedModelReplaysItsTestSplit() async throws {
        try await TestAPI.with("paper_trade_model") { api in
            let (token, _, _) = try await api.signUp("modeller")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let jobID = try await TrainingJobTests.submitDQN(api, token, name: "dqn", strategyID: strategyID, datasetID: datasetID, epochs: 2, seed: 9)
            #expect(try await TrainingJobTests.runUntil(api, job: jobID, status: ["completed", "failed"]) == "completed")
            let job = try await api.call(.get, "\(TrainingJobTests.base)/\(jobID)", token: token).body.data
            let testReturn = ((((job["metrics"] as? [String: Any])?["test"] as? [String: Any])?["backtest"] as? [String: Any])?["total_return"] as? Double ?? .nan) * 100
            // Forget what the job wrote, so the figures below can only come from the replay.
            try await api.sql.query("UPDATE strategies SET total_return = NULL, sharpe_ratio = NULL, config = '{\"replay\": {\"interval_ms\": 0}}' WHERE id = \(strategyID)",
                                    logger: TestDatabase.logger)
            #expect(try await api.call(.post, "/api/v1/strategies/\(strategyID)/start", token: token).status == .ok)
            let worker = api.worker(pollInterval: .milliseconds(50))
            _ = try await QueueTests.runWorkers([worker], until: { try await Self.replayEnded(api, strategyID) }, limit: .seconds(60))
            #expect(try await Self.status(api, strategyID) == "stopped")
            let result = try await AuthTests.text(api.sql, "SELECT result::text FROM celery_tasks WHERE related_type = 'strategy'")
            #expect(result.contains("\"model\": ") && result.contains("/jobs/\(jobID)/run") && result.contains("\"finished\": true"), "the job's model: \(result)")
            // The whole test split replayed: the job's own test figure.
            let performance = try await api.call(.get, "/api/v1/strategies/\(strategyID)", token: token).body.data["performance"] as? [String: Any] ?? [:]
            #expect(abs((performance["total_return"] as? Double ?? .nan) - testReturn) < 1e-3, "\(performance) vs \(testReturn)")
        }
    }
}
