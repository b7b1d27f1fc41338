import Compute

/// Every DQN hyperparameter, with Stable-Baselines3's defaults unless noted (CleanRL's dqn.py
/// reads the same way), so settings carry over.
public struct DQNConfiguration: Codable, Sendable, Equatable {
    /// Hidden layer sizes of the Q-network (ReLU between layers).
    public var hiddenSizes: [Int] = [64, 64]
    /// The optimizer's learning rate.
    public var learningRate: Float = 1e-4
    /// Transitions the replay buffer holds.
    public var bufferSize = 1_000_000
    /// Environment steps taken (at random) before learning starts.
    public var learningStarts = 100
    /// Transitions per gradient step.
    public var batchSize = 32
    /// Discount factor γ.
    public var gamma: Float = 0.99
    /// Environment steps between gradient updates.
    public var trainFrequency = 4
    /// Gradient steps per update.
    public var gradientSteps = 1
    /// Environment steps between target-network updates.
    public var targetUpdateInterval = 10_000
    /// The Polyak weight of a target update: target ← τ·online + (1 − τ)·target (1: copy).
    public var tau: Float = 1
    /// The fraction of the run over which ε decays linearly from its initial to its final value.
    public var explorationFraction = 0.1
    /// ε at the first step.
    public var explorationInitial = 1.0
    /// ε after the decay.
    public var explorationFinal = 0.05
    /// Huber (smooth L1, SB3's) or mean squared error on the TD error.
    public var loss: TDLoss = .huber
    /// Gradient global-norm clip (SB3: 10).
    public var maxGradientNorm: Float = 10
    /// Double DQN: the online network picks the next action, the target network values it.
    public var doubleDQN = false
    /// Dueling head: the last layer outputs V and k advantages, combined as V + A − mean(A).
    public var dueling = false
    /// The optimizer (SB3: Adam).
    public var optimizer: OptimizerKind = .adam
    /// Scale rewards as SB3's `VecNormalize` (`RewardNormalizer`) before they are stored; nil or
    /// false: raw rewards (optional, so configurations without it keep their checkpoints).
    public var normalizeReward: Bool? = nil

    public init() {}

    /// The TD loss.
    public typealias TDLoss = LossKind
}

/// Deep Q-learning (Mnih et al. 2015) on the Compute core, in CleanRL's order: act ε-greedily,
/// store the transition, and every `trainFrequency` steps after `learningStarts` fit Q(s, a) to
/// r + γ·(1 − done)·max Q_target(s', ·) on a uniform batch from the replay buffer; copy (or blend)
/// the online network into the target every `targetUpdateInterval` steps. Q_target(s', ·) of a
/// stored transition is computed once per target update (`TargetValueCache`), not per draw. One
/// thread, no allocation per step once running; the same seed gives the same parameters.
public final class DQNAgent: TrainableAgent {
    public let kind = "dqn"
    public let configuration: DQNConfiguration
    public let online: Sequential
    /// The target network. It holds its parameters (`Sequential.holdsParameters`): code that
    /// writes them calls `target.parametersDidChange()` after.
    public let target: Sequential
    public let optimizer: any Optimizer
    public let replay: ReplayBuffer
    let batch: ReplayBuffer.Batch
    /// Target values of replayed next states, reused until the target network or the slot changes.
    let targetCache: TargetValueCache
    let gradient: MatrixBuffer
    var targets: [Float]
    var nextActions: [Int]
    public var rng: Xoshiro256
    /// Environment steps taken and gradient steps done.
    public private(set) var steps = 0
    public private(set) var updates = 0
    /// Batch-1 forward passes of action selection since this agent was made (not checkpointed).
    public private(set) var greedyActions = 0
    /// Next states the target network has valued since this agent was made (not checkpointed).
    public var targetRowsComputed: Int { targetCache.rowsComputed }
    /// The loss of the latest gradient step.
    public private(set) var lastLoss: Float = 0
    /// Losses since the current episode began (for the epoch's mean loss).
    var lossSum = 0.0, lossCount = 0
    /// Scales stored rewards when `normalizeReward` is on.
    public private(set) lazy var rewardNormalizer = RewardNormalizer(gamma: Double(configuration.gamma))

