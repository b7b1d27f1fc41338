/// The ε of ε-greedy exploration as a function of the environment step: linear from `initial` to
/// `final` over the first `fraction` of `totalSteps`, then constant (Stable-Baselines3's and
/// CleanRL's DQN schedule, with their defaults 1.0 → 0.05 over 10% of training).
public struct ExplorationSchedule: Codable, Sendable, Equatable {
    /// ε at step 0.
    public var initial: Double
    /// ε after the decay.
    public var final: Double
    /// Fraction of `totalSteps` over which ε decays.
    public var fraction: Double
    /// Total environment steps of the run.
    public var totalSteps: Int

    public init(initial: Double = 1.0, final: Double = 0.05, fraction: Double = 0.1, totalSteps: Int) {
        precondition((0...1).contains(initial) && (0...1).contains(final), "ExplorationSchedule: ε must lie in [0, 1]")
        precondition(fraction >= 0 && totalSteps >= 0, "ExplorationSchedule: fraction and totalSteps must be non-negative")
        self.initial = initial
        self.final = final
        self.fraction = fraction
        self.totalSteps = totalSteps
    }

    /// ε at environment step `step`.
    public func epsilon(at step: Int) -> Double {
        let decaySteps = fraction * Double(totalSteps)
        guard decaySteps > 0 else { return final }
        let progress = min(Double(step) / decaySteps, 1)
        return initial + (final - initial) * progress
    }
}
