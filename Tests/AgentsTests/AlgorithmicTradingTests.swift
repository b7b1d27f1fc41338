import Agents
import Foundation
import Ingest
import Testing

/// The algorithmic-trading environment against the golden vectors TradeMaster's own environment
/// code produced on these files (../shared/data/trademaster/ENVIRONMENTS.md §3.1), and the fixes
/// of its defects by hand.
@Suite struct AlgorithmicTradingTests {
    /// A split of TradeMaster's BTC files through the real pipeline: CSV → ingest → HDF5 → columns.
    static func split(_ name: String) throws -> AlgorithmicTradingData {
        try TradeMasterFiles.ingested("algorithmic_trading/BTC/\(name).csv") { try AlgorithmicTradingData(file: $0) }
    }

    /// Runs one episode with actions chosen by step index.
    static func episode(_ data: AlgorithmicTradingData, configuration: AlgorithmicTradingEnvironment.Configuration = .tradeMaster,
                        policy: (Int) -> Int) -> (env: AlgorithmicTradingEnvironment, steps: Int, rewards: Double, first: [Float]) {
        var env = AlgorithmicTradingEnvironment(data: data, configuration: configuration)
        var observation = [Float](repeating: 0, count: env.observationCount)
        var first: [Float] = []
        var steps = 0, rewards = 0.0
        observation.withUnsafeMutableBufferPointer { obs in
            env.reset(seed: 0, observation: obs)
            first = Array(obs)
            while true {
                let outcome = env.step(policy(steps), observation: obs)
                if outcome.done { break }
                steps += 1
                rewards += outcome.reward
            }
        }
        return (env, steps, rewards, first)
    }

    func shows(_ value: Double, _ printed: Double, decimals: Int) -> Bool { TradeMasterFiles.shows(value, printed, decimals: decimals) }

    struct Golden: Sendable, CustomTestStringConvertible {
        var split: String, policy: String, steps: Int, rewards: Double, value: Double, tr: Double, sr: Double, vol: Double, mdd: Double
        var hold: Double, cash: Double
        var testDescription: String { "\(split) \(policy)" }

        func action(_ t: Int) -> Int {
            switch policy {
            case "2": return 2
            case "0": return 0
            case "1": return 1
            case "2,1,0": return [2, 1, 0][t % 3]
            default: return t % 2 == 0 ? 2 : 0   // "2,0"
            }
        }
    }

    // ENVIRONMENTS.md §3.1: TR, VOL and MDD in percent there, as fractions here.
    static let golden: [Golden] = [
        Golden(split: "train", policy: "2", steps: 889, rewards: 10935.470483, value: 104697.245839, tr: 0.04697246, sr: 0.273715, vol: 0.03064514, mdd: 0.71781826, hold: 181, cash: 26.936574),
        Golden(split: "train", policy: "0", steps: 889, rewards: -10935.470483, value: -104643.372691, tr: -2.04643373, sr: -0.407149, vol: 0.12376691, mdd: 2.38674808, hold: -181, cash: 26.936574),
        Golden(split: "train", policy: "2,1,0", steps: 889, rewards: 474.946512, value: 100185.289527, tr: 0.00185290, sr: 0.276817, vol: 0.00011983, mdd: 0.00299991, hold: 1, cash: 99607.000526),
        Golden(split: "valid", policy: "2", steps: 189, rewards: -16595.902571, value: 93753.190861, tr: -0.06246809, sr: 0.015864, vol: 0.02738966, mdd: 0.35497085, hold: 10, cash: 336.139173),
        Golden(split: "test", policy: "2", steps: 414, rewards: 23056.507687, value: 113625.212622, tr: 0.13625213, sr: 0.408500, vol: 0.03286051, mdd: 0.66711990, hold: 13, cash: 873.404166),
        Golden(split: "test", policy: "0", steps: 414, rewards: -23056.507687, value: -111878.404291, tr: -2.11878404, sr: 0.348877, vol: 0.18014495, mdd: 2.27282551, hold: -13, cash: 873.404166),
        Golden(split: "test", policy: "2,0", steps: 414, rewards: 4227.053348, value: 100476.939021, tr: 0.00476939, sr: 0.129387, vol: 0.00155890, mdd: 0.05672007, hold: 0, cash: 100476.939021),
        Golden(split: "test", policy: "2,1,0", steps: 414, rewards: 3337.592551, value: 99900.286548, tr: -0.00099713, sr: -0.008044, vol: 0.00174671, mdd: 0.05893612, hold: 0, cash: 99900.286548),
        Golden(split: "test", policy: "1", steps: 414, rewards: 0, value: 100_000, tr: 0, sr: 0, vol: 0, mdd: 0, hold: 0, cash: 100_000),
    ]

