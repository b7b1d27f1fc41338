import Foundation
@testable import Agents
import Testing

/// Reward scaling as SB3's `VecNormalize` (issue 15): the running variance of the discounted
/// return against a two-pass computation over the same returns (with `RunningMeanStd`'s prior of
/// weight 1e-4, mean 0, variance 1), the clip, the episode reset; and the seed's DQN config on
/// TradeMaster's BTC training with a loss of order one by default where the raw money reward
/// gives one of order 10⁶ and more.
@Suite struct RewardNormalizerTests {
    /// BTC's daily close changes times 10: rewards in money, as the environment's.
    static func moneyRewards() throws -> [Double] {
        let closes = try String(contentsOfFile: "\(TradeMasterFiles.directory)/algorithmic_trading/BTC/train.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().compactMap { line -> Double? in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                return fields.count > 7 ? Double(fields[7]) : nil
            }
        return zip(closes.dropFirst(), closes).map { 10 * ($0 - $1) }
    }

    @Test func theVarianceIsTheDiscountedReturnsOwn() throws {
        let rewards = try Self.moneyRewards()
        try #require(rewards.count > 800)
        let gamma = 0.99
        var normalizer = RewardNormalizer(gamma: gamma)
        var returns: [Double] = []
        var discounted = 0.0
        for (t, r) in rewards.enumerated() {
            if t == 400 {
                // An episode ends: the discounted return starts again, the statistics go on.
                normalizer.episodeEnded()
                discounted = 0
            }
            let scaled = normalizer.normalize(r)
            discounted = discounted * gamma + r
            returns.append(discounted)
            let prior = 1e-4, count = prior + Double(returns.count)
            let mean = returns.reduce(0, +) / count
            let m2 = prior * (1 + mean * mean) + returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let variance = m2 / count
            #expect(abs(normalizer.variance - variance) <= 1e-9 * variance, "step \(t): \(normalizer.variance) vs \(variance)")
            let expected = min(max(r / (variance + 1e-8).squareRoot(), -10), 10)
            #expect(abs(scaled - expected) <= 1e-9 * max(1, abs(expected)), "step \(t)")
        }
        // The first reward meets the prior's variance of 1: a large one is clipped.
        var fresh = RewardNormalizer(gamma: gamma)
        #expect(fresh.normalize(1e6) == 10 && fresh.normalize(-1e9) < 0)
    }

    /// The state a checkpoint keeps restores the same scaling.
    @Test func theStateRoundTrips() throws {
        var a = RewardNormalizer(gamma: 0.9)
        for r in try Self.moneyRewards().prefix(50) { _ = a.normalize(r) }
        var b = RewardNormalizer(gamma: 0.9)
        b.restore(a.state)
        #expect(a == b && a.normalize(123) == b.normalize(123))
    }

    /// The seed's DQN config (TradeMaster's names, MSE loss) on BTC: by default the loss the
    /// optimiser sees stays of order one; with `normalize_reward: false` (TradeMaster's raw
    /// money scale) it is millions.
    @Test func theSeedsDQNConfigTrainsInTheOptimisersScale() throws {
        let btc = "\(TradeMasterFiles.directory)/algorithmic_trading/BTC"
        func losses(_ extra: String) throws -> [Double] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-reward-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var job = try TrainingJobTests.job(#"{\#(TrainingJobTests.names), "hyperparameters": {"epochs": 3, "seed": 5\#(extra)}}"#)
            job.data = .init(train: "\(btc)/train.csv", valid: "\(btc)/valid.csv", test: "\(btc)/test.csv")
            let run = try TrainingRun(job: job, directory: dir)
            var epochs: [EpochMetrics] = []
            #expect(try run.run(onEpoch: { epochs.append($0) }) == .completed)
            return epochs.compactMap(\.loss)
        }
        let scaled = try losses("")
        #expect(scaled.count == 3 && scaled.allSatisfy { $0.isFinite && $0 < 10 }, "normalised: \(scaled)")
        let raw = try losses(#", "normalize_reward": false"#)
        #expect(raw.count == 3 && raw.allSatisfy { $0 > 1e4 }, "money: \(raw)")
    }
}
