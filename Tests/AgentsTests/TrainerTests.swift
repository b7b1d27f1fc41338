import Agents
import Compute
import Foundation
import Testing

/// The epoch loop: metrics per epoch, the best epoch kept, cancellation at a safe point, and a
/// resumed run bit-identical to an uninterrupted one.
@Suite struct TrainerTests {
    static func dqnConfiguration() -> DQNConfiguration {
        var c = DQNConfiguration()
        c.hiddenSizes = [16, 16]
        c.learningRate = 1e-3
        c.bufferSize = 5_000
        c.learningStarts = 300
        c.batchSize = 16
        c.trainFrequency = 2
        c.targetUpdateInterval = 200
        c.explorationFraction = 0.5
        return c
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("qf-trainer-\(UUID().uuidString)").path
    }

    /// A trainer over small AR(1) splits (train 1,500 steps, valid 500).
    static func makeTrainer(directory: String?, epochs: Int = 4, patience: Int = 0) -> Trainer<DQNAgent, ReturnSeriesEnvironment> {
        let train = ReturnSeriesEnvironment.autoregressive(returns: 1_510, phi: 0.3, seed: 21)
        let valid = ReturnSeriesEnvironment.autoregressive(returns: 510, phi: 0.3, seed: 22)
        let agent = DQNAgent(observationCount: train.observationCount, actionCount: 3, configuration: dqnConfiguration(), seed: 5)
        var c = TrainerConfiguration()
        c.epochs = epochs
        c.seed = 9
        c.earlyStoppingPatience = patience
        return Trainer(agent: agent, train: train, valid: valid, configuration: c, directory: directory)
    }

    static func state(_ agent: DQNAgent) -> [[Float]] {
        [agent.online.parameters.values, agent.target.parameters.values, agent.optimizer.stateBuffers[0].buffer, agent.optimizer.stateBuffers[1].buffer]
            .map { Array(UnsafeBufferPointer(start: $0.base, count: $0.count)) }
    }

    @Test func reportsEveryEpochAndKeepsTheBest() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trainer = Self.makeTrainer(directory: dir)
        var seen: [EpochMetrics] = []
        #expect(try trainer.run(onEpoch: { seen.append($0) }) == .completed)
        #expect(seen.map(\.epoch) == [1, 2, 3, 4] && seen == trainer.progress.history)
        #expect(trainer.progress.stepsPerEpoch == 1_500 && seen.allSatisfy { $0.validSharpe != nil && $0.epsilon != nil && $0.stepsPerSecond > 0 })
        // ε decays over the first half of the 6,000 planned steps, so it bottoms out from epoch 2.
        #expect(seen[0].epsilon! > 0.5 && abs(seen[1].epsilon! - 0.05) < 1e-12 && abs(seen[3].epsilon! - 0.05) < 1e-12)
        let best = seen.max { ($0.validSharpe ?? -.infinity) < ($1.validSharpe ?? -.infinity) }!
        #expect(trainer.progress.bestEpoch == best.epoch)
        // The best checkpoint reproduces the best epoch's validation figure.
        try trainer.restoreBest()
        var valid = ReturnSeriesEnvironment.autoregressive(returns: 510, phi: 0.3, seed: 22)
        #expect(trainer.evaluate(&valid).sharpe == best.validSharpe)
        // Metrics encode under their documented names.
        let json = String(decoding: try JSONEncoder().encode(seen[0]), as: UTF8.self)
        for key in ["loss", "mean_reward", "episode_return", "epsilon", "valid_total_return", "valid_sharpe", "valid_max_drawdown", "steps_per_second"] {
            #expect(json.contains("\"\(key)\""), "\(key) in \(json)")
        }
    }

    @Test func aCancelledRunResumesBitIdentically() throws {
        BLAS.setThreadCount(1)
        let straight = Self.makeTrainer(directory: Self.temporaryDirectory())
        defer { try? FileManager.default.removeItem(atPath: straight.directory!) }
        #expect(try straight.run() == .completed)

        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Cancel in the middle of epoch 3 (1,500 steps per epoch): the partial epoch is dropped.
        var checks = 0
        let first = Self.makeTrainer(directory: dir)
        #expect(try first.run(shouldStop: { checks += 1; return checks > 3_700 }) == .cancelled)
        #expect(first.progress.epochsDone == 2)

        // A new process: fresh agent, same configuration, resumes from the checkpoint.
        let second = Self.makeTrainer(directory: dir)
        #expect(try second.resumeIfPossible())
        #expect(second.progress.epochsDone == 2)
        #expect(try second.run() == .completed)
        #expect(second.progress.history.map(\.withoutTiming) == straight.progress.history.map(\.withoutTiming))
        #expect(Self.state(second.agent) == Self.state(straight.agent), "weights, target and Adam moments bit-identical")
        #expect(second.agent.rng == straight.agent.rng && second.agent.steps == straight.agent.steps && second.agent.updates == straight.agent.updates)
    }

    @Test func earlyStoppingStopsAfterThePatienceRunsOut() throws {
        let trainer = Self.makeTrainer(directory: nil, epochs: 30, patience: 2)
        let status = try trainer.run()
        let h = trainer.progress.history
        #expect(status == .earlyStopped && h.count < 30)
        // The last two epochs did not beat the best before them.
        let bestBefore = h.dropLast(2).compactMap(\.validSharpe).max()!
        #expect(h.suffix(2).allSatisfy { ($0.validSharpe ?? -.infinity) <= bestBefore })
    }

    @Test func aCheckpointOfAnotherConfigurationIsRefused() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trainer = Self.makeTrainer(directory: dir, epochs: 1)
        _ = try trainer.run()
        var c = Self.dqnConfiguration()
        c.gamma = 0.9
        let other = DQNAgent(observationCount: 11, actionCount: 3, configuration: c, seed: 5)
        let before = Self.state(other)
        #expect(throws: AgentsError.self) { try other.restore(from: trainer.checkpointPath!) }
        // The configuration is checked before anything is read: weights, moments and counters
        // stay as they were (the trained checkpoint's weights differ from these).
        #expect(Self.state(other) == before && Self.state(other) != Self.state(trainer.agent))
        #expect(other.steps == 0)
    }
}
