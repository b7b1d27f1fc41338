import Agents
import Foundation
import Testing

/// The PD-style order-execution environment: TWAP's shortfall is zero, selling at once is
/// measured against TWAP by hand, and the PD reward on a crafted series.
@Suite struct OrderExecutionTests {
    /// `days` bars whose closes are `close`, the other columns zero.
    static func data(_ close: [Double]) -> AlgorithmicTradingData {
        let values = AlgorithmicTradingData.columns.indices.map { $0 < 5 ? close : [Double](repeating: 0, count: close.count) }
        return AlgorithmicTradingData(values: values, timestamps: close.indices.map { Int64($0) * 86_400_000_000_000 })
    }

    static func episode(_ env: inout OrderExecutionEnvironment, policy: (OrderExecutionEnvironment) -> Int) -> [Double] {
        var o = [Float](repeating: 0, count: env.observationCount)
        var rewards: [Double] = []
        o.withUnsafeMutableBufferPointer { buffer in
            env.reset(seed: 0, observation: buffer)
            while true {
                let r = env.step(policy(env), observation: buffer)
                if r.done { break }
                rewards.append(r.reward)
            }
        }
        return rewards
    }

    @Test func twapHasNoShortfallAndTheAccountStaysFlat() throws {
        let closes = (0..<40).map { 100 + 10 * sin(Double($0)) }
        var c = OrderExecutionEnvironment.Configuration()
        c.window = 3
        c.horizon = 2
        c.actionLevels = 3
        var env = OrderExecutionEnvironment(data: Self.data(closes), configuration: c)
        // Half on the first day, the rest on the second: exactly TWAP's slices.
        let rewards = Self.episode(&env) { _ in 1 }
        #expect(env.orders.count == (40 - 3 + 1) / 2 && rewards.count == env.orders.count * 2)
        #expect(env.orders.allSatisfy { abs($0.shortfallBps) < 1e-9 })
        #expect(abs(env.portfolioValue - c.initialCash) < 1e-9)
    }

    @Test func sellingEverythingAtOnceIsMeasuredAgainstTwapByHand() throws {
        let closes: [Double] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
        var c = OrderExecutionEnvironment.Configuration()
        c.window = 2
        c.horizon = 4
        c.actionLevels = 2
        var env = OrderExecutionEnvironment(data: Self.data(closes), configuration: c)
        let rewards = Self.episode(&env) { _ in 1 }
        // Orders trade at closes[1...4], [5...8], [9...11 + forced]: (12 − 2 + 1) / 4 = 2 orders.
        #expect(env.orders.count == 2)
        let first = env.orders[0]
        #expect(first.proceeds == 11 && first.twapProceeds == (11 + 12 + 13 + 14) / 4)
        #expect(abs(first.shortfallBps - (12.5 - 11) / 12.5 * 10_000) < 1e-9)
        // PD reward: the whole order at p = 11 against the previous close 10; nothing after.
        #expect(abs(rewards[0] - (11.0 / 10 - 1)) < 1e-12 && rewards[1...3].allSatisfy { $0 == 0 })
        // The account lost what selling early gave up against TWAP in a rising market.
        let lost = (first.twapProceeds - first.proceeds) + (env.orders[1].twapProceeds - env.orders[1].proceeds)
        #expect(abs(env.portfolioValue - (c.initialCash - lost)) < 1e-9)
    }

    @Test func theRewardComparesWithTheOrdersRunningAverage() throws {
        let closes: [Double] = [10, 10, 12, 9, 15, 16]
        var c = OrderExecutionEnvironment.Configuration()
        c.window = 2
        c.horizon = 4
        c.actionLevels = 5
        var env = OrderExecutionEnvironment(data: Self.data(closes), configuration: c)
        // A quarter of what remains each day (action 1 of 5 levels), the rest on the last day.
        let rewards = Self.episode(&env) { _ in 1 }
        // Day prices 10, 12, 9, 15 after a close of 10; shares of the order 1/4, 3/16, 9/64, the rest 27/64.
        let expected = [0.25 * (10.0 / 10 - 1), 3.0 / 16 * (12.0 / 10 - 1), 9.0 / 64 * (9.0 / 11 - 1), 27.0 / 64 * (15.0 / (31.0 / 3) - 1)]
        for (got, want) in zip(rewards, expected) { #expect(abs(got - want) < 1e-12, "\(got) vs \(want)") }
    }

    @Test func theRealPDBitcoinSplitsLoad() throws {
        let data = try TradeMasterFiles.ingested("order_execution/PD_BTC/valid.csv") { try AlgorithmicTradingData(file: $0) }
        var env = OrderExecutionEnvironment(data: data)
        _ = Self.episode(&env) { _ in 0 }
        // Holding back until the forced last day: 14 orders of 20 days in 299 − 10 + 1 days.
        #expect(env.orders.count == 14 && env.meanShortfallBps.isFinite)
    }
}
