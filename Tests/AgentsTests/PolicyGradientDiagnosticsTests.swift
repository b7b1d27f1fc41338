@testable import Agents
import Compute
import Foundation
import PythonCheck
import Testing

/// PPO / A2C log their losses and health figures apart, as CleanRL does: checked against numpy and
/// against values that follow from the update's definition.
@Suite struct PolicyGradientDiagnosticsTests {
    @Test(.enabled(if: PythonCheck.isAvailable)) func explainedVarianceIsNumpys() throws {
        var rng = Xoshiro256(seed: 3)
        let n = 257
        let returns = (0..<n).map { _ in Float(rng.next() % 2_000) / 1_000 - 1 }
        let values = returns.map { $0 * 0.7 + Float(rng.next() % 100) / 500 }
        var sums = DiagnosticSums()
        sums.addExplainedVariance(returns: returns, values: values, count: n)
        sums.addStep(policyLoss: 0, valueLoss: 0, approxKL: 0, clipFraction: 0)
        let script = """
        import sys, json, numpy as np
        y, v = (np.array(a, dtype=np.float32) for a in json.loads(sys.stdin.read()))
        print(float(1 - np.var((y - v).astype(np.float64)) / np.var(y.astype(np.float64))))
        """
        let (status, output) = try PythonCheck.run(script, arguments: [], stdin: "[\(returns), \(values)]")
        #expect(status == 0, "\(output)")
        let reference = try #require(Double(output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let ours = try #require(sums.means(ppo: true)?.explainedVariance)
        #expect(abs(ours - reference) < 1e-9, "\(ours) vs numpy \(reference)")
    }

    /// One PPO gradient step on the whole 64-step episode: the policy has not moved when the step
    /// measures it, so the ratio is 1 (approx KL 0, nothing clipped), the normalised advantages
    /// average to 0 (policy loss 0), and the value loss is the collected values' squared error
    /// against the returns, recomputed here from the rollout.
    @Test func aSingleStepsDiagnosticsFollowFromItsRollout() throws {
        BLAS.setThreadCount(1)
        var env = ReturnSeriesEnvironment.autoregressive(returns: 74, seed: 3)
        var c = PolicyGradientConfiguration.ppo
        c.hiddenSizes = [8]
        c.rolloutSteps = 0
        c.batchSize = 0
        c.epochs = 1
        let agent = try PolicyGradientAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 2)
        let stats = agent.trainEpisode(&env, seed: 0, plannedSteps: 64, shouldStop: { false })
        #expect(stats.steps == 64 && agent.updates == 1)
        let d = try #require(stats.policyGradient)
        #expect(abs(d.approxKL) < 1e-6 && d.clipFraction == 0 && abs(d.policyLoss) < 1e-5, "\(d)")
        let r = agent.rollout
        var squared = 0.0
        for i in 0..<64 { squared += Double((r.values[i] - r.returns[i]) * (r.values[i] - r.returns[i])) }
        #expect(abs(d.valueLoss - squared / 64) <= 1e-5 * max(1, squared / 64), "\(d.valueLoss) vs \(squared / 64)")
        #expect(d.explainedVariance != nil)
    }

    /// Many passes at a high learning rate move the policy: the KL estimate turns positive (it is
    /// never negative) and some samples leave the clip band. A2C has no clip band; DQN logs none
    /// of these. The trainer hands them on in each epoch's metrics.
    @Test func theFiguresReachEpochMetricsForEachAlgorithm() throws {
        BLAS.setThreadCount(1)
        func epoch(_ c: PolicyGradientConfiguration) throws -> EpochMetrics {
            let train = ReturnSeriesEnvironment.autoregressive(returns: 1_034, seed: 4)
            let agent = try PolicyGradientAgent(observationCount: train.observationCount, actionCount: 3, configuration: c, seed: 8)
            var t = TrainerConfiguration()
            t.epochs = 1
            let trainer = Trainer(agent: agent, train: train, valid: nil, configuration: t, directory: nil)
            var metrics: [EpochMetrics] = []
            _ = try trainer.run(onEpoch: { metrics.append($0) })
            return metrics[0]
        }
        var ppo = PolicyGradientConfiguration.ppo
        ppo.hiddenSizes = [16]
        ppo.rolloutSteps = 256
        ppo.learningRate = 3e-2
        let p = try epoch(ppo)
        #expect((p.approxKL ?? 0) > 1e-4, "approx_kl \(String(describing: p.approxKL))")
        #expect((p.clipFraction ?? 0) > 0 && (p.clipFraction ?? 2) <= 1, "clip_fraction \(String(describing: p.clipFraction))")
        #expect(p.policyLoss != nil && (p.valueLoss ?? -1) >= 0 && p.explainedVariance != nil && p.entropy != nil)
        var a2c = PolicyGradientConfiguration.a2c
        a2c.hiddenSizes = [16]
        let a = try epoch(a2c)
        #expect(a.clipFraction == nil && a.approxKL != nil && a.policyLoss != nil && a.valueLoss != nil && a.explainedVariance != nil)

        let train = ReturnSeriesEnvironment.autoregressive(returns: 1_034, seed: 4)
        var dc = DQNConfiguration()
        dc.hiddenSizes = [16]
        let dqn = DQNAgent(observationCount: train.observationCount, actionCount: 3, configuration: dc, seed: 1, replayCapacity: 2_000)
        var t = TrainerConfiguration()
        t.epochs = 1
        var metrics: [EpochMetrics] = []
        _ = try Trainer(agent: dqn, train: train, valid: nil, configuration: t, directory: nil).run(onEpoch: { metrics.append($0) })
        let m = metrics[0]
        #expect(m.policyLoss == nil && m.valueLoss == nil && m.approxKL == nil && m.clipFraction == nil && m.explainedVariance == nil)
        let json = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
        for key in ["policy_loss", "value_loss", "approx_kl", "clip_fraction", "explained_variance"] { #expect(json.contains("\"\(key)\"")) }
    }
}
