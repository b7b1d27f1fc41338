import Agents
import Foundation
import Testing

/// The benchmark environment of ../shared/peers/rl and the synthetic AR(1) task: rewards by hand,
/// episode length, the generators' statistics, and a signal a simple rule can exploit.
@Suite struct ReturnSeriesEnvironmentTests {
    func run(_ env: inout ReturnSeriesEnvironment, policy: ([Float]) -> Int) -> (steps: Int, total: Double) {
        var obs = [Float](repeating: 0, count: env.observationCount)
        var steps = 0, total = 0.0
        obs.withUnsafeMutableBufferPointer { o in
            env.reset(seed: 0, observation: o)
            while true {
                let outcome = env.step(policy(Array(o)), observation: o)
                if outcome.done { break }
                steps += 1
                total += outcome.reward
            }
        }
        return (steps, total)
    }

    @Test func rewardsAndObservationsByHand() {
        var env = ReturnSeriesEnvironment(logReturns: [0.01, -0.02, 0.03, 0.005], window: 2, cost: 0.001)
        var obs = [Float](repeating: 0, count: 3)
        obs.withUnsafeMutableBufferPointer { o in
            env.reset(seed: 0, observation: o)
            #expect(Array(o) == [0.01, -0.02, 0])
            // Long: +0.03 minus one unit of turnover.
            #expect(abs(env.step(2, observation: o).reward - (Double(Float(0.03)) - 0.001)) < 1e-12)
            #expect(Array(o) == [-0.02, 0.03, 1])
            // Long → short: −0.005 minus two units of turnover.
            #expect(abs(env.step(0, observation: o).reward - (-Double(Float(0.005)) - 0.002)) < 1e-12)
            #expect(env.step(1, observation: o).done)
        }
    }

    @Test func theBenchmarkWalkHasThePeersShape() {
        var env = ReturnSeriesEnvironment.randomWalk()
        #expect(env.logReturns.count == 99_999 && env.stepsPerEpisode == 99_989)
        let r = env.logReturns.map(Double.init)
        let mean = r.reduce(0, +) / Double(r.count)
        let std = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(r.count - 1)).squareRoot()
        // N(−σ²/2, σ) with σ = 0.01: the mean within 4 standard errors, σ within 2%.
        #expect(abs(mean + 0.00005) < 4 * 0.01 / 316 && abs(std - 0.01) < 0.0002)
        #expect(run(&env, policy: { _ in 1 }).steps == 99_989)
    }

    @Test func autoregressiveReturnsCarryASignal() {
        var env = ReturnSeriesEnvironment.autoregressive(returns: 20_000, phi: 0.3, seed: 5)
        let r = env.logReturns.map(Double.init)
        let mean = r.reduce(0, +) / Double(r.count)
        let lag = zip(r.dropFirst(), r).map { ($0 - mean) * ($1 - mean) }.reduce(0, +)
        let variance = r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        // Lag-1 autocorrelation φ = 0.3 within 4 standard errors (1/√20,000 ≈ 0.007).
        #expect(abs(lag / variance - 0.3) < 0.03)
        // Following the sign of the last return earns; a fixed seed of random actions does not.
        let follow = run(&env, policy: { obs in obs[9] > 0 ? 2 : 0 }).total
        var state: UInt64 = 1
        let random = run(&env, policy: { _ in state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 62) % 3 }).total
        #expect(follow > 5 && random < 0, "follow the sign: \(follow), random: \(random)")
    }
}
