import Agents
import Expressions
import Foundation
import Ingest
import Testing

/// `config.features`: the algorithmic-trading observation built from the user's expressions
/// instead of TradeMaster's 16 columns (which stay the default, checked by the golden vectors).
@Suite struct FeatureExpressionTests {
    static let features = ["zscore(close, 20)", "pct_change(close, 1)", "rsi(close, 14) / 100"]

    @Test func featuresAreTheExpressionsAfterTheirWarmUp() throws {
        try TradeMasterFiles.ingested("algorithmic_trading/BTC/valid.csv") { file in
            let data = try AlgorithmicTradingData(file: file, symbol: nil, features: Self.features)
            let symbol = file.symbols[0]
            var columns: [String: [Double]] = [:]
            for name in try file.columns(of: symbol) { columns[name] = try file.column(name, of: symbol) }
            let close = columns["close"]!
            // zscore needs 20 bars (19 before), rsi 14 changes (bar 14): the first day is 19.
            #expect(data.days == close.count - 19 && data.close == Array(close[19...]))
            var graph = ExpressionGraph()
            let roots = try Self.features.map { try Compiler(columns: Array(columns.keys)).compile($0, expecting: .number, into: &graph) }
            let expected = Evaluator(graph: graph).evaluate(roots, on: Frame(symbol: symbol, columns: columns))
            for k in Self.features.indices { #expect(data.values[k] == Array(expected[k][19...]), "\(Self.features[k])") }
            let environment = AlgorithmicTradingEnvironment(data: data, configuration: .init())
            #expect(environment.observationCount == 3 * 5 + 2)
            #expect(data.priceColumns == 0, "features go in at the user's scale")
            #expect(throws: AgentsError.self) { try AlgorithmicTradingData(file: file, symbol: nil, features: ["zscore(clsoe, 20)"]) }
            #expect(TrainingJobTests.message { _ = try AlgorithmicTradingData(file: file, symbol: nil, features: ["close", "shift(close, -1)"]) }
                .contains("config.features[1]"))
        }
    }

    @Test func aJobWithFeaturesTrainsTestsAndBacktests() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-features-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let btc = "\(TradeMasterFiles.directory)/algorithmic_trading/BTC"
        let names = #""config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:BTC", "agent_name": "algorithmic_trading:dqn", "features": ["zscore(close, 20)", "pct_change(close, 1)", "rsi(close, 14) / 100"]}"#
        var job = try TrainingJobTests.job(#"{\#(names), "hyperparameters": {"epochs": 2, "seed": 3}}"#)
        job.data = .init(train: "\(btc)/train.csv", valid: "\(btc)/valid.csv", test: "\(btc)/test.csv")
        let run = try TrainingRun(job: job, directory: dir)
        var epochs: [EpochMetrics] = []
        #expect(try run.run(onEpoch: { epochs.append($0) }) == .completed)
        #expect(epochs.count == 2 && epochs.allSatisfy { $0.loss.map(\.isFinite) ?? false }, "\(epochs)")
        #expect(run.stepsPerEpoch == 889 - 19, "the features' warm-up days are not traded")
        let report = try run.test()
        #expect(report.backtest.startTime < report.backtest.endTime)
        // The directory alone rebuilds the agent with its features.
        let again = try TrainingRun(directory: dir)
        #expect(try again.resumeIfPossible())
        #expect(try TrainingJobTests.encoded(again.test()) == TrainingJobTests.encoded(report))

        let portfolio = #""config": {"task_name": "portfolio_management", "dataset_name": "portfolio_management:dj30", "agent_name": "portfolio_management:ppo", "features": ["close"]}"#
        #expect(TrainingJobTests.message { _ = try AgentRegistry.resolve(try TrainingJobTests.job(#"{\#(portfolio), "hyperparameters": {"epochs": 1}}"#)) }.contains("config.features"))
    }
}
