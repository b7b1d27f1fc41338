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

        // Not bars: the order-book snapshots and the HFT slices take no expressions.
        for (dataset, agent) in [("order_execution:BTC", "order_execution:dqn"), ("high_frequency_trading:small_BTC", "high_frequency_trading:dqn")] {
            let task = String(dataset.prefix { $0 != ":" })
            let names = #""config": {"task_name": "\#(task)", "dataset_name": "\#(dataset)", "agent_name": "\#(agent)", "features": ["close"]}"#
            #expect(TrainingJobTests.message { _ = try AgentRegistry.resolve(try TrainingJobTests.job(#"{\#(names), "hyperparameters": {"epochs": 1}}"#)) }
                .hasPrefix("config.features: feature expressions read bar columns"))
        }
    }

    /// Each DJ30 asset's observation from expressions, cross-sectional ones comparing the assets on
    /// each day: the 5-day return against a loop over the aligned closes, and `cs_rank` ordering the
    /// assets as their 20-day returns do.
    @Test func portfolioFeaturesArePerAssetAndCrossSectional() throws {
        try TradeMasterFiles.ingested("portfolio_management/dj30/valid.csv") { file in
            let data = try PortfolioData(file: file, features: ["pct_change(close, 5)", "cs_rank(pct_change(close, 20))"])
            let plain = try PortfolioData(file: file)
            #expect(data.symbols == plain.symbols && data.assets == 29)
            // pct_change(close, 20) needs 21 days: the first kept day is day 20 of the aligned panel.
            #expect(data.days == plain.days - 20 && data.timestamps == Array(plain.timestamps[20...]))
            for asset in 0..<data.assets {
                for day in 0..<data.days {
                    let t = day + 20
                    let expected = plain.close[asset][t] / plain.close[asset][t - 5] - 1
                    #expect(abs(data.features[0][asset][day] - expected) <= 1e-12 * max(1, abs(expected)), "asset \(asset) day \(day)")
                }
            }
            for day in 0..<data.days {
                let t = day + 20
                let returns = (0..<data.assets).map { plain.close[$0][t] / plain.close[$0][t - 20] - 1 }
                let ranks = (0..<data.assets).map { data.features[1][$0][day] }
                #expect(ranks.allSatisfy { $0 > 0 && $0 <= 1 })
                for a in 0..<data.assets {
                    for b in 0..<data.assets where returns[a] < returns[b] { #expect(ranks[a] < ranks[b], "day \(day): \(a) below \(b)") }
                }
            }
            let environment = PortfolioManagementEnvironment(data: data, flavour: .generic, fee: 0.001, initialValue: 100_000)
            #expect(environment.observationCount == 29 * 2)
        }
    }

    /// Jobs with features on the portfolio and daily order-execution tasks train, test and take the
    /// features' width as their observation.
    @Test func portfolioAndOrderExecutionJobsTrainOnFeatures() throws {
        let portfolio = #""config": {"task_name": "portfolio_management", "dataset_name": "portfolio_management:dj30", "agent_name": "portfolio_management:a2c", "features": ["pct_change(close, 5)", "cs_zscore(pct_change(close, 20))"]}"#
        let pm = try TrainingRun(job: try TrainingJobTests.job(#"{\#(portfolio), "hyperparameters": {"epochs": 1, "seed": 2}}"#), directory: nil)
        #expect(try pm.run() == .completed)
        #expect(pm.stepsPerEpoch < 251, "the warm-up days are not traded")
        #expect(try pm.test().episode.totalReturn.isFinite)

        let execution = #""config": {"task_name": "order_execution", "dataset_name": "order_execution:PD_BTC", "agent_name": "order_execution:dqn", "features": ["zscore(close, 10)", "pct_change(close, 1)"]}"#
        let oe = try TrainingRun(job: try TrainingJobTests.job(#"{\#(execution), "hyperparameters": {"epochs": 1, "seed": 2}}"#), directory: nil)
        #expect(try oe.run() == .completed)
        #expect(try oe.test().extras["orders"] ?? 0 > 0)
    }
}
