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

    static func episode<V>(_ env: inout OrderExecutionEnvironment<V>, policy: (OrderExecutionEnvironment<V>) -> Int) -> [Double] {
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
        var c = OrderExecutionConfiguration()
        c.horizon = 2
        c.actionLevels = 3
        var env = OrderExecutionEnvironment(data: Self.data(closes), window: 3, configuration: c)
        // Half on the first day, the rest on the second: exactly TWAP's slices.
        let rewards = Self.episode(&env) { _ in 1 }
        #expect(env.orders.count == (40 - 3 + 1) / 2 && rewards.count == env.orders.count * 2)
        #expect(env.orders.allSatisfy { abs($0.shortfallBps) < 1e-9 })
        #expect(abs(env.portfolioValue - c.initialCash) < 1e-9)
    }

    @Test func sellingEverythingAtOnceIsMeasuredAgainstTwapByHand() throws {
        let closes: [Double] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
        var c = OrderExecutionConfiguration()
        c.horizon = 4
        c.actionLevels = 2
        var env = OrderExecutionEnvironment(data: Self.data(closes), window: 2, configuration: c)
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
        var c = OrderExecutionConfiguration()
        c.horizon = 4
        c.actionLevels = 5
        var env = OrderExecutionEnvironment(data: Self.data(closes), window: 2, configuration: c)
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

/// Order execution against a limit order book: market orders walk the levels, TWAP through the
/// same book has no shortfall, and TradeMaster's snapshot file loads.
@Suite struct OrderBookExecutionTests {
    /// Two snapshots, midpoint 100, bids at 10, 20, … bps below it holding 100 of notional each,
    /// asks mirrored.
    static func venue() -> OrderBookVenue {
        let levels = OrderBookVenue.levels
        func side(_ sign: Double) -> [[[Double]]] {
            OrderBookVenue.kinds.enumerated().map { kind, _ in
                (0..<levels).map { level in [Double](repeating: kind == 0 ? sign * Double(level + 1) * 0.001 : (kind == 1 ? 100 : 5), count: 3) }
            }
        }
        return OrderBookVenue(midpoint: [100, 100, 100], spread: [0.2, 0.2, 0.2], buys: [1, 1, 1], sells: [1, 1, 1], book: [side(-1), side(1)])
    }

    @Test func aMarketOrderWalksTheBook() {
        let v = Self.venue()
        // 2.5 units sold: ~1.001 at 99.9, ~1.002 at 99.8, the rest at 99.7.
        let first = 100 / 99.9, second = 100 / 99.8
        let expected = first * 99.9 + second * 99.8 + (2.5 - first - second) * 99.7
        #expect(abs(v.fill(units: 2.5, side: .sell, row: 1) - expected) < 1e-9)
        // A purchase walks the asks; beyond 15 levels the rest fills at the deepest price.
        #expect(abs(v.fill(units: 0.5, side: .buy, row: 1) - 0.5 * 100.1) < 1e-9)
        var depth = 0.0
        for level in 1...15 {
            let price: Double = 100 * (1 - 0.001 * Double(level))
            depth += 100 / price
        }
        let all: Double = 15 * 100 + 10 * 100 * (1 - 0.015)
        #expect(abs(v.fill(units: depth + 10, side: .sell, row: 1) - all) < 1e-6)
    }

    @Test func twapThroughTheBookHasNoShortfall() {
        var c = OrderExecutionConfiguration()
        c.horizon = 2
        c.actionLevels = 3
        c.quantity = 3
        var env = OrderExecutionEnvironment(venue: Self.venue(), configuration: c)
        _ = OrderExecutionTests.episode(&env) { _ in 1 }
        #expect(env.orders.count == 1 && abs(env.orders[0].shortfallBps) < 1e-9 && abs(env.portfolioValue - c.initialCash) < 1e-9)
        // Selling everything at once walks deeper into the book than TWAP's halves: worse.
        var once = OrderExecutionEnvironment(venue: Self.venue(), configuration: c)
        _ = OrderExecutionTests.episode(&once) { _ in 2 }
        #expect(once.orders[0].shortfallBps > 0 && once.portfolioValue < c.initialCash)
    }

    @Test func tradeMastersSnapshotFileLoads() throws {
        let venue = try TradeMasterFiles.ingested("order_execution/BTC/test.csv") { try OrderBookVenue(file: $0) }
        #expect(venue.rows == 600 && venue.featureCount == 154)
        var out = [Float](repeating: .nan, count: 154)
        for row in [1, 300, 599] {
            out.withUnsafeMutableBufferPointer { venue.observe(row: row, into: $0.baseAddress!) }
            let finite = out.allSatisfy { $0.isFinite }
            #expect(finite, "row \(row)")
            // Bids below the midpoint, asks above, the best level first.
            #expect(venue.book[0][0][0][row] < 0 && venue.book[1][0][0][row] > 0 && venue.book[0][0][1][row] <= venue.book[0][0][0][row])
        }
        var env = OrderExecutionEnvironment(venue: venue, configuration: OrderExecutionConfiguration())
        _ = OrderExecutionTests.episode(&env) { _ in 0 }
        #expect(env.orders.count == 599 / 20 && env.meanShortfallBps.isFinite)
    }
}
