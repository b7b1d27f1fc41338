/// Stable-Baselines3's `VecNormalize` reward scaling for one environment: a running estimate of
/// the variance of the discounted return R ← γ·R + r (reset when an episode ends), updated with
/// each step's R as `RunningMeanStd` does (prior count 1e-4, mean 0, variance 1; Chan et al.'s
/// parallel update), and the reward divided by √(variance + 1e-8), clipped to ±10.
///
/// Why: a reward in money (TradeMaster's, the change of portfolio value) makes Q-values and
/// squared TD errors of 10⁸ and more, and the loss a user reads climbs as the agent's capital
/// grows — it looks like divergence. Scaled, the optimiser sees rewards of order one. Episode
/// returns are still reported in money; the loss is reported in the scale the optimiser sees.
public struct RewardNormalizer: Sendable, Equatable {
    public let gamma: Double
    public static let clip = 10.0
    public static let epsilon = 1e-8

    public private(set) var discountedReturn = 0.0
    public private(set) var count = 1e-4
    public private(set) var mean = 0.0
    public private(set) var variance = 1.0

    public init(gamma: Double) {
        self.gamma = gamma
    }

    /// The scaled reward of one step (the statistics updated first, as `VecNormalize.step_wait`).
    public mutating func normalize(_ reward: Double) -> Double {
        discountedReturn = discountedReturn * gamma + reward
        update(with: discountedReturn)
        let scaled = reward / (variance + Self.epsilon).squareRoot()
        return Swift.min(Swift.max(scaled, -Self.clip), Self.clip)
    }

    /// The episode ended: the discounted return starts again (the statistics carry on).
    public mutating func episodeEnded() {
        discountedReturn = 0
    }

    /// `RunningMeanStd.update` with a batch of one value (batch variance 0, batch count 1, so
    /// its terms in the parallel update vanish).
    mutating func update(with value: Double) {
        let delta = value - mean
        let total = count + 1
        let m2 = variance * count + delta * delta * count / total
        mean += delta / total
        variance = m2 / total
        count = total
    }

    /// The state a checkpoint keeps: [discounted return, count, mean, variance].
    public var state: [Double] { [discountedReturn, count, mean, variance] }

    public mutating func restore(_ state: [Double]) {
        precondition(state.count == 4, "RewardNormalizer: state is 4 numbers")
        (discountedReturn, count, mean, variance) = (state[0], state[1], state[2], state[3])
    }
}