    public var observationCount: Int { online.inputSize }
    public var actionCount: Int { online.outputSize }

    /// `replayCapacity` caps the ring below `bufferSize` when a run can never fill it (a run of
    /// N environment steps stores at most N transitions), which keeps TradeMaster's 10⁶-slot
    /// setting from reserving gigabytes for an 18 k-step run; sampling is unaffected.
    public init(observationCount: Int, actionCount: Int, configuration: DQNConfiguration = DQNConfiguration(), seed: UInt64, replayCapacity: Int? = nil) {
        self.configuration = configuration
        var rng = Xoshiro256(seed: seed)
        online = Self.network(observationCount: observationCount, actionCount: actionCount, configuration: configuration, using: &rng)
        target = Self.network(observationCount: observationCount, actionCount: actionCount, configuration: configuration, using: &rng)
        target.parameters.copyValues(from: online.parameters)
        // Written only at target updates and restores, each followed by parametersDidChange().
        target.holdsParameters = true
        optimizer = configuration.optimizer.make(parameters: online.parameters, learningRate: configuration.learningRate)
        replay = ReplayBuffer(capacity: max(1, min(configuration.bufferSize, replayCapacity ?? .max)), observationCount: observationCount)
        batch = ReplayBuffer.Batch(size: configuration.batchSize, observationCount: observationCount)
        targetCache = TargetValueCache(capacity: replay.capacity, actionCount: actionCount, batchSize: configuration.batchSize, observationCount: observationCount)
        gradient = MatrixBuffer(rows: configuration.batchSize, cols: actionCount)
        targets = [Float](repeating: 0, count: configuration.batchSize)
        nextActions = [Int](repeating: 0, count: configuration.batchSize)
        self.rng = rng
    }

    /// The Q-network: an MLP with ReLU, or with the dueling head an MLP to k + 1 outputs followed
    /// by the dueling aggregation.
    static func network(observationCount: Int, actionCount: Int, configuration: DQNConfiguration, using rng: inout Xoshiro256) -> Sequential {
        let sizes = [observationCount] + configuration.hiddenSizes + [actionCount + (configuration.dueling ? 1 : 0)]
        let layers = MLP.layers(sizes: sizes, activation: .relu)
        return Sequential(configuration.dueling ? layers + [DuelingCombine(actions: actionCount)] : layers, using: &rng)
    }

    /// The greedy action for one observation.
    public func greedyAction(_ observation: UnsafePointer<Float>) -> Int {
        greedyActions += 1
        let q = online.predict(observation)
        return Kernels.argmax(q.row(0), count: q.cols)
    }

    /// ε-greedy: a uniformly random action with probability ε, else the greedy one.
    public func action(_ observation: UnsafePointer<Float>, epsilon: Double) -> Int {
        if rng.nextUnitDouble() < epsilon { return rng.nextIndex(below: online.outputSize) }
        return greedyAction(observation)
    }

    /// Trains for `totalSteps` environment steps from a reset, calling `episodeEnded` after every
    /// finished episode with the step count and the episode's return. The trading environments
    /// end by running out of data — a time limit, not a terminal state — so every transition
    /// bootstraps from its next state (SB3's timeout handling); the step that reports the end
    /// takes no action and is not a transition.
    public func learn<E: TradingEnvironment>(_ env: inout E, totalSteps: Int, seed: UInt64 = 0, episodeEnded: ((Int, Double) -> Void)? = nil) {
        let schedule = ExplorationSchedule(initial: configuration.explorationInitial, final: configuration.explorationFinal,
                                           fraction: configuration.explorationFraction, totalSteps: totalSteps)
        let start = steps
        var episodes = 0
        while steps - start < totalSteps {
            let stats = runEpisode(&env, seed: seed &+ UInt64(episodes)) { steps - start >= totalSteps ? nil : schedule.epsilon(at: steps - start) }
            guard stats.completed else { return }
            episodes += 1
            episodeEnded?(steps, stats.episodeReturn)
        }
    }

