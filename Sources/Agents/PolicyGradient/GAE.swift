/// Generalized advantage estimation (Schulman et al. 2016), as CleanRL's ppo.py computes it:
/// δₜ = rₜ + γ·V(sₜ₊₁)·(1 − doneₜ) − V(sₜ), Aₜ = δₜ + γλ·(1 − doneₜ)·Aₜ₊₁, and the value targets
/// Rₜ = Aₜ + V(sₜ). `doneₜ` marks a terminal sₜ₊₁ (no bootstrap); the value after the last step
/// is `bootstrap` (V of the state the rollout stopped in; 0 if that state is terminal).
/// λ = 1 gives Monte-Carlo returns minus the baseline (REINFORCE with a baseline).
///
/// With `stride` s the arrays hold s environments time-major (step t of environment e at
/// t·s + e, a vectorised rollout); each environment's sequence is computed on its own.
public enum GAE {
    public static func compute(rewards: UnsafePointer<Float>, values: UnsafePointer<Float>, dones: UnsafePointer<Float>, count: Int,
                               bootstrap: Float, gamma: Float, lambda: Float,
                               advantages: UnsafeMutablePointer<Float>, returns: UnsafeMutablePointer<Float>, stride s: Int = 1) {
        var running: Float = 0
        for t in Swift.stride(from: count - 1, through: 0, by: -1) {
            let i = t * s
            let nextValue = t == count - 1 ? bootstrap : values[i + s]
            let live = 1 - dones[i]
            let delta = rewards[i] + gamma * nextValue * live - values[i]
            running = delta + gamma * lambda * live * running
            advantages[i] = running
            returns[i] = running + values[i]
        }
    }
}
