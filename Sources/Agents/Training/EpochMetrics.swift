/// The metrics of one training epoch, under fixed names (the job service stores them in
/// `training_metrics`, one row per epoch). Values that do not apply are nil (JSON null), never NaN.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean loss of the epoch's gradient steps (nil before learning starts).
    public var loss: Double?
    /// Mean reward per environment step.
    public var meanReward: Double
    /// Sum of the training episode's rewards.
    public var episodeReturn: Double
    /// DQN's ε at the epoch's end.
    public var epsilon: Double?
    /// Policy gradient: the mean entropy of the policy over the epoch's updates.
    public var entropy: Double?
    /// Policy gradient, as CleanRL logs them (`PolicyGradientDiagnostics`): the policy loss, the
    /// value loss (mean squared error), approximate KL, PPO's clip fraction and the value
    /// network's explained variance; nil for DQN.
    public var policyLoss: Double?
    public var valueLoss: Double?
    public var approxKL: Double?
    public var clipFraction: Double?
    public var explainedVariance: Double?
    /// The greedy policy on the validation split: total return, Sharpe and max drawdown
    /// (TradeMaster's formulas, `EpisodeMetrics`); nil without a validation split.
    public var validTotalReturn: Double?
    public var validSharpe: Double?
    public var validMaxDrawdown: Double?
    /// Environment steps per second of the epoch's training (validation excluded).
    public var stepsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case epoch, loss, epsilon, entropy
        case policyLoss = "policy_loss", valueLoss = "value_loss", approxKL = "approx_kl", clipFraction = "clip_fraction"
        case explainedVariance = "explained_variance"
        case meanReward = "mean_reward"
        case episodeReturn = "episode_return"
        case validTotalReturn = "valid_total_return"
        case validSharpe = "valid_sharpe"
        case validMaxDrawdown = "valid_max_drawdown"
        case stepsPerSecond = "steps_per_second"
    }

    /// The value of a metric by its documented name, for model selection.
    public func value(of metric: SelectionMetric) -> Double? {
        switch metric {
        case .validSharpe: return validSharpe
        case .validTotalReturn: return validTotalReturn
        case .episodeReturn: return episodeReturn
        }
    }

    /// These metrics with the timing removed: what must repeat exactly for the same seed.
    public var withoutTiming: EpochMetrics {
        var m = self
        m.stepsPerSecond = 0
        return m
    }
}

/// The metric that chooses the best epoch (higher is better).
public enum SelectionMetric: String, Codable, Sendable, CaseIterable {
    case validSharpe = "valid_sharpe"
    case validTotalReturn = "valid_total_return"
    case episodeReturn = "episode_return"
}

extension Double {
    /// nil for NaN, so JSON stays valid.
    var finiteOrNil: Double? { isNaN ? nil : self }
}
