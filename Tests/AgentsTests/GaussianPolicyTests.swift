import Agents
import Compute
import Foundation
import Testing

/// The Gaussian-then-softmax policy on portfolio weights: it learns to hold the asset that rises,
/// is deterministic per seed, and resumes exactly.
@Suite struct GaussianPolicyTests {
    /// Two assets over `days`: one drifting up 0.4% a day, one down as much, both with 1% noise;
    /// the features are noise (the preference has to be learned, not read off the state).
    static func panel(days: Int, seed: UInt64) -> PortfolioData {
        var rng = Xoshiro256(seed: seed)
        var up = [100.0], down = [100.0]
        for _ in 1..<days {
            up.append(up.last! * exp(0.004 + 0.01 * Double(rng.nextNormal())))
            down.append(down.last! * exp(-0.004 + 0.01 * Double(rng.nextNormal())))
        }
        let features = PortfolioData.features.map { _ in (0..<2).map { _ in (0..<days).map { _ in Double(rng.nextNormal()) } } }
        return PortfolioData(symbols: ["UP", "DOWN"], timestamps: (0..<days).map { Int64($0) * 86_400_000_000_000 }, close: [up, down], features: features)
    }

    static func environment(days: Int, seed: UInt64) -> PortfolioManagementEnvironment {
        var env = PortfolioManagementEnvironment(data: panel(days: days, seed: seed), fee: 0.0005)
        env.logReturnReward = true
        return env
    }

    static func configuration() -> PolicyGradientConfiguration {
        var c = PolicyGradientConfiguration.ppo
        c.hiddenSizes = [16]
        c.rolloutSteps = 256
        c.learningRate = 3e-3
        c.gamma = 0.9
        return c
    }

    @Test func ppoLearnsToHoldTheRisingAsset() throws {
        var train = Self.environment(days: 1_001, seed: 1)
        let agent = try PolicyGradientAgent(observationCount: train.observationCount, actionSpace: train.actionSpace, configuration: Self.configuration(), seed: 3)
        for epoch in 0..<30 { _ = agent.trainEpisode(&train, seed: UInt64(epoch), plannedSteps: 30_000, shouldStop: { false }) }
        // Held-out prices with the same drifts: the greedy weights favour UP over DOWN on average
        // and beat equal weights (the zero action) after fees.
        func run(_ policy: (UnsafePointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> (value: Double, meanWeights: [Double]) {
            var env = Self.environment(days: 501, seed: 2)
            var obs = [Float](repeating: 0, count: env.observationCount), action = [Float](repeating: 0, count: 3)
            var sum = [0.0, 0.0, 0.0], steps = 0.0
            obs.withUnsafeMutableBufferPointer { o in
                action.withUnsafeMutableBufferPointer { a in
                    env.reset(seed: 0, observation: o)
                    while true {
                        policy(o.baseAddress!, a)
                        if env.step(continuous: UnsafeBufferPointer(a), observation: o).done { break }
                        for k in 0..<3 { sum[k] += env.appliedWeights[k] }
                        steps += 1
                    }
                }
            }
            return (env.portfolioValue, sum.map { $0 / steps })
        }
        let learned = run { agent.greedyContinuousAction($0, into: $1) }
        let equal = run { _, a in for k in 0..<3 { a[k] = 0 } }
        #expect(abs(equal.meanWeights[1] - 1.0 / 3) < 1e-9)
        #expect(learned.meanWeights[1] > 0.5 && learned.meanWeights[1] > 3 * learned.meanWeights[2], "mean weights cash/UP/DOWN \(learned.meanWeights)")
        #expect(learned.value > equal.value * 1.05, "learned \(learned.value), equal weights \(equal.value)")
    }

    @Test func aCancelledGaussianRunResumesBitIdentically() throws {
        BLAS.setThreadCount(1)
        func trainer(_ dir: String) throws -> Trainer<PolicyGradientAgent, PortfolioManagementEnvironment> {
            let train = Self.environment(days: 301, seed: 4), valid = Self.environment(days: 101, seed: 5)
            let agent = try PolicyGradientAgent(observationCount: train.observationCount, actionSpace: train.actionSpace, configuration: Self.configuration(), seed: 6)
            var t = TrainerConfiguration()
            t.epochs = 3
            return Trainer(agent: agent, train: train, valid: valid, configuration: t, directory: dir)
        }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("qf-gauss-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let straight = try trainer(base + "/a")
        #expect(try straight.run() == .completed)
        let first = try trainer(base + "/b")
        var checks = 0
        #expect(try first.run(shouldStop: { checks += 1; return checks > 450 }) == .cancelled)
        let second = try trainer(base + "/b")
        #expect(try second.resumeIfPossible() && second.progress.epochsDone == 1)
        #expect(try second.run() == .completed)
        #expect(second.progress.history.map(\.withoutTiming) == straight.progress.history.map(\.withoutTiming))
        #expect(Array(second.agent.actor.parameters.values.buffer) == Array(straight.agent.actor.parameters.values.buffer),
                "the means' weights and log σ")
        // log σ moved from its initial 0: it is trained, and checkpointed with the actor.
        let slot = straight.agent.actor.parameters.slots.last!
        #expect(slot.name.hasSuffix("log_std") && (0..<slot.count).contains { straight.agent.actor.parameters.values.base[slot.offset + $0] != 0 })
    }
}