    @Test(arguments: golden)
    func tradeMasterGoldenVectors(_ g: Golden) throws {
        let (env, steps, rewards, _) = Self.episode(try Self.split(g.split), policy: g.action)
        let m = env.metrics
        #expect(steps == g.steps)
        #expect(shows(rewards, g.rewards, decimals: 6), "Σreward \(rewards)")
        #expect(shows(env.portfolioValue, g.value, decimals: 6), "final value \(env.portfolioValue)")
        #expect(shows(m.totalReturn, g.tr, decimals: 8), "TR \(m.totalReturn)")
        #expect(shows(m.sharpe, g.sr, decimals: 6), "SR \(m.sharpe)")
        #expect(shows(m.volatility, g.vol, decimals: 8), "VOL \(m.volatility)")
        #expect(shows(m.maxDrawdown, g.mdd, decimals: 8), "MDD \(m.maxDrawdown)")
        #expect(env.holding == g.hold && shows(env.cash, g.cash, decimals: 6), "hold \(env.holding) cash \(env.cash)")
    }

    @Test func tradeMastersFirstTestStateAndCalmarSortino() throws {
        let (env, _, _, first) = Self.episode(try Self.split("test"), policy: { _ in 2 })
        #expect(first.count == 82)
        #expect(Array(first.prefix(5)) == [7530.93994140625, 7469.8798828125, 6933.81982421875, 6857.490234375, 7050.5400390625].map(Float.init))
        #expect(Array(first.suffix(4)) == [0.2285150772624673, 0.1676916106303332, 100000.0, 0.0].map(Float.init))
        // "test a=2: CR 20572.522485, SoR 0.326080 — dollar-unit artefacts".
        #expect(shows(env.metrics.calmar, 20572.522485, decimals: 6) && shows(env.metrics.sortino, 0.326080, decimals: 6))
    }

    @Test func theDefaultConfigurationFixesTradeMastersDefects() throws {
        let data = try Self.split("test")
        // Margin shorts: selling one unit short credits the sale, so the value only loses the fee.
        var env = AlgorithmicTradingEnvironment(data: data)
        var obs = [Float](repeating: 0, count: env.observationCount)
        let price = data.close[4]
        let outcome = obs.withUnsafeMutableBufferPointer { o -> StepOutcome in
            env.reset(seed: 0, observation: o)
            return env.step(0, observation: o)
        }
        #expect(env.holding == -1 && abs(env.cash - (100_000 + price * 0.999)) < 1e-9)
        // Realised reward: the change in value over the step, fees included.
        let value = env.cash - data.close[5]
        #expect(abs(env.portfolioValue - value) < 1e-9 && abs(outcome.reward - (value - 100_000)) < 1e-9)
        // No look-ahead: the same actions give the same rewards whatever the future prices are.
        var changed = data.values
        for column in changed.indices { for day in 12..<changed[column].count { changed[column][day] *= 3 } }
        let a = Self.episode(data, configuration: .init(), policy: { $0 % 2 == 0 ? 2 : 0 })
        let b = Self.episode(AlgorithmicTradingData(values: changed, timestamps: data.timestamps), configuration: .init(), policy: { $0 % 2 == 0 ? 2 : 0 })
        #expect(a.env.assets.prefix(3) == b.env.assets.prefix(3))
        // Normalised observations: prices relative to the last close, cash relative to the start.
        #expect(a.first[19] == 1 && a.first[80] == 1 && a.first[81] == 0)
        // Shorting every day: each short sale stops where the short is worth the account at the
        // sale (no leverage); TradeMaster's go on one a day.
        var capped = AlgorithmicTradingEnvironment(data: data)
        var o = [Float](repeating: 0, count: capped.observationCount)
        var capHit = false
        o.withUnsafeMutableBufferPointer { buffer in
            capped.reset(seed: 0, observation: buffer)
            while true {
                let valueBefore = capped.portfolioValue, price = data.close[capped.day - 1], heldBefore = capped.holding
                if capped.step(0, observation: buffer).done { break }
                if capped.holding < heldBefore { #expect(-capped.holding * price <= max(valueBefore, 0) + 1e-9, "day \(capped.day)") } else { capHit = true }
            }
        }
        #expect(capHit, "the cap must bind on some day")
        #expect(Self.episode(data, policy: { _ in 0 }).env.holding == -13)
    }

    @Test func aShortThatLosesTheAccountIsClosedOut() {
        // Prices rise 20% a day; the policy shorts every day until a rise wipes the account out.
        let days = 40
        let close = (0..<days).map { 100 * pow(1.2, Double($0)) }
        let values = AlgorithmicTradingData.columns.indices.map { $0 < 5 ? close : [Double](repeating: 0, count: days) }
        let data = AlgorithmicTradingData(values: values, timestamps: (0..<days).map { Int64($0) * 86_400_000_000_000 })
        var env = AlgorithmicTradingEnvironment(data: data)
        var o = [Float](repeating: 0, count: env.observationCount)
        var closedOutAt: Int?
        o.withUnsafeMutableBufferPointer { buffer in
            env.reset(seed: 0, observation: buffer)
            while !env.step(0, observation: buffer).done {
                if let at = closedOutAt {
                    #expect(env.holding == 0 && env.portfolioValue == env.assets[at], "no trading after the close-out (day \(env.day))")
                } else if env.holding == 0 && env.day > 6 {
                    closedOutAt = env.assets.count - 1
                    #expect(env.portfolioValue <= 0)
                }
            }
        }
        #expect(closedOutAt != nil, "the short must be closed out")
    }
}
