import Backtest

/// A trained agent as a Backtest strategy ("policy"): the greedy policy walks the days of an
/// algorithmic-trading dataset, its actions become the units held after each day's close, and
/// those targets are run through Backtest's engine and metrics like any other strategy's. The
/// backtest charges its own commission (c·price·units, Backtest's convention) where the
/// environment charges TradeMaster's P/(1 − c) per unit bought, so the two equity curves differ
/// by the second-order fee terms.
public enum PolicyStrategy {
    /// Units the policy holds after each day's decision, one per day of `data`; NaN on days the
    /// environment does not trade (the first window and the last forward days).
    public static func targetUnits(agent: some TrainableAgent, data: AlgorithmicTradingData,
                                   environment configuration: AlgorithmicTradingEnvironment.Configuration) -> [Double] {
        var env = AlgorithmicTradingEnvironment(data: data, configuration: configuration)
        var targets = [Double](repeating: .nan, count: data.days)
        var observation = [Float](repeating: 0, count: env.observationCount)
        observation.withUnsafeMutableBufferPointer { obs in
            env.reset(seed: 0, observation: obs)
            while true {
                // The decision is taken on the window ending at day − 1 and fills at its close.
                let bar = env.day - 1
                if env.step(agent.greedyAction(obs.baseAddress!), observation: obs).done { break }
                targets[bar] = env.holding
            }
        }
        return targets
    }

    /// What a policy backtest returns.
    public struct Report: Sendable {
        public var targets: [Double]
        public var result: PortfolioResult
        public var metrics: PerformanceMetrics
        /// The position held at the end, if any.
        public var openTrade: TradeRecord?
    }

    /// Backtests the policy's targets: fills at the decision day's close, commission at the
    /// environment's fee, its initial cash, shorts allowed; metrics in `convention` with the
    /// close as the buy-and-hold benchmark.
    public static func backtest(agent: some TrainableAgent, data: AlgorithmicTradingData,
                                environment configuration: AlgorithmicTradingEnvironment.Configuration,
                                convention: MetricsConvention = .backtestingPy, annualization: Annualization = .inferred) -> Report {
        let settings = ExecutionSettings(fill: .close, commission: configuration.fee, initialCash: configuration.initialCash, allowShort: true)
        return backtest(agent: agent, data: data, environment: configuration, settings: settings, convention: convention, annualization: annualization)
    }

    /// The same with the backtest's own execution settings (`qf backtest --strategy policy`):
    /// the policy still decides with the environment's account (its cash and fee), and the
    /// targets it holds are executed as `settings` say — at the close or the next open, with
    /// their commission, fees, slippage and cash.
    public static func backtest(agent: some TrainableAgent, data: AlgorithmicTradingData,
                                environment configuration: AlgorithmicTradingEnvironment.Configuration, settings: ExecutionSettings,
                                convention: MetricsConvention = .backtestingPy, annualization: Annualization = .inferred) -> Report {
        let targets = targetUnits(agent: agent, data: data, environment: configuration)
        let close = data.close, open = data.open
        let result = PortfolioBacktest.run(open: open, close: close, timestamps: data.timestamps, targets: targets, kind: .units, settings: settings)
        let trades = result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
        // The position still held at the end counts for exposure and commissions, not as a trade
        // (Backtesting.py's rule, as for every other strategy).
        let book = result.finalState.books[0], last = data.days - 1
        let openTrade = book.units == 0 ? nil : TradeRecord(entryBar: book.entryBar, exitBar: last, entryTime: book.entryTime, exitTime: data.timestamps[last],
                                                            entryPrice: book.entryPrice, exitPrice: close[last], units: book.units, commission: book.entryFees)
        let metrics = PerformanceMetrics(equity: result.equity, timestamps: data.timestamps, trades: trades, convention: convention,
                                         annualization: annualization, benchmark: close, benchmarkStart: configuration.backwardDays,
                                         initialCash: settings.initialCash, openTrade: openTrade)
        return Report(targets: targets, result: result, metrics: metrics, openTrade: openTrade)
    }

    /// A trained portfolio policy as a multi-asset Backtest strategy: the greedy policy walks the
    /// panel, the weights it applies each day (after the environment's softmax) become that day's
    /// target weights, rebalanced at the close with the environment's fee as commission. Backtest
    /// charges the commission on the traded value of the assets, where TradeMaster's environment
    /// charges it on the whole weight change, cash included.
    public static func backtest(agent: some TrainableAgent, panel: PortfolioData, environment: PortfolioManagementEnvironment,
                                convention: MetricsConvention = .backtestingPy, annualization: Annualization = .inferred) -> PortfolioReport {
        var env = environment
        var targets = [[Double]?](repeating: nil, count: panel.days)
        var observation = [Float](repeating: 0, count: env.observationCount)
        var action = [Float](repeating: 0, count: env.actionCount)
        observation.withUnsafeMutableBufferPointer { obs in
            action.withUnsafeMutableBufferPointer { a in
                env.reset(seed: 0, observation: obs)
                while true {
                    let bar = env.day
                    agent.greedyContinuousAction(obs.baseAddress!, into: a)
                    if env.step(continuous: UnsafeBufferPointer(a), observation: obs).done { break }
                    targets[bar] = Array(env.appliedWeights.dropFirst())
                }
            }
        }
        let settings = ExecutionSettings(fill: .close, commission: environment.fee, initialCash: environment.initialValue)
        let result = PortfolioBacktest.run(open: panel.close, close: panel.close, timestamps: panel.timestamps, schedule: .everyBar,
                                           settings: settings, weights: { targets[$0] })
        let trades = result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
        let benchmark = panel.timestamps.indices.map { i in panel.close.reduce(0.0) { $0 + $1[i] / $1[0] } / Double(panel.assets) }
        let metrics = PerformanceMetrics(equity: result.equity, timestamps: panel.timestamps, trades: trades, convention: convention,
                                         annualization: annualization, benchmark: benchmark, initialCash: environment.initialValue)
        return PortfolioReport(weights: targets, result: result, metrics: metrics)
    }

    /// What a portfolio policy backtest returns: the target weights per day (nil: none decided).
    public struct PortfolioReport: Sendable {
        public var weights: [[Double]?]
        public var result: PortfolioResult
        public var metrics: PerformanceMetrics
    }
}
