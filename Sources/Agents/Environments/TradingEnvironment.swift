/// A trading task as reinforcement learning sees it: reset to the start of an episode, then one
/// action per step, each returning a reward until the episode ends. Observations are written into
/// a caller's buffer (no allocation per step); `portfolioValue` is the account marked to market.
public protocol TradingEnvironment {
    /// Floats in one observation.
    var observationCount: Int { get }
    /// Discrete actions 0..<actionCount.
    var actionCount: Int { get }
    /// Cash plus positions marked at the latest price.
    var portfolioValue: Double { get }

    /// Starts an episode (the seed drives any randomness of the start) and writes the first
    /// observation.
    mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>)

    /// Takes `action`; writes the next observation and returns the reward and whether the episode
    /// has ended (no action is taken on the step that reports the end).
    mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome
}

/// What one step returns.
public struct StepOutcome: Sendable, Equatable {
    public var reward: Double
    public var done: Bool

    public init(reward: Double, done: Bool) {
        self.reward = reward
        self.done = done
    }
}