    /// One epoch: an episode of `env` from a reset, ε following the schedule over `plannedSteps`
    /// counted from this agent's first step.
    public func trainEpisode<E: TradingEnvironment>(_ env: inout E, seed: UInt64, plannedSteps: Int, shouldStop: () -> Bool) -> EpisodeTrainingStats {
        let schedule = ExplorationSchedule(initial: configuration.explorationInitial, final: configuration.explorationFinal,
                                           fraction: configuration.explorationFraction, totalSteps: plannedSteps)
        return runEpisode(&env, seed: seed) { shouldStop() ? nil : schedule.epsilon(at: steps) }
    }

    /// The training loop over one episode. `epsilon()` is asked before every step; nil stops the
    /// episode there (budget spent or cancelled), reported as not completed.
    func runEpisode<E: TradingEnvironment>(_ env: inout E, seed: UInt64, epsilon: () -> Double?) -> EpisodeTrainingStats {
        let n = env.observationCount
        let observation = AlignedBuffer(count: n), nextObservation = AlignedBuffer(count: n)
        let obs = UnsafeMutableBufferPointer(start: observation.base, count: n), nextObs = UnsafeMutableBufferPointer(start: nextObservation.base, count: n)
        env.reset(seed: seed, observation: obs)
        var episodeReturn = 0.0, taken = 0, lastEpsilon = configuration.explorationFinal
        lossSum = 0
        lossCount = 0
        while true {
            guard let eps = epsilon() else {
                return EpisodeTrainingStats(steps: taken, episodeReturn: episodeReturn, meanLoss: meanLoss, exploration: lastEpsilon, completed: false)
            }
            lastEpsilon = eps
            let a = steps < configuration.learningStarts ? rng.nextIndex(below: env.actionCount) : action(observation.base, epsilon: eps)
            let outcome = env.step(a, observation: nextObs)
            if outcome.done {
                rewardNormalizer.episodeEnded()
                return EpisodeTrainingStats(steps: taken, episodeReturn: episodeReturn, meanLoss: meanLoss, exploration: lastEpsilon, completed: true)
            }
            episodeReturn += outcome.reward
            taken += 1
            targetCache.invalidate(slot: replay.next)
            let stored = configuration.normalizeReward == true ? rewardNormalizer.normalize(outcome.reward) : outcome.reward
            replay.add(observation: observation.base, action: a, reward: Float(stored), nextObservation: nextObservation.base, done: false)
            observation.base.update(from: nextObservation.base, count: n)
            steps += 1
            if steps > configuration.learningStarts && steps % configuration.trainFrequency == 0 {
                for _ in 0..<configuration.gradientSteps { update() }
            }
            if steps % configuration.targetUpdateInterval == 0 {
                if configuration.tau >= 1 { target.parameters.copyValues(from: online.parameters) } else { target.parameters.blendValues(from: online.parameters, tau: configuration.tau) }
                target.parametersDidChange()
                targetCache.invalidateAll()
            }
        }
    }

    var meanLoss: Double { lossCount > 0 ? lossSum / Double(lossCount) : .nan }

    /// The greedy policy's return over one episode (no learning, no exploration).
    public func evaluate<E: TradingEnvironment>(_ env: inout E, seed: UInt64 = 0) -> Double {
        let n = env.observationCount
        let observation = AlignedBuffer(count: n)
        let obs = UnsafeMutableBufferPointer(start: observation.base, count: n)
        env.reset(seed: seed, observation: obs)
        var total = 0.0
        while true {
            let outcome = env.step(greedyAction(observation.base), observation: obs)
            if outcome.done { return total }
            total += outcome.reward
        }
    }

