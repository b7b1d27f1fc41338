import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// `qf demo` (`qf demo flow`): a running service (`make run`) driven through what a user does,
/// over HTTP and the WebSocket: register and log in, upload the sample CSV and wait for its
/// ingestion, create a rule strategy, submit a DQN training job and watch its epochs arrive on
/// the WebSocket, evaluate (a parameter grid split into shards, and the trained model on its test
/// split), print results and report URLs, then paper-trade the strategy and watch its bars.
struct DemoFlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flow", abstract: "Drive a running service through the whole workflow over HTTP and WebSocket.")

    @Option(help: "The service's base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "The CSV to upload.") var data = "data/synthetic.csv"
    @Option(help: "Username to register (default: demo-<random>).") var username: String?
    @Option(help: "Password of the new user.") var password = "quantforge-demo-1"
    @Option(help: "Training epochs.") var epochs = 3
    @Option(help: "Seconds to wait for each step.") var timeout = 600.0

    /// Text messages from the WebSocket, buffered as they arrive.
    final class Inbox: Sendable {
        let messages = Mutex<[String]>([])

        func add(_ text: String) { messages.withLock { $0.append(text) } }

        /// The next message (as JSON) that `matches`, skipping others; nil after `seconds`.
        func next(within seconds: Double, where matches: ([String: Any]) -> Bool) async throws -> [String: Any]? {
            let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
            while ContinuousClock.now < deadline {
                let taken = messages.withLock { list -> [String] in defer { list.removeAll() }; return list }
                var found: [String: Any]?
                var rest: [String] = []
                for text in taken {
                    let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
                    if found == nil && matches(object) { found = object } else if found != nil { rest.append(text) }
                }
                if !rest.isEmpty { messages.withLock { $0.insert(contentsOf: rest, at: 0) } }
                if let found { return found }
                try await Task.sleep(for: .milliseconds(50))
            }
            return nil
        }
    }

    func run() async throws {
        let api = APIClient(base: url)
        let name = username ?? "demo-\(UUID().uuidString.prefix(6).lowercased())"
        print("1. service at \(url): \(try await api.call("GET", "/healthz")["status"] ?? "up")")

        _ = try await api.call("POST", "/api/v1/auth/register", json: ["username": name, "email": "\(name)@example.com", "password": password])
        let login = try await api.call("POST", "/api/v1/auth/login", json: ["username": name, "password": password])
        guard let token = login["access_token"] as? String else { throw ValidationError("login returned no access token") }
        api.token = token
        print("2. registered and logged in as \(name)")

        let upload = try await api.upload(file: data, fields: [("name", "demo bars"), ("description", "uploaded by qf demo")])
        guard let datasetID = upload["id"] as? Int else { throw ValidationError("upload returned no id") }
        let dataset = try await poll("dataset \(datasetID)", path: "/api/v1/data/datasets/\(datasetID)", api: api) { ["ready", "error"].contains($0["status"] as? String ?? "") }
        guard dataset["status"] as? String == "ready" else { throw ValidationError("dataset \(datasetID): \(dataset["error_message"] ?? "error")") }
        print("3. uploaded \(data) as dataset \(datasetID): \(dataset["row_count"] ?? "?") rows × \(dataset["column_count"] ?? "?") columns, ingested to HDF5")

        let strategy = try await api.call("POST", "/api/v1/strategies", json: [
            "name": "SMA crossover", "strategy_type": "algorithmic_trading", "description": "created by qf demo",
            "config": ["rule": "sma_cross", "dataset_id": datasetID, "replay": ["bars": 60, "interval_ms": 50]], "parameters": ["fast": 10, "slow": 30],
        ])
        guard let strategyID = strategy["id"] as? Int else { throw ValidationError("strategy creation returned no id") }
        print("4. strategy \(strategyID): sma_cross fast=10 slow=30 on dataset \(datasetID)")

        let base = url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
        var logger = Logger(label: "qf.demo")
        logger.logLevel = .error
        let inbox = Inbox()
        let flow = self
        try await WebSocketClient.connect(url: "\(base)/api/v1/ws?token=\(token)", logger: logger) { inbound, outbound, _ in
            let reader = Task {
                for try await message in inbound.messages(maxSize: 1 << 20) { if case .text(let text) = message { inbox.add(text) } }
            }
            defer { reader.cancel() }
            try await flow.session(api: api, inbox: inbox, send: { try await outbound.write(.text($0)) }, datasetID: datasetID, strategyID: strategyID)
            try await outbound.close(.normalClosure, reason: "done")
        }
        print("\nDone. Open a report link in a browser while the token is valid (an hour), or fetch it with Authorization: Bearer.")
    }

    /// The steps that watch the WebSocket.
    func session(api: APIClient, inbox: Inbox, send: (String) async throws -> Void, datasetID: Int, strategyID: Int) async throws {
        let job = try await api.call("POST", "/api/v1/training/jobs", json: [
            "name": "demo dqn", "strategy_id": strategyID, "dataset_id": datasetID,
            "config": ["task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:demo", "agent_name": "algorithmic_trading:dqn",
                       "optimizer_name": "adam", "loss_name": "mse"],
            "hyperparameters": ["epochs": epochs, "batch_size": 32, "learning_rate": 0.001, "seed": 7],
        ])
        guard let jobID = job["id"] as? Int else { throw ValidationError("job submission returned no id") }
        try await send(#"{"type": "subscribe", "channel": "training_job", "job_id": \#(jobID)}"#)
        _ = try await inbox.next(within: 10) { $0["type"] as? String == "subscribed" }
        print("5. training job \(jobID) queued (task \(job["celery_task_id"] ?? "?")); progress over the WebSocket:")
        var finalStatus = ""
        let deadline = ContinuousClock.now + .seconds(Int64(timeout))
        while finalStatus.isEmpty && ContinuousClock.now < deadline {
            guard let message = try await inbox.next(within: 2, where: { ($0["data"] as? [String: Any])?["job_id"] as? Int == jobID }) else {
                // A notification can only be missed before the subscription: the job itself says.
                // (On a busy machine the notification can also trail the job by seconds: the status is
                // printed either way.)
                let status = try await api.call("GET", "/api/v1/training/jobs/\(jobID)")["status"] as? String ?? ""
                if ["completed", "failed", "cancelled"].contains(status) {
                    finalStatus = status
                    print("   status: \(status)")
                }
                continue
            }
            let data = message["data"] as? [String: Any] ?? [:]
            switch message["type"] as? String {
            case "training_progress":
                let metrics = data["metrics"] as? [String: Any] ?? [:]
                print(String(format: "   epoch %d/%d  %3.0f%%  mean reward %@  valid return %@  %@ steps/s", data["current_epoch"] as? Int ?? 0, data["total_epochs"] as? Int ?? 0,
                             data["progress"] as? Double ?? 0, Self.format(metrics["mean_reward"]), Self.format(metrics["valid_total_return"]),
                             Self.format(metrics["steps_per_second"], digits: 0)))
            case "status":
                let status = data["status"] as? String ?? ""
                print("   status: \(status)")
                if ["completed", "failed", "cancelled"].contains(status) { finalStatus = status }
            default: break
            }
        }
        let trained = try await api.call("GET", "/api/v1/training/jobs/\(jobID)")
        guard finalStatus == "completed" else { throw ValidationError("training job \(jobID) \(finalStatus.isEmpty ? "did not finish in time" : finalStatus): \(trained["error_message"] ?? "")") }
        let test = ((trained["metrics"] as? [String: Any])?["test"] as? [String: Any])?["backtest"] as? [String: Any] ?? [:]
        print("   completed in \(trained["actual_duration"] ?? "?") s; test split: total return \(Self.format((test["total_return"] as? Double).map { $0 * 100 }))%, Sharpe \(Self.format(test["sharpe"]))")

        let grid = try await api.call("POST", "/api/v1/evaluations", json: [
            "name": "demo grid", "evaluation_type": "backtest", "strategy_id": strategyID,
            "config": ["grid": ["fast": "5:30:5", "slow": "20:100:10"], "shard_size": 12, "top": 5, "commission": 0.001, "initial_capital": 100_000],
        ])
        let model = try await api.call("POST", "/api/v1/evaluations", json: [
            "name": "demo model", "evaluation_type": "backtest", "strategy_id": strategyID,
            "config": ["training_job_id": jobID, "fill": "close", "allow_short": true, "initial_capital": 100_000],
        ])
        print("6. evaluations queued: \(grid["id"] ?? "?") (grid in \(grid["shards_total"] ?? "?") shards), \(model["id"] ?? "?") (the trained model)")
        for created in [grid, model] {
            guard let id = created["id"] as? Int else { continue }
            let evaluation = try await poll("evaluation \(id)", path: "/api/v1/evaluations/\(id)", api: api) { ["completed", "failed"].contains($0["status"] as? String ?? "") }
            guard evaluation["status"] as? String == "completed" else { throw ValidationError("evaluation \(id) failed: \(evaluation["error_message"] ?? "")") }
            let results = evaluation["results"] as? [String: Any] ?? [:]
            print("   \(id) \(evaluation["name"] ?? ""): \(results["label"] ?? "")")
            print("      total return \(Self.format(results["total_return"]))%, Sharpe \(Self.format(results["sharpe_ratio"])), max drawdown \(Self.format(results["max_drawdown"]))%, "
                  + "win rate \(Self.format((results["win_rate"] as? Double).map { $0 * 100 }, unit: "%")), trades \(results["total_trades"] ?? "?")")
            for row in (results["grid"] as? [String: Any])?["top"] as? [[String: Any]] ?? [] {
                let p = row["parameters"] as? [String: Any] ?? [:], m = row["metrics"] as? [String: Any] ?? [:]
                print("      #\(row["rank"] ?? "?") fast=\(Self.format(p["fast"], digits: 0)) slow=\(Self.format(p["slow"], digits: 0)): Sharpe \(Self.format(m["sharpe"]))")
            }
            print("      report: \(url)\(evaluation["report_url"] as? String ?? "")?token=\(api.token ?? "")")
        }

        try await send(#"{"type": "subscribe", "channel": "strategy_status", "strategy_id": \#(strategyID)}"#)
        _ = try await inbox.next(within: 10) { $0["type"] as? String == "subscribed" }
        _ = try await api.call("POST", "/api/v1/strategies/\(strategyID)/start")
        print("7. paper trading strategy \(strategyID) over the dataset's last 60 bars:")
        var bars = 0
        while let message = try await inbox.next(within: 30, where: { ($0["data"] as? [String: Any])?["strategy_id"] as? Int == strategyID }) {
            let data = message["data"] as? [String: Any] ?? [:]
            if message["type"] as? String == "paper_trade" {
                bars += 1
                let bar = data["bar"] as? Int ?? 0
                if bar % 10 == 0 || bar == data["bars"] as? Int {
                    print("   bar \(bar)/\(data["bars"] ?? "?") \(data["time"] ?? ""): close \(Self.format(data["close"])), position \(Self.format(data["position"], digits: 0)), "
                          + "equity \(Self.format(data["equity"])), return \(Self.format(data["total_return"]))%")
                }
            } else if message["type"] as? String == "status", let status = data["status"] as? String, status != "active" {
                print("   status: \(status)\(data["reason"].map { " (\($0))" } ?? "")")
                break
            }
        }
        let final = try await api.call("GET", "/api/v1/strategies/\(strategyID)")
        let performance = final["performance"] as? [String: Any] ?? [:]
        print("   \(bars) bars replayed; strategy performance: total return \(Self.format(performance["total_return"]))%, Sharpe \(Self.format(performance["sharpe_ratio"]))")
    }

    func poll(_ what: String, path: String, api: APIClient, until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(Int64(timeout))
        while ContinuousClock.now < deadline {
            let object = try await api.call("GET", path)
            if done(object) { return object }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ValidationError("\(what) did not finish within \(Int(timeout)) s")
    }

    static func format(_ value: Any?, digits: Int = 2, unit: String = "") -> String {
        guard let number = value as? Double ?? (value as? Int).map(Double.init), number.isFinite else { return "n/a" }
        return String(format: "%.\(digits)f", number) + unit
    }
}
