import Compute

/// Every hyperparameter of the policy-gradient family (PPO, A2C, REINFORCE with a baseline), with
/// Stable-Baselines3's defaults for PPO unless noted; `a2c` and `reinforce` give those
/// algorithms' defaults.
public struct PolicyGradientConfiguration: Codable, Sendable, Equatable {
    /// Which objective: PPO's clipped surrogate, or the plain −A·log π of A2C and REINFORCE.
    public enum Algorithm: String, Codable, Sendable, CaseIterable {
        case ppo, a2c, reinforce
    }

    /// The objective (PPO's clipped surrogate, or A2C's and REINFORCE's plain policy gradient).
    public var algorithm: Algorithm = .ppo
    /// Hidden sizes of the policy and of the value network (two separate MLPs, SB3's MlpPolicy).
    public var hiddenSizes: [Int] = [64, 64]
    /// Activation between hidden layers (SB3 and CleanRL use tanh for policy gradients).
    public var activation: Activation = .tanh
    /// The optimizers' learning rate.
    public var learningRate: Float = 3e-4
    /// The optimizer of both networks (SB3: Adam for PPO, RMSprop with ε = 1e-5 for A2C).
    public var optimizer: OptimizerKind = .adam
    /// Environment steps per rollout; 0 collects a whole episode (REINFORCE).
    public var rolloutSteps = 2048
    /// Minibatch size of the update; 0 uses the whole rollout as one batch.
    public var batchSize = 64
    /// Passes over each rollout.
    public var epochs = 10
    /// Discount factor γ.
    public var gamma: Float = 0.99
    /// GAE's λ (1: Monte-Carlo returns minus the baseline).
    public var gaeLambda: Float = 0.95
    /// PPO's clip ε on the probability ratio.
    public var clipRange: Float = 0.2
    /// Clip of the value prediction's change from the rollout's (nil: none, SB3's default).
    public var clipRangeValue: Float? = nil
    /// Weight of the entropy bonus.
    public var entropyCoefficient: Float = 0
    /// Weight of the value loss.
    public var valueCoefficient: Float = 0.5
    /// The value loss: squared error (SB3) or Huber with δ = 1.
    public var valueLoss: LossKind = .mse
    /// Joint gradient-norm clip over both networks.
    public var maxGradientNorm: Float = 0.5
    /// Normalise advantages per minibatch (mean 0, std 1).
    public var normalizeAdvantage = true
    /// Scale rewards as SB3's `VecNormalize` (`RewardNormalizer`) before they enter a rollout;
    /// nil or false: raw rewards (optional, so configurations without it keep their checkpoints).
    public var normalizeReward: Bool? = nil

    public init() {}

    /// PPO with SB3's defaults.
    public static var ppo: PolicyGradientConfiguration { PolicyGradientConfiguration() }

    /// A2C with SB3's defaults: 5-step rollouts, one full-batch update, RMSprop, λ = 1.
    public static var a2c: PolicyGradientConfiguration {
        var c = PolicyGradientConfiguration()
        c.algorithm = .a2c
        c.learningRate = 7e-4
        c.optimizer = .rmsprop
        c.rolloutSteps = 5
        c.batchSize = 0
        c.epochs = 1
        c.gaeLambda = 1
        c.normalizeAdvantage = false
        return c
    }

    /// REINFORCE with a learned baseline: one update per episode on its Monte-Carlo returns.
    public static var reinforce: PolicyGradientConfiguration {
        var c = PolicyGradientConfiguration()
        c.algorithm = .reinforce
        c.learningRate = 1e-3
        c.rolloutSteps = 0
        c.batchSize = 0
        c.epochs = 1
        c.gaeLambda = 1
        return c
    }

    /// Checks ranges; the error names the field.
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw AgentsError.invalidConfiguration("\(field): \(rule)") }
        }
        try require(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, "hidden_sizes", "positive sizes, at least one")
        try require(learningRate > 0, "learning_rate", "must be positive")
        try require(rolloutSteps >= 0 && batchSize >= 0 && epochs >= 1, "rollout_steps/batch_size/epochs", "non-negative, epochs at least 1")
        try require((0...1).contains(gamma) && (0...1).contains(gaeLambda), "gamma/gae_lambda", "must lie in [0, 1]")
        try require(clipRange > 0 && (clipRangeValue ?? 1) > 0, "clip_range", "must be positive")
        try require(maxGradientNorm > 0, "max_grad_norm", "must be positive")
    }
}
