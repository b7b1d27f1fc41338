@testable import Agents
import Compute
import Foundation
import MallocCounter
import Testing

/// DQN on the Compute core: the replay ring, the TD target by hand, learning a real signal, and
/// the same seed giving the same network.
@Suite struct DQNTests {
    @Test func replayBufferWrapsAround() {
        let buffer = ReplayBuffer(capacity: 3, observationCount: 2)
        for k in 0..<5 {
            let o: [Float] = [Float(k), Float(k) + 0.5], n: [Float] = [Float(k + 1), 0]
            buffer.add(observation: o, action: k % 3, reward: Float(k), nextObservation: n, done: k == 4)
        }
        // Capacity 3 after 5 adds: slots hold transitions 3, 4, 2 and the next goes to slot 2.
        #expect(buffer.count == 3 && buffer.next == 2)
        let batch = ReplayBuffer.Batch(size: 64, observationCount: 2)
        var rng = Xoshiro256(seed: 1)
        buffer.sample(into: batch, using: &rng)
        let seen = Set((0..<64).map { batch.rewards[$0] })
        #expect(seen == [2, 3, 4], "only the three newest transitions remain")
        for i in 0..<64 {
            let k = batch.rewards[i]
            #expect(batch.observations[i, 0] == k && batch.observations[i, 1] == k + 0.5 && batch.nextObservations[i, 0] == k + 1)
            #expect(batch.actions[i] == Int(k) % 3 && batch.dones[i] == (k == 4 ? 1 : 0))
            #expect(buffer.nextObservation(ofSlot: batch.indices[i])[0] == k + 1, "the ring's own next state of the drawn slot")
        }
        // Without next states (DQN's way: its target cache reads its misses' from the ring), the
        // batch's next-state rows are left as they were and the rest is drawn as before.
        batch.nextObservations.fill(-7)
        buffer.sample(into: batch, using: &rng, nextObservations: false)
        for i in 0..<64 {
            let k = batch.rewards[i]
            #expect(batch.observations[i, 0] == k && batch.nextObservations[i, 0] == -7 && batch.nextObservations[i, 1] == -7)
            #expect(buffer.nextObservation(ofSlot: batch.indices[i])[0] == k + 1)
        }
    }

    func configuration() -> DQNConfiguration {
        var c = DQNConfiguration()
        c.hiddenSizes = [32, 32]
        c.learningRate = 1e-3
        c.bufferSize = 20_000
        c.learningStarts = 1_000
        c.batchSize = 32
        c.gamma = 0.5
        c.trainFrequency = 2
        c.targetUpdateInterval = 250
        c.explorationFraction = 0.3
        c.explorationFinal = 0.02
        return c
    }

    @Test(arguments: [false, true])
    func learnsTheAutoregressiveSignal(doubleDueling: Bool) {
        // Train on one AR(1) series, evaluate greedily on another: the agent must beat both a
        // random policy and buy-and-hold by a clear margin (the sign-following rule earns ~+6).
        var train = ReturnSeriesEnvironment.autoregressive(returns: 20_000, phi: 0.3, seed: 11)
        var test = ReturnSeriesEnvironment.autoregressive(returns: 5_000, phi: 0.3, seed: 12)
        var c = configuration()
        c.doubleDQN = doubleDueling
        c.dueling = doubleDueling
        let agent = DQNAgent(observationCount: train.observationCount, actionCount: 3, configuration: c, seed: 7)
        #expect(agent.online.layers.last is DuelingCombine == doubleDueling)
        agent.learn(&train, totalSteps: 30_000)
        let learned = agent.evaluate(&test)
        var hold = test
        var obs = [Float](repeating: 0, count: hold.observationCount)
        var buyAndHold = 0.0
        obs.withUnsafeMutableBufferPointer { o in
            hold.reset(seed: 0, observation: o)
            while true { let r = hold.step(2, observation: o); if r.done { break }; buyAndHold += r.reward }
        }
        #expect(learned > buyAndHold + 0.5 && learned > 0.5, "learned \(learned), buy and hold \(buyAndHold)")
        #expect(agent.updates > 10_000 && agent.lastLoss.isFinite)
    }

