/// A trading task as reinforcement learning sees it: reset to the start of an episode, then one
/// action per step, each returning a reward until the episode ends. Observations are written into
/// a caller's buffer (no allocation per step); `portfolioValue` is the account marked to market.
/// Actions are discrete (`step(_:observation:)`, gymnasium's `Discrete(n)`) or, when
/// `actionSpace` says so, vectors of floats (`step(continuous:observation:)`, `Box(d)`).
public protocol TradingEnvironment {
    /// Floats in one observation.
    var observationCount: Int { get }
    /// Discrete actions 0..<actionCount, or the length of a continuous action.
    var actionCount: Int { get }
    /// Which kind of action `step` takes.
    var actionSpace: ActionSpace { get }
    /// Cash plus positions marked at the latest price.
    var portfolioValue: Double { get }

    /// Starts an episode (the seed drives any randomness of the start) and writes the first
    /// observation.
    mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>)

    /// Takes `action`; writes the next observation and returns the reward and whether the episode
    /// has ended (no action is taken on the step that reports the end).
    mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome

    /// Takes a continuous action of `actionCount` floats (environments with `.continuous` spaces).
    mutating func step(continuous action: UnsafeBufferPointer<Float>, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome
}

/// The shape of an environment's actions.
public enum ActionSpace: Sendable, Equatable {
    /// One of n choices.
    case discrete(Int)
    /// A vector of d floats.
    case continuous(Int)
}

extension TradingEnvironment {
    public var actionSpace: ActionSpace { .discrete(actionCount) }

    public mutating func step(continuous action: UnsafeBufferPointer<Float>, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        preconditionFailure("\(Self.self) takes discrete actions")
    }

    /// Steps in one episode from a reset: a dry run on a copy with neutral actions (the trading
    /// environments' episodes have a fixed length from reset).
    public var probedEpisodeLength: Int {
        var probe = self
        var observation = [Float](repeating: 0, count: observationCount)
        return observation.withUnsafeMutableBufferPointer { o in
            probe.reset(seed: 0, observation: o)
            var n = 0
            while !probe.stepNeutral(observation: o).done { n += 1 }
            return n
        }
    }

    /// Steps with a neutral action (index min(1, n − 1) — hold in the 3-action tasks — or zeros),
    /// for probing an episode's length.
    mutating func stepNeutral(observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        switch actionSpace {
        case .discrete(let n): return step(min(1, n - 1), observation: observation)
        case .continuous(let d):
            let zeros = [Float](repeating: 0, count: d)
            return zeros.withUnsafeBufferPointer { step(continuous: $0, observation: observation) }
        }
    }
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
