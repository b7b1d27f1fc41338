import Agents
import Foundation
import Testing

/// The high-frequency environment: TradeMaster's LOB slices load in order, orders walk the book,
/// fees and marking at the next best bid.
@Suite struct HighFrequencyTradingTests {
    static let slices = "\(TradeMasterFiles.directory)/high_frequency_trading/small_BTC/Market_Dynamics_Model/BTC/default"

    @Test func theSlicesLoadInIndexOrder() throws {
        let data = try HighFrequencyData.load(directory: Self.slices)
        #expect(data.rows == 4_997 && data.features.count == 4_997 * 76)
        for r in 0..<data.rows {
            #expect(data.bidPrice[0][r] < data.askPrice[0][r] && data.bidPrice[1][r] <= data.bidPrice[0][r] && data.askPrice[1][r] >= data.askPrice[0][r])
        }
        #expect(data.bidPrice[0][0] > 20_000 && data.bidPrice[0][0] < 26_000)
    }

    /// Two snapshots with a thin, known book.
    static func book() -> HighFrequencyData {
        let bids: [[Double]] = [[100, 101], [99, 100], [98, 99], [97, 98], [96, 97]]
        let asks: [[Double]] = [[101, 102], [102, 103], [103, 104], [104, 105], [105, 106]]
        let size: [[Double]] = Array(repeating: [0.004, 0.004], count: 5)
        return HighFrequencyData(bidPrice: bids, bidSize: size, askPrice: asks, askSize: size, features: [Float](repeating: 0, count: 2 * 76))
    }

    @Test func aPurchaseWalksTheAsksAndIsMarkedAtTheNextBestBid() throws {
        var c = HighFrequencyTradingEnvironment.Configuration()
        c.initialCash = 1_000
        var env = HighFrequencyTradingEnvironment(data: Self.book(), configuration: c)
        var o = [Float](repeating: 0, count: env.observationCount)
        let outcome = o.withUnsafeMutableBufferPointer { b -> StepOutcome in
            env.reset(seed: 0, observation: b)
            return env.step(10, observation: b)
        }
        // 0.01 units: 0.004 at 101, 0.004 at 102, 0.002 at 103, plus the 0.005% fee.
        let cost = 0.004 * 101 + 0.004 * 102 + 0.002 * 103
        #expect(abs(env.position - 0.01) < 1e-15 && env.unfilled < 1e-15)
        #expect(abs(env.cash - (1_000 - cost * 1.00005)) < 1e-12)
        // Marked at the next snapshot's best bid (101).
        #expect(abs(env.portfolioValue - (env.cash + 0.01 * 101)) < 1e-12 && abs(outcome.reward - (env.portfolioValue - 1_000)) < 1e-12)
        #expect(o[76] == 1, "the position as a fraction of the maximum")
    }

    @Test func depthLimitsTheFill() throws {
        var c = HighFrequencyTradingEnvironment.Configuration()
        c.maxPosition = 0.05
        var env = HighFrequencyTradingEnvironment(data: Self.book(), configuration: c)
        var o = [Float](repeating: 0, count: env.observationCount)
        o.withUnsafeMutableBufferPointer { b in
            env.reset(seed: 0, observation: b)
            _ = env.step(10, observation: b)
        }
        // Five levels of 0.004 hold 0.02 of the 0.05 wanted.
        #expect(abs(env.position - 0.02) < 1e-15 && abs(env.unfilled - 0.03) < 1e-15)
    }
}