    @Test(arguments: [(Float(1), false), (Float(0.5), false), (Float(1), true)])
    func reusedTargetValuesEqualAFreshTargetPass(tau: Float, doubleDQN: Bool) {
        // A ring of 300 that wraps every 300 steps and a target update every 40: both ways a
        // reused value can go stale (the target moved, the slot was overwritten) happen often.
        var env = ReturnSeriesEnvironment.autoregressive(returns: 5_000, seed: 4)
        var c = configuration()
        c.bufferSize = 300
        c.learningStarts = 50
        c.trainFrequency = 1
        c.targetUpdateInterval = 40
        c.tau = tau
        c.doubleDQN = doubleDQN
        let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 9)
        // The expected values come from a network that does not hold its parameters (the target
        // does, and keeps its layers' Wᵀ copies between target updates): a copy made afresh.
        var referenceRNG = Xoshiro256(seed: 1)
        let reference = DQNAgent.network(observationCount: env.observationCount, actionCount: 3, configuration: c, using: &referenceRNG)
        #expect(agent.target.holdsParameters && !reference.holdsParameters)
        var checked = 0, worst: Float = 0
        for _ in 0..<300 {
            agent.learn(&env, totalSteps: 7)
            // The last step updated the network; skip it when the target moved after that update.
            guard agent.updates > 0, agent.steps % c.targetUpdateInterval != 0 else { continue }
            reference.parameters.copyValues(from: agent.target.parameters)
            // The next states straight from the ring (the batch carries them only for double DQN).
            let nextStates = MatrixBuffer(rows: c.batchSize, cols: env.observationCount)
            for i in 0..<c.batchSize {
                nextStates.matrix.row(i).update(from: agent.replay.nextObservation(ofSlot: agent.batch.indices[i]), count: env.observationCount)
            }
            let q = reference.forward(nextStates.matrix)
            for i in 0..<c.batchSize {
                let next = doubleDQN ? q[i, agent.nextActions[i]] : (0..<3).map { q[i, $0] }.max()!
                let expected = agent.batch.rewards[i] + c.gamma * (1 - agent.batch.dones[i]) * next
                worst = max(worst, abs(agent.targets[i] - expected) / max(1, abs(expected)))
            }
            checked += 1
        }
        #expect(checked > 250 && agent.replay.count == 300)
        #expect(worst <= 1e-5, "largest relative difference \(worst)")
    }

    @Test func aGradientStepAllocatesNothingOnceWarm() {
        // One BLAS thread, as `qf train` and workers run: OpenBLAS's threaded GEMM allocates its
        // job arrays per call, and its thread count is process-wide (another test may have left 2).
        ComputeConfiguration(blasThreads: 1).apply()
        var env = ReturnSeriesEnvironment.autoregressive(returns: 3_000, seed: 5)
        var c = configuration()
        c.hiddenSizes = [128, 128]
        c.batchSize = 64
        c.learningStarts = 100
        let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 2)
        agent.learn(&env, totalSteps: 1_000)
        let before = qf_thread_allocation_count()
        for k in 0..<200 {
            // Target updates between steps, so the batches of target misses vary in size.
            if k % 7 == 0 { agent.targetCache.invalidateAll() }
            agent.update()
        }
        let after = qf_thread_allocation_count()
        #expect(after == before, "\(after - before) allocations in 200 warm gradient steps")
    }

    @Test func theSameSeedGivesTheSameNetwork() {
        func train() -> [Float] {
            var env = ReturnSeriesEnvironment.autoregressive(returns: 3_000, seed: 2)
            var c = configuration()
            c.learningStarts = 200
            let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 3)
            agent.learn(&env, totalSteps: 2_000)
            return Array(UnsafeBufferPointer(start: agent.online.parameters.values.base, count: agent.online.parameters.count))
        }
        #expect(train() == train())
    }
}
