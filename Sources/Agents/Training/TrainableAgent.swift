/// What one training episode (one epoch, in TradeMaster's sense) did.
public struct EpisodeTrainingStats: Sendable, Equatable {
    /// Environment steps taken in the episode.
    public var steps: Int
    /// The sum of the episode's rewards.
    public var episodeReturn: Double
    /// The mean loss of the gradient steps taken in the episode (NaN when none was taken).
    public var meanLoss: Double
    /// DQN: ε at the episode's end; policy gradient: the mean policy entropy of its updates.
    public var exploration: Double
    /// False when `shouldStop` interrupted the episode; its effects are then not a safe point.
    public var completed: Bool
    /// Policy-gradient agents: the epoch's losses and health figures apart (nil for DQN).
    public var policyGradient: PolicyGradientDiagnostics?

    public var meanReward: Double { steps > 0 ? episodeReturn / Double(steps) : 0 }

    public init(steps: Int, episodeReturn: Double, meanLoss: Double, exploration: Double, completed: Bool) {
        self.steps = steps
        self.episodeReturn = episodeReturn
        self.meanLoss = meanLoss
        self.exploration = exploration
        self.completed = completed
    }
}

/// An agent the `Trainer` can drive epoch by epoch over any discrete-action environment, and
/// whose whole state can be saved and restored so that a resumed run is bit-identical to an
/// uninterrupted one.
public protocol TrainableAgent: AnyObject {
    /// The name used in checkpoints and configs ("dqn", "ppo", …).
    var kind: String { get }
    var observationCount: Int { get }
    var actionCount: Int { get }

    /// Trains over one episode of `env` from `reset(seed:)`. `plannedSteps` is the run's total
    /// for schedules (ε, learning-rate annealing). `shouldStop` is checked between steps.
    func trainEpisode<E: TradingEnvironment>(_ env: inout E, seed: UInt64, plannedSteps: Int, shouldStop: () -> Bool) -> EpisodeTrainingStats

    /// The action the trained policy takes (no exploration).
    func greedyAction(_ observation: UnsafePointer<Float>) -> Int

    /// The continuous action the trained policy takes (agents with continuous policies).
    func greedyContinuousAction(_ observation: UnsafePointer<Float>, into action: UnsafeMutableBufferPointer<Float>)

    /// Writes the complete state, with `metadata` stored beside it.
    func save(to path: String, metadata: [String: String]) throws

    /// Restores the complete state written by `save`; returns the metadata.
    @discardableResult
    func restore(from path: String) throws -> [String: String]
}

extension TrainableAgent {
    public func greedyContinuousAction(_ observation: UnsafePointer<Float>, into action: UnsafeMutableBufferPointer<Float>) {
        preconditionFailure("\(kind) has a discrete policy")
    }

    /// The greedy policy over one episode: the rewards' sum and the portfolio value after the
    /// reset and after every step (the equity curve).
    public func run<E: TradingEnvironment>(_ env: inout E, seed: UInt64 = 0) -> (episodeReturn: Double, values: [Double]) {
        let n = env.observationCount
        var observation = [Float](repeating: 0, count: n)
        var action = [Float](repeating: 0, count: env.actionCount)
        return observation.withUnsafeMutableBufferPointer { obs in
            env.reset(seed: seed, observation: obs)
            var total = 0.0
            var values = [env.portfolioValue]
            while true {
                let outcome: StepOutcome
                if case .continuous = env.actionSpace {
                    outcome = action.withUnsafeMutableBufferPointer { a in
                        greedyContinuousAction(obs.baseAddress!, into: a)
                        return env.step(continuous: UnsafeBufferPointer(a), observation: obs)
                    }
                } else {
                    outcome = env.step(greedyAction(obs.baseAddress!), observation: obs)
                }
                if outcome.done { return (total, values) }
                total += outcome.reward
                values.append(env.portfolioValue)
            }
        }
    }
}
