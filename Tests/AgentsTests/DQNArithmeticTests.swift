@testable import Agents
import Compute
import Foundation
import Testing

/// The arithmetic a DQN run is charged for its float32 floor (`qf bench agents`): counted from
/// what the run did, checked here against counts made outside the agent.
@Suite struct DQNArithmeticTests {
    @Test(arguments: [false, true])
    func countsEveryProductTheRunDid(doubleDQN: Bool) {
        var env = ReturnSeriesEnvironment.autoregressive(returns: 2_000, seed: 3)
        var c = DQNConfiguration()
        c.hiddenSizes = [16, 8]
        c.batchSize = 16
        c.bufferSize = 500
        c.learningStarts = 40
        c.trainFrequency = 1
        // A target update after every step: each gradient step must value every distinct slot
        // it draws afresh, which this test counts from the batches themselves.
        c.targetUpdateInterval = 1
        c.doubleDQN = doubleDQN
        // Each one-step `learn` starts its own schedule at ε's initial value: a coin flip.
        c.explorationInitial = 0.5
        let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 5)
        var distinctDraws = 0, updates = 0
        for _ in 0..<300 {
            agent.learn(&env, totalSteps: 1)
            guard agent.updates > updates else { continue }
            updates = agent.updates
            distinctDraws += Set((0..<c.batchSize).map { agent.batch.indices[$0] }).count
        }
        #expect(updates == 300 - c.learningStarts)
        #expect(agent.targetRowsComputed == distinctDraws)
        // About half the 260 actions after learning starts were greedy.
        #expect(agent.greedyActions > 50 && agent.greedyActions < 210)

        // Multiply-adds of an 11 → 16 → 8 → 3 network, two operations each, by hand.
        let obs = Double(env.observationCount)
        let perRow = 2 * (obs * 16 + 16 * 8 + 8 * 3)
        let forwards = doubleDQN ? 2.0 : 1.0
        let backward = 2 * perRow - 2 * obs * 16 // no input gradient for the first layer
        let expected = Double(updates) * 16 * (forwards * perRow + backward)
            + Double(agent.targetRowsComputed + agent.greedyActions) * perRow
        let arithmetic = DQNArithmetic(of: agent)
        #expect(arithmetic.productFlops == expected)
        let parameters = Int(obs) * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3
        #expect(arithmetic.adamParameters == updates * parameters)
    }

    @Test func theFloorIsTheArithmeticAtTheCeilings() throws {
        let ceiling = ArithmeticCeiling(fmaFlopsPerSecond: 100e9, dividerSecondsPerEightLanes: 4e-9, family: "avx2")
        // 7 MFLOP at 100 GFLOP/s is 70 µs; 16,000 parameters are 2,000 root-and-division pairs of 4 ns.
        #expect(abs(ceiling.floorSeconds(flops: 7e6, adamParameters: 16_000) - 78e-6) < 1e-12)
        if GemmKernels.active != .openblas {
            let measured = try #require(ArithmeticCeiling.measure(samples: 2, secondsPerSample: 0.005, clock: { DispatchTime.now().uptimeNanoseconds }))
            #expect(measured.fmaFlopsPerSecond > 0 && measured.fmaFlopsPerSecond.isFinite)
            #expect(measured.dividerSecondsPerEightLanes > 0 && measured.dividerSecondsPerEightLanes.isFinite)
            #expect(measured.family == GemmKernels.active.rawValue)
        } else {
            #expect(ArithmeticCeiling.measure(clock: { DispatchTime.now().uptimeNanoseconds }) == nil)
        }
    }
}
