import Agents
import Backtest
import Foundation
import Ingest
import Testing

/// Job configs: parsing with unknown keys rejected, name resolution with errors that list the
/// known names, every shipped config resolving, and a whole run from config to Backtest report.
@Suite struct TrainingJobTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    static func job(_ json: String) throws -> TrainingJobConfiguration {
        try TrainingJobConfiguration.decode(json: Data(json.utf8), source: "job.json")
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    static let names = #""config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:BTC", "agent_name": "algorithmic_trading:dqn", "optimizer_name": "adam", "loss_name": "mse"}"#

    static func encoded(_ r: TestReport) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try e.encode(r), as: UTF8.self)
    }

    @Test func everyShippedConfigResolves() throws {
        let dir = "\(Self.repository)/configs"
        let files = FileManager.default.enumerator(atPath: dir)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }
        #expect(files.count >= 9)
        for file in files {
            let job = try TrainingJobConfiguration.load(path: "\(dir)/\(file)")
            let r = try AgentRegistry.resolve(job)
            #expect(job.config.agentName == "\(r.task):\(r.agent)", "\(file)")
        }
    }

    @Test func unknownKeysAreRejectedWithTheirPath() {
        let typo = Self.message { _ = try Self.job(#"{\#(Self.names), "hyperparameters": {"learning_rat": 0.1}}"#) }
        #expect(typo.contains("job.json.hyperparameters") && typo.contains("learning_rat") && typo.contains("learning_rate"), "\(typo)")
        let top = Self.message { _ = try Self.job(#"{\#(Self.names), "hyperparams": {}}"#) }
        #expect(top.contains("hyperparams") && top.contains("known: config, data, hyperparameters, name"), "\(top)")
        let type = Self.message { _ = try Self.job(#"{\#(Self.names), "hyperparameters": {"epochs": "ten"}}"#) }
        #expect(type.contains("hyperparameters.epochs"), "\(type)")
        let missing = Self.message { _ = try Self.job(#"{"config": {"task_name": "algorithmic_trading"}}"#) }
        #expect(missing.contains("config.dataset_name: required"), "\(missing)")
    }

    @Test func unknownNamesListTheKnownOnes() throws {
        func resolve(task: String = "algorithmic_trading", agent: String = "algorithmic_trading:dqn", optimizer: String = "adam", loss: String = "mse") -> String {
            Self.message {
                _ = try AgentRegistry.resolve(TrainingJobConfiguration(config: .init(taskName: task, datasetName: "\(task):BTC", agentName: agent,
                                                                                     optimizerName: optimizer, lossName: loss)))
            }
        }
        #expect(resolve(task: "market_making").contains("known: algorithmic_trading, portfolio_management, order_execution, high_frequency_trading, synthetic"))
        // Portfolio weights are continuous: the value-based agents do not apply.
        let continuous = resolve(task: "portfolio_management", agent: "portfolio_management:dqn")
        #expect(continuous.contains("known: portfolio_management:ppo, portfolio_management:a2c, portfolio_management:reinforce"), "\(continuous)")
        let agent = resolve(agent: "algorithmic_trading:sac")
        #expect(agent.contains("config.agent_name") && agent.contains("algorithmic_trading:ppo") && agent.contains("algorithmic_trading:ddqn"), "\(agent)")
        #expect(resolve(optimizer: "lion").contains("known: sgd, adam, adamw, rmsprop"))
        #expect(resolve(loss: "l1").contains("known: mse, huber"))
        #expect(resolve() == "no error")
    }

    @Test func namesAndHyperparametersReachTheAgent() throws {
        var job = try Self.job(#"{\#(Self.names), "hyperparameters": {"learning_rate": 0.01, "batch_size": 16, "epochs": 3, "gamma": 0.5, "dueling": true, "fee": 0.002}}"#)
        job.config.agentName = "algorithmic_trading:ddqn"
        job.config.optimizerName = "rmsprop"
        job.config.lossName = "huber"
        let r = try AgentRegistry.resolve(job)
        guard case .dqn(let c) = r.algorithm else { Issue.record("not a DQN"); return }
        #expect(c.learningRate == 0.01 && c.batchSize == 16 && c.gamma == 0.5 && c.doubleDQN && c.dueling && c.optimizer == .rmsprop && c.loss == .huber)
        #expect(c.hiddenSizes == [64, 32] && c.trainFrequency == 128, "TradeMaster's preset for the rest")
        #expect(r.trainer.epochs == 3 && r.environment.fee == 0.002 && r.data.test!.hasSuffix("BTC/test.csv"))
        let bad = Self.message { _ = try AgentRegistry.resolve(try Self.job(#"{\#(Self.names), "hyperparameters": {"gamma": 1.5}}"#)) }
        #expect(bad.contains("hyperparameters.gamma"), "\(bad)")
    }

    @Test func aJobTrainsTestsAndEvaluatesFromItsDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-job-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let btc = "\(TradeMasterFiles.directory)/algorithmic_trading/BTC"
        var job = try Self.job(#"{\#(Self.names), "hyperparameters": {"epochs": 2, "seed": 3}}"#)
        job.data = .init(train: "\(btc)/train.csv", valid: "\(btc)/valid.csv", test: "\(btc)/test.csv")
        let run = try TrainingRun(job: job, directory: dir)
        var epochs: [EpochMetrics] = []
        #expect(try run.run(onEpoch: { epochs.append($0) }) == .completed)
        #expect(epochs.count == 2 && run.stepsPerEpoch == 889 && epochs.allSatisfy { $0.loss != nil && $0.validTotalReturn != nil })
        let report = try run.test()
        #expect(report.epoch == run.progress.bestEpoch && report.backtest.startTime < report.backtest.endTime)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/test.json") && FileManager.default.fileExists(atPath: "\(dir)/job.json"))

        // `qf evaluate`: the directory alone rebuilds the agent; the same data gives the same report.
        let again = try TrainingRun(directory: dir)
        #expect(try again.resumeIfPossible() && again.progress.epochsDone == 2)
        let retest = try again.test()
        #expect(try Self.encoded(retest) == Self.encoded(report), "NaN-safe comparison through JSON")
        let onValid = try again.test(dataPath: "\(btc)/valid.csv")
        #expect(onValid.source.hasSuffix("valid.csv") && onValid.episode != report.episode)
    }

    @Test func thePolicyStrategyBacktestsTheEnvironmentsPositions() throws {
        // Without fees the environment and Backtest account alike: the environment marks a step's
        // value at the next day's close, which is the backtest's equity on that day (a fill at
        // the close does not move equity when it costs nothing).
        let data = try TradeMasterFiles.ingested("algorithmic_trading/BTC/valid.csv") { try AlgorithmicTradingData(file: $0) }
        var c = AlgorithmicTradingEnvironment.Configuration()
        c.fee = 0
        let agent = DQNAgent(observationCount: 82, actionCount: 3, configuration: AgentRegistry.benchmarkDQN, seed: 4, replayCapacity: 10)
        let report = PolicyStrategy.backtest(agent: agent, data: data, environment: c)
        var env = AlgorithmicTradingEnvironment(data: data, configuration: c)
        _ = agent.run(&env)
        let traded = report.targets.indices.filter { !report.targets[$0].isNaN }
        #expect(traded.count == 189 && traded.first == 4)
        #expect(Set(traded.map { report.targets[$0] }).count > 1, "an untrained network still changes position")
        for (k, bar) in traded.enumerated() {
            #expect(abs(report.result.equity[bar + 1] - env.assets[k + 1]) < 1e-9 * env.assets[k + 1], "day \(bar)")
        }
    }
}
