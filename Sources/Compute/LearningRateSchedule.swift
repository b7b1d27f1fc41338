#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate as a function of the step number (0 for the first update).
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// Always `rate`.
    case constant(rate: Float)
    /// From `initial` to `final` linearly over `steps` steps, then `final` (SB3's linear schedule).
    case linear(initial: Float, final: Float, steps: Int)
    /// Cosine annealing from `initial` to `minimum` over `steps` steps, then `minimum`
    /// (`torch.optim.lr_scheduler.CosineAnnealingLR` with T_max = steps, eta_min = minimum).
    case cosine(initial: Float, minimum: Float, steps: Int)

    /// The learning rate for step `step`.
    public func rate(at step: Int) -> Float {
        switch self {
        case .constant(let rate):
            return rate
        case .linear(let initial, let final, let steps):
            guard steps > 0 else { return final }
            let progress = min(Float(step) / Float(steps), 1)
            // Written as a weighted mean so both end points come out exactly.
            return initial * (1 - progress) + final * progress
        case .cosine(let initial, let minimum, let steps):
            guard steps > 0 else { return minimum }
            let progress = min(Double(step) / Double(steps), 1)
            return minimum + (initial - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