    /// One gradient step on a uniform batch from the replay buffer.
    public func update() {
        // The target cache reads the next states it needs from the ring; only double DQN's
        // online pass over all of them wants the batch's copies.
        replay.sample(into: batch, using: &rng, nextObservations: configuration.doubleDQN)
        let b = batch.size
        let gamma = configuration.gamma
        if configuration.doubleDQN {
            let qNext = online.forward(batch.nextObservations)
            for i in 0..<b { nextActions[i] = Kernels.argmax(qNext.row(i), count: qNext.cols) }
        }
        targetCache.fill(for: batch, from: replay, target: target)
        for i in 0..<b {
            let qTarget = targetCache.values(ofSlot: batch.indices[i])
            let next = configuration.doubleDQN ? qTarget[nextActions[i]] : qTarget[Kernels.argmax(qTarget, count: actionCount)]
            targets[i] = batch.rewards[i] + gamma * (1 - batch.dones[i]) * next
        }
        let q = online.forward(batch.observations)
        let g = gradient.matrix
        g.fill(0)
        var loss: Float = 0
        let scale = 1 / Float(b)
        for i in 0..<b {
            let a = batch.actions[i]
            let d = q[i, a] - targets[i]
            switch configuration.loss {
            case .huber:
                // Smooth L1 with δ = 1 (PyTorch's smooth_l1_loss, SB3's DQN loss).
                if abs(d) < 1 { loss += 0.5 * d * d; g[i, a] = d * scale } else { loss += abs(d) - 0.5; g[i, a] = (d > 0 ? 1 : -1) * scale }
            case .mse:
                loss += d * d
                g[i, a] = 2 * d * scale
            }
        }
        lastLoss = loss * scale
        lossSum += Double(lastLoss)
        lossCount += 1
        online.backward(outputGradient: g)
        _ = GradientClipping.clipGlobalNorm(online.parameters, maxNorm: configuration.maxGradientNorm)
        optimizer.step()
        updates += 1
    }

    // MARK: state

    /// Networks, Adam's moments, the replay contents and their cached target values, the
    /// generator and the counters.
    public func save(to path: String, metadata: [String: String]) throws {
        var w = AgentStateWriter(kind: kind, configurationJSON: configuration.canonicalJSON())
        for (key, value) in metadata { w.setMetadata(key, value) }
        w.add("online", parameters: online.parameters)
        w.add("target", parameters: target.parameters)
        w.add("optimizer", optimizer: optimizer)
        replay.write(into: &w, prefix: "replay")
        targetCache.write(into: &w, prefix: "target_values", count: replay.count)
        w.add("rng", generator: rng)
        w.add("counters.steps", integer: steps)
        w.add("counters.updates", integer: updates)
        w.add("counters.last_loss", float: lastLoss)
        if configuration.normalizeReward == true { w.add("reward_normalizer", doubles: rewardNormalizer.state) }
        try w.write(to: path)
    }

    @discardableResult
    public func restore(from path: String) throws -> [String: String] {
        let r = try AgentStateReader(path: path, kind: kind, configurationJSON: configuration.canonicalJSON())
        // Even when a read below throws halfway: the target's next pass derives from what it holds.
        defer { target.parametersDidChange() }
        try r.read("online", parameters: online.parameters)
        try r.read("target", parameters: target.parameters)
        try r.read("optimizer", optimizer: optimizer)
        try replay.read(from: r, prefix: "replay")
        try targetCache.read(from: r, prefix: "target_values", count: replay.count)
        rng = try r.generator("rng")
        steps = try r.integer("counters.steps")
        updates = try r.integer("counters.updates")
        lastLoss = try r.float("counters.last_loss")
        if configuration.normalizeReward == true { rewardNormalizer.restore(try r.doubles("reward_normalizer", count: 4)) }
        return r.file.metadata
    }
}
