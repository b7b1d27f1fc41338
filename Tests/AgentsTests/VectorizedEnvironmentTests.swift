@testable import Agents
import Compute
import Foundation
import Testing

/// Vectorised environments step N copies like N separate ones, flag episode ends and reset; GAE
/// over a time-major rollout equals GAE per copy; PPO on 8 copies learns AR(1).
@Suite struct VectorizedEnvironmentTests {
    @Test func theGeneralFormStepsLikeSeparateCopies() {
        let series = ReturnSeriesEnvironment.autoregressive(returns: 40, seed: 3)
        var vector = VectorizedEnvironment(count: 3) { _ in series }
        var separate = [series, series, series]
        let observations = MatrixBuffer(rows: 3, cols: series.observationCount)
        vector.reset(seed: 0, observations: observations.matrix)
        var single = [Float](repeating: 0, count: series.observationCount)
        var rewards = [Float](repeating: 0, count: 3), dones = [Float](repeating: 0, count: 3)
        for i in 0..<3 { single.withUnsafeMutableBufferPointer { separate[i].reset(seed: 0, observation: $0) } }
        var rng = Xoshiro256(seed: 9)
        var ends = 0, taken = [0, 0, 0]
        for step in 0..<75 {
            let actions = (0..<3).map { _ in Int32(rng.nextIndex(below: 3)) }
            vector.step(actions: actions, observations: observations.matrix, rewards: &rewards, dones: &dones)
            for i in 0..<3 {
                single.withUnsafeMutableBufferPointer { o in
                    let reward = separate[i].step(Int(actions[i]), observation: o).reward
                    taken[i] += 1
                    // The separate copy would report its end on the next call: that makes this
                    // step the episode's last, and the vector resets the copy after it.
                    var probe = separate[i]
                    var scratch = [Float](repeating: 0, count: o.count)
                    let last = scratch.withUnsafeMutableBufferPointer { probe.step(0, observation: $0).done }
                    if last {
                        ends += 1
                        taken[i] = 0
                        separate[i].reset(seed: 0, observation: o)
                    }
                    #expect(rewards[i] == Float(reward) && dones[i] == (last ? 1 : 0), "step \(step), copy \(i)")
                }
                #expect(Array(UnsafeBufferPointer(start: observations.matrix.row(i), count: single.count)) == single, "step \(step), copy \(i)")
            }
        }
        // 30 steps per episode: every copy ended twice in 75 steps.
        #expect(ends == 6)
    }

    @Test func theStructOfArraysFormComputesTheBenchmarkReward() {
        let walk = ReturnSeriesEnvironment.randomWalk(prices: 2_000, seed: 1)
        var env = VectorizedReturnSeries(logReturns: walk.logReturns, count: 4, episodeLength: 50)
        let observations = MatrixBuffer(rows: 4, cols: 11)
        env.reset(seed: 5, observations: observations.matrix)
        var rewards = [Float](repeating: 0, count: 4), dones = [Float](repeating: 0, count: 4)
        var positions: [Float] = [0, 0, 0, 0]
        for step in 1...120 {
            let actions: [Int32] = [0, 1, 2, Int32(step % 3)]
            // The next return is the one after the window the copy sees: find it in the series.
            let nextReturns = (0..<4).map { env.logReturns[env.t[$0]] }
            env.step(actions: actions, observations: observations.matrix, rewards: &rewards, dones: &dones)
            for i in 0..<4 {
                let p = Float(actions[i] - 1)
                #expect(abs(rewards[i] - (p * nextReturns[i] - 0.001 * abs(p - positions[i]))) < 1e-7)
                #expect(dones[i] == (step % 50 == 0 ? 1 : 0))
                positions[i] = dones[i] == 1 ? 0 : p
                #expect(observations.matrix[i, 10] == positions[i])
            }
        }
    }

    @Test func gaeOverATimeMajorRolloutEqualsGaePerCopy() {
        var rng = Xoshiro256(seed: 4)
        let n = 3, steps = 7
        let r = (0..<(n * steps)).map { _ in rng.nextNormal() }, v = (0..<(n * steps)).map { _ in rng.nextNormal() }
        let d = (0..<(n * steps)).map { $0 % 5 == 4 ? Float(1) : 0 }
        var adv = [Float](repeating: 0, count: n * steps), ret = adv
        let boot: [Float] = [0.3, -0.2, 0.7]
        for e in 0..<n {
            GAE.compute(rewards: Array(r[e...]), values: Array(v[e...]), dones: Array(d[e...]), count: steps, bootstrap: boot[e], gamma: 0.9, lambda: 0.8,
                        advantages: &adv[e], returns: &ret[e], stride: n)
        }
        for e in 0..<n {
            let column = { (x: [Float]) in (0..<steps).map { x[$0 * n + e] } }
            var a = [Float](repeating: 0, count: steps), b = a
            GAE.compute(rewards: column(r), values: column(v), dones: column(d), count: steps, bootstrap: boot[e], gamma: 0.9, lambda: 0.8, advantages: &a, returns: &b)
            #expect(column(adv) == a && column(ret) == b)
        }
    }

    @Test func ppoOnEightCopiesLearnsTheAutoregressiveSignal() throws {
        let series = ReturnSeriesEnvironment.autoregressive(returns: 20_000, phi: 0.3, seed: 11)
        var env = VectorizedReturnSeries(logReturns: series.logReturns, count: 8, episodeLength: 1_000, cost: 0.0005)
        var c = PolicyGradientConfiguration.ppo
        c.hiddenSizes = [32, 32]
        c.learningRate = 1e-3
        c.rolloutSteps = 128
        c.gamma = 0.5
        c.entropyCoefficient = 0.001
        let agent = try PolicyGradientAgent(observationCount: 11, actionCount: 3, configuration: c, seed: 7)
        agent.learn(vectorized: &env, totalSteps: 40_000)
        #expect(agent.steps == 40_960, "40 rollouts of 128 steps × 8 copies")
        let (learned, buyAndHold) = PolicyGradientTests.heldOut(agent)
        #expect(learned > buyAndHold + 3 && learned > 3, "learned \(learned), buy and hold \(buyAndHold)")
    }
}
