/// A policy-gradient epoch's losses and health figures, logged apart as CleanRL and SB3 log them
/// (`losses/policy_loss`, `losses/value_loss`, `losses/entropy`, `losses/approx_kl`,
/// `losses/clipfrac`, `losses/explained_variance`): means over the epoch's gradient steps, and for
/// explained variance over its rollouts.
public struct PolicyGradientDiagnostics: Codable, Sendable, Equatable {
    /// The policy objective's loss (PPO: the clipped surrogate; A2C / REINFORCE: −A·log π).
    public var policyLoss: Double
    /// Mean squared error of the value network against the returns (before any value clipping),
    /// as SB3 logs it whatever the value loss.
    public var valueLoss: Double
    /// mean((ρ − 1) − log ρ), ρ the new over the rollout's action probability.
    public var approxKL: Double
    /// PPO: the fraction of samples with |ρ − 1| > clip_range; nil for A2C and REINFORCE.
    public var clipFraction: Double?
    /// 1 − Var(returns − values) / Var(returns) over each rollout, values as collected (nil when
    /// the returns do not vary).
    public var explainedVariance: Double?
}

/// Running sums behind `PolicyGradientDiagnostics`.
struct DiagnosticSums {
    var policyLoss = 0.0, valueLoss = 0.0, approxKL = 0.0, clipFraction = 0.0, steps = 0
    var explainedVariance = 0.0, rollouts = 0

    mutating func addStep(policyLoss: Double, valueLoss: Double, approxKL: Double, clipFraction: Double) {
        self.policyLoss += policyLoss
        self.valueLoss += valueLoss
        self.approxKL += approxKL
        self.clipFraction += clipFraction
        steps += 1
    }

    /// numpy's `1 - np.var(y - ŷ) / np.var(y)` (population variances) over the first `count` entries.
    mutating func addExplainedVariance(returns: [Float], values: [Float], count: Int) {
        guard count > 1 else { return }
        var meanY = 0.0, meanD = 0.0
        for i in 0..<count {
            meanY += Double(returns[i])
            meanD += Double(returns[i] - values[i])
        }
        meanY /= Double(count)
        meanD /= Double(count)
        var varY = 0.0, varD = 0.0
        for i in 0..<count {
            let y = Double(returns[i]) - meanY, d = Double(returns[i] - values[i]) - meanD
            varY += y * y
            varD += d * d
        }
        guard varY > 0 else { return }
        explainedVariance += 1 - varD / varY
        rollouts += 1
    }

    func means(ppo: Bool) -> PolicyGradientDiagnostics? {
        guard steps > 0 else { return nil }
        let n = Double(steps)
        return PolicyGradientDiagnostics(policyLoss: policyLoss / n, valueLoss: valueLoss / n, approxKL: approxKL / n,
                                         clipFraction: ppo ? clipFraction / n : nil,
                                         explainedVariance: rollouts > 0 ? explainedVariance / Double(rollouts) : nil)
    }
}
