import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import OpenAPIRuntime
import QuantForgeClient
import Synchronization

/// `qf demo` (`qf demo flow`): a running service (`make run`) driven through what a user does,
/// over HTTP and the WebSocket: register and log in, upload the sample CSV and wait for its
/// ingestion, create a rule strategy, submit a DQN training job and watch its epochs arrive on
/// the WebSocket, evaluate (a parameter grid split into shards, and the trained model on its test
/// split), print results and report URLs, then paper-trade the strategy and watch its bars. Every
/// REST call goes through the client generated from the API document (`QuantForgeClient`).
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
        do {
            try await walk()
        } catch let error as ClientError {
            // The server's own explanation (an `APIFailure`) rather than the client's wrapping.
            throw error.underlyingError
        }
    }

    func walk() async throws {
        guard let serverURL = URL(string: url) else { throw ValidationError("--url: not a URL: \(url)") }
        let token = BearerToken()
        let api = Client.quantForge(serverURL, token: token, throwingRefusals: true)
        let name = username ?? "demo-\(UUID().uuidString.prefix(6).lowercased())"
        print("1. service at \(url): \(try await api.getHealth().ok.body.json.data.status.rawValue)")

        _ = try await api.register(body: .json(.init(email: "\(name)@example.com", password: password, username: name))).created
        let login = try await api.login(body: .json(.init(password: password, username: name))).ok.body.json.data
        token.value = login.accessToken
        print("2. registered and logged in as \(name)")

        let csv = try Data(contentsOf: URL(fileURLWithPath: data))
        let upload = try await api.uploadDataset(body: .multipartForm([
            .file(.init(payload: .init(body: HTTPBody(csv)), filename: (data as NSString).lastPathComponent)),
            .name(.init(payload: .init(body: HTTPBody("demo bars")))),
            .description(.init(payload: .init(body: HTTPBody("uploaded by qf demo")))),
        ])).created.body.json.data
        let datasetID = upload.id
        let dataset = try await poll("dataset \(datasetID)") {
            let dataset = try await api.getDataset(path: .init(id: datasetID)).ok.body.json.data
            return [.ready, .error].contains(dataset.status) ? dataset : nil
        }
        guard dataset.status == .ready else { throw CommandFailure("dataset \(datasetID): \(dataset.errorMessage ?? "error")") }
        print("3. uploaded \(data) as dataset \(datasetID): \(dataset.rowCount.map(String.init) ?? "?") rows × \(dataset.columnCount.map(String.init) ?? "?") columns, ingested to HDF5")

        let strategy = try await api.createStrategy(body: .json(.init(
            config: try Self.object(["rule": "sma_cross", "dataset_id": datasetID, "replay": ["bars": 60, "interval_ms": 50]]),
            description: "created by qf demo", name: "SMA crossover", parameters: try Self.object(["fast": 10, "slow": 30]),
            strategyType: .algorithmicTrading))).created.body.json.data
        let strategyID = strategy.id
        print("4. strategy \(strategyID): sma_cross fast=10 slow=30 on dataset \(datasetID)")

        let base = url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
        var logger = Logger(label: "qf.demo")
        logger.logLevel = .error
        let inbox = Inbox()
        let flow = self
        try await WebSocketClient.connect(url: "\(base)/api/v1/ws?token=\(login.accessToken)", logger: logger) { inbound, outbound, _ in
            let reader = Task {
                for try await message in inbound.messages(maxSize: 1 << 20) { if case .text(let text) = message { inbox.add(text) } }
            }
            defer { reader.cancel() }
            try await flow.session(api: api, token: login.accessToken, inbox: inbox, send: { try await outbound.write(.text($0)) },
                                   datasetID: datasetID, strategyID: strategyID)
            try await outbound.close(.normalClosure, reason: "done")
        }
        print("\nDone. Open a report link in a browser while the token is valid (an hour), or fetch it with Authorization: Bearer.")
    }

    /// The steps that watch the WebSocket.
    func session(api: Client, token: String, inbox: Inbox, send: (String) async throws -> Void, datasetID: Int, strategyID: Int) async throws {
        let job = try await api.createTrainingJob(body: .json(.init(
            config: try Self.object(["task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:demo", "agent_name": "algorithmic_trading:dqn",
                                     "optimizer_name": "adam", "loss_name": "mse"]),
            datasetId: datasetID, hyperparameters: try Self.object(["epochs": epochs, "batch_size": 32, "learning_rate": 0.001, "seed": 7]),
            name: "demo dqn", strategyId: strategyID))).created.body.json.data
        let jobID = job.id
        try await send(#"{"type": "subscribe", "channel": "training_job", "job_id": \#(jobID)}"#)
        _ = try await inbox.next(within: 10) { $0["type"] as? String == "subscribed" }
        print("5. training job \(jobID) queued (task \(job.celeryTaskId ?? "?")); progress over the WebSocket:")
        var finalStatus = ""
        let deadline = ContinuousClock.now + .seconds(Int64(timeout))
        while finalStatus.isEmpty && ContinuousClock.now < deadline {
            guard let message = try await inbox.next(within: 2, where: { ($0["data"] as? [String: Any])?["job_id"] as? Int == jobID }) else {
                // A notification can only be missed before the subscription: the job itself says.
                // (On a busy machine the notification can also trail the job by seconds: the status is
                // printed either way.)
                let status = try await api.getTrainingJob(path: .init(id: jobID)).ok.body.json.data.status.rawValue
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
        let trained = try await api.getTrainingJob(path: .init(id: jobID)).ok.body.json.data
        guard finalStatus == "completed" else { throw CommandFailure("training job \(jobID) \(finalStatus.isEmpty ? "did not finish in time" : finalStatus): \(trained.errorMessage ?? "")") }
        let test = (Self.plain(trained.metrics)["test"] as? [String: Any])?["backtest"] as? [String: Any] ?? [:]
        print("   completed in \(trained.actualDuration.map(String.init) ?? "?") s; test split: total return \(Self.format(Self.number(test["total_return"]).map { $0 * 100 }))%, Sharpe \(Self.format(test["sharpe"]))")

        let grid = try await api.createEvaluation(body: .json(.init(
            config: try Self.object(["grid": ["fast": "5:30:5", "slow": "20:100:10"], "shard_size": 12, "top": 5, "commission": 0.001, "initial_capital": 100_000]),
            evaluationType: .backtest, name: "demo grid", strategyId: strategyID))).created.body.json.data
        let model = try await api.createEvaluation(body: .json(.init(
            config: try Self.object(["training_job_id": jobID, "fill": "close", "allow_short": true, "initial_capital": 100_000]),
            evaluationType: .backtest, name: "demo model", strategyId: strategyID))).created.body.json.data
        print("6. evaluations queued: \(grid.id) (grid in \(grid.shardsTotal) shards), \(model.id) (the trained model)")
        for id in [grid.id, model.id] {
            let evaluation = try await poll("evaluation \(id)") {
                let evaluation = try await api.getEvaluation(path: .init(id: id)).ok.body.json.data
                return [.completed, .failed].contains(evaluation.status) ? evaluation : nil
            }
            guard evaluation.status == .completed else { throw CommandFailure("evaluation \(id) failed: \(evaluation.errorMessage ?? "")") }
            let results = Self.plain(evaluation.results)
            print("   \(id) \(evaluation.name): \(results["label"] ?? "")")
            print("      total return \(Self.format(results["total_return"]))%, Sharpe \(Self.format(results["sharpe_ratio"])), max drawdown \(Self.format(results["max_drawdown"]))%, "
                  + "win rate \(Self.format(Self.number(results["win_rate"]).map { $0 * 100 }, unit: "%")), trades \(results["total_trades"].map { "\($0)" } ?? "?")")
            for row in (results["grid"] as? [String: Any])?["top"] as? [[String: Any]] ?? [] {
                let p = row["parameters"] as? [String: Any] ?? [:], m = row["metrics"] as? [String: Any] ?? [:]
                print("      #\(row["rank"] ?? "?") fast=\(Self.format(p["fast"], digits: 0)) slow=\(Self.format(p["slow"], digits: 0)): Sharpe \(Self.format(m["sharpe"]))")
            }
            print("      report: \(url)\(evaluation.reportUrl ?? "")?token=\(token)")
        }

        try await send(#"{"type": "subscribe", "channel": "strategy_status", "strategy_id": \#(strategyID)}"#)
        _ = try await inbox.next(within: 10) { $0["type"] as? String == "subscribed" }
        _ = try await api.startStrategy(path: .init(id: strategyID)).ok
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
        let performance = try await api.getStrategy(path: .init(id: strategyID)).ok.body.json.data.performance
        print("   \(bars) bars replayed; strategy performance: total return \(Self.format(performance.totalReturn))%, Sharpe \(Self.format(performance.sharpeRatio))")
    }

    /// Asks `check` every quarter second until it returns a value.
    func poll<T>(_ what: String, _ check: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(Int64(timeout))
        while ContinuousClock.now < deadline {
            if let done = try await check() { return done }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw CommandFailure("\(what) did not finish within \(Int(timeout)) s")
    }

    /// A free-form JSON object (a config, hyperparameters) for a request body.
    static func object(_ fields: [String: any Sendable]) throws -> OpenAPIObjectContainer {
        try OpenAPIObjectContainer(unvalidatedValue: fields)
    }

    /// A free-form JSON object from a response, as Foundation values.
    static func plain(_ container: OpenAPIObjectContainer) -> [String: Any] {
        plain(container.value) as? [String: Any] ?? [:]
    }

    /// Nested containers' values with their optionals unwrapped (nulls dropped), so that they
    /// print and cast as plain JSON values.
    static func plain(_ value: (any Sendable)?) -> Any? {
        switch value {
        case let object as [String: (any Sendable)?]: object.compactMapValues { plain($0) }
        case let array as [(any Sendable)?]: array.compactMap { plain($0) }
        case let some?: some
        case nil: nil
        }
    }

    /// A JSON number, integer or not.
    static func number(_ value: Any?) -> Double? {
        value as? Double ?? (value as? Int).map(Double.init)
    }

    static func format(_ value: Any?, digits: Int = 2, unit: String = "") -> String {
        guard let number = number(value), number.isFinite else { return "n/a" }
        return String(format: "%.\(digits)f", number) + unit
    }
}
