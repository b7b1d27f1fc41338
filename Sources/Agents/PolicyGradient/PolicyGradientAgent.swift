import Compute
import Foundation

/// On-policy actor-critic learning for discrete actions, in CleanRL's ppo.py order: collect a
/// rollout with the categorical policy, estimate advantages with GAE(λ) against the value
/// network, then take minibatch gradient steps for a few epochs on
///   L = L_policy + c_v·L_value − c_H·H,
/// where for PPO (Schulman et al. 2017) L_policy = mean(max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))) with
/// ρ = π(a|s)/π_old(a|s), and for A2C and REINFORCE L_policy = −mean(A·log π(a|s)).
/// L_value = mean((V(s) − R)²) (or Huber), or with `clipRangeValue` the larger of that and the clipped
/// prediction's error (CleanRL's value clipping). Policy and value are separate MLPs with one
/// joint gradient-norm clip. The trading environments end on a time limit, so a rollout cut by
/// the episode's end bootstraps from the value of the last state (SB3's timeout handling).
public final class PolicyGradientAgent: TrainableAgent {
    public var kind: String { configuration.algorithm.rawValue }
    public let configuration: PolicyGradientConfiguration
    public let actor: Sequential
    public let critic: Sequential
    public let actorOptimizer: any Optimizer
    public let criticOptimizer: any Optimizer
    public var rng: Xoshiro256
    /// Environment steps taken and gradient steps done.
    public private(set) var steps = 0
    public private(set) var updates = 0
    let rollout: Rollout
    var minibatch: Minibatch
    var sampled: [Int32] = [0]
    /// Continuous actions: the Gaussian's log σ (the actor's last layer) and a one-row sample.
    let logStd: LogStdLayer?
    let sampledVector: MatrixBuffer
    var lossSum = 0.0, entropySum = 0.0, statCount = 0
    /// The epoch's separate parts (CleanRL's and SB3's logged figures), summed per gradient step
    /// and, for explained variance, per rollout.
    var diagnostics = DiagnosticSums()
    /// Scales rollout rewards when `normalizeReward` is on (single-environment training).
    public private(set) lazy var rewardNormalizer = RewardNormalizer(gamma: Double(configuration.gamma))

    public var observationCount: Int { actor.inputSize }
    public var actionCount: Int { actor.outputSize }
    /// Discrete (categorical policy) or continuous (diagonal Gaussian policy).
    public let actionSpace: ActionSpace

    /// A categorical policy over `actionCount` actions.
    public convenience init(observationCount: Int, actionCount: Int, configuration: PolicyGradientConfiguration = .ppo, seed: UInt64) throws {
        try self.init(observationCount: observationCount, actionSpace: .discrete(actionCount), configuration: configuration, seed: seed)
    }

    /// A categorical policy for a discrete space; for a continuous one a diagonal Gaussian whose
    /// means the actor outputs and whose log σ is one learned vector (SB3's), the action passed
    /// to the environment unsquashed (the portfolio environment applies its softmax:
    /// Gaussian-then-softmax weights).
    public init(observationCount: Int, actionSpace: ActionSpace, configuration: PolicyGradientConfiguration = .ppo, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        self.actionSpace = actionSpace
        var rng = Xoshiro256(seed: seed)
        let actionCount: Int
        switch actionSpace {
        case .discrete(let n):
            actionCount = n
            logStd = nil
            actor = MLP.make(sizes: [observationCount] + configuration.hiddenSizes + [n], activation: configuration.activation, using: &rng)
        case .continuous(let d):
            actionCount = d
            let head = LogStdLayer(d)
            logStd = head
            actor = Sequential(MLP.layers(sizes: [observationCount] + configuration.hiddenSizes + [d], activation: configuration.activation) + [head], using: &rng)
        }
        sampledVector = MatrixBuffer(rows: 1, cols: actionCount)
        critic = MLP.make(sizes: [observationCount] + configuration.hiddenSizes + [1], activation: configuration.activation, using: &rng)
        let epsilon: Float = configuration.optimizer == .rmsprop ? 1e-5 : 1e-8
        actorOptimizer = configuration.optimizer.make(parameters: actor.parameters, learningRate: configuration.learningRate, rmspropEpsilon: epsilon)
        criticOptimizer = configuration.optimizer.make(parameters: critic.parameters, learningRate: configuration.learningRate, rmspropEpsilon: epsilon)
        self.rng = rng
        let capacity = configuration.rolloutSteps > 0 ? configuration.rolloutSteps : 1024
        rollout = Rollout(capacity: capacity, observationCount: observationCount, actionDimension: logStd == nil ? 0 : actionCount)
        let batch = configuration.batchSize > 0 ? min(configuration.batchSize, capacity) : capacity
        minibatch = Minibatch(size: batch, observationCount: observationCount, actionCount: actionCount)
    }

    /// The most probable action.
    public func greedyAction(_ observation: UnsafePointer<Float>) -> Int {
        let logits = actor.predict(observation)
        return Kernels.argmax(logits.row(0), count: logits.cols)
    }

    /// The Gaussian's mean.
    public func greedyContinuousAction(_ observation: UnsafePointer<Float>, into action: UnsafeMutableBufferPointer<Float>) {
        let mean = actor.predict(observation)
        for j in 0..<mean.cols { action[j] = mean[0, j] }
    }

    /// One epoch: an episode of `env`, updating after every full rollout and on the remainder
    /// when the episode ends (so an epoch's end leaves no transitions pending: a safe point).
    public func trainEpisode<E: TradingEnvironment>(_ env: inout E, seed: UInt64, plannedSteps: Int, shouldStop: () -> Bool) -> EpisodeTrainingStats {
        runEpisode(&env, seed: seed, shouldStop: shouldStop, stopAtRolloutEnd: { false })
    }

    /// Trains for at least `totalSteps` environment steps, stopping at the first rollout boundary
    /// past it (SB3's `learn`), over as many episodes as that takes.
    public func learn<E: TradingEnvironment>(_ env: inout E, totalSteps: Int, seed: UInt64 = 0) {
        let start = steps
        var episodes: UInt64 = 0
        while steps - start < totalSteps {
            let stats = runEpisode(&env, seed: seed &+ episodes, shouldStop: { false }, stopAtRolloutEnd: { steps - start >= totalSteps })
            if !stats.completed { return }
            episodes += 1
        }
    }

    /// Trains on the N copies of a vectorised environment together: each step is one batched
    /// forward pass of both networks over the N observations (where the speed of vectorised
    /// environments comes from), a rollout is `rolloutSteps` steps of every copy, GAE runs per
    /// copy, and the update's minibatch epochs go over all N × rolloutSteps transitions. An
    /// episode's end is terminal (no bootstrap across it), as in CleanRL's vectorised PPO. Stops
    /// at the first rollout boundary past `totalSteps` environment steps (all copies counted).
    public func learn<V: VectorizedTradingEnvironment>(vectorized env: inout V, totalSteps: Int, seed: UInt64 = 0) {
        precondition(logStd == nil && configuration.rolloutSteps > 0, "vectorised training takes a discrete policy and fixed-length rollouts")
        let n = env.count, start = steps
        let observations = MatrixBuffer(rows: n, cols: env.observationCount)
        var actions = [Int32](repeating: 0, count: n)
        var rewards = [Float](repeating: 0, count: n), dones = [Float](repeating: 0, count: n), bootstraps = [Float](repeating: 0, count: n)
        let obs = observations.matrix
        env.reset(seed: seed, observations: obs)
        rollout.count = 0
        while true {
            let logits = actor.forward(obs)
            let values = critic.forward(obs)
            actions.withUnsafeMutableBufferPointer { Categorical.sample(logits: logits, into: $0.baseAddress!, using: &rng) }
            let base = rollout.count
            for i in 0..<n {
                let logp = logits[i, Int(actions[i])] - Kernels.logSumExp(logits.row(i), count: logits.cols)
                rollout.append(observation: obs.row(i), action: actions[i], vector: nil, logProbability: logp, value: values[i, 0], reward: 0)
            }
            actions.withUnsafeBufferPointer { a in
                rewards.withUnsafeMutableBufferPointer { r in
                    dones.withUnsafeMutableBufferPointer { d in env.step(actions: a.baseAddress!, observations: obs, rewards: r.baseAddress!, dones: d.baseAddress!) }
                }
            }
            for i in 0..<n {
                rollout.rewards[base + i] = rewards[i]
                rollout.dones[base + i] = dones[i]
            }
            steps += n
            if rollout.count == configuration.rolloutSteps * n {
                let last = critic.forward(obs)
                for i in 0..<n { bootstraps[i] = last[i, 0] }
                bootstraps.withUnsafeBufferPointer { update(bootstraps: $0.baseAddress!, environments: n) }
                if steps - start >= totalSteps { return }
            }
        }
    }

    func runEpisode<E: TradingEnvironment>(_ env: inout E, seed: UInt64, shouldStop: () -> Bool, stopAtRolloutEnd: () -> Bool) -> EpisodeTrainingStats {
        let n = env.observationCount
        let observation = AlignedBuffer(count: n)
        let obs = UnsafeMutableBufferPointer(start: observation.base, count: n)
        env.reset(seed: seed, observation: obs)
        rollout.count = 0
        lossSum = 0
        entropySum = 0
        statCount = 0
        diagnostics = DiagnosticSums()
        var episodeReturn = 0.0, taken = 0
        func stats(_ completed: Bool) -> EpisodeTrainingStats {
            var s = EpisodeTrainingStats(steps: taken, episodeReturn: episodeReturn, meanLoss: statCount > 0 ? lossSum / Double(statCount) : .nan,
                                         exploration: statCount > 0 ? entropySum / Double(statCount) : .nan, completed: completed)
            s.policyGradient = diagnostics.means(ppo: configuration.algorithm == .ppo)
            return s
        }
        while true {
            if shouldStop() { return stats(false) }
            // Only the policy is needed to act: the states' values (0 until then) are computed
            // together when the rollout ends (`valueRollout`), as the critic does not change
            // before then.
            let out = actor.predict(observation.base)
            let a: Int32, logp: Float
            let before = rollout.count
            let outcome: StepOutcome
            if let logStd {
                // The rollout keeps the observation the action was taken in; the environment
                // then overwrites the buffer with the next one.
                let x = sampledVector.matrix
                DiagonalGaussian.sample(mean: out, logStd: logStd.logStd!, into: x, using: &rng)
                var lp: Float = 0
                DiagonalGaussian.logProbabilities(mean: out, logStd: logStd.logStd!, actions: x, into: &lp)
                (a, logp) = (0, lp)
                rollout.append(observation: observation.base, action: a, vector: x.base, logProbability: logp, value: 0, reward: 0)
                outcome = env.step(continuous: UnsafeBufferPointer(start: x.base, count: x.cols), observation: obs)
            } else {
                logp = sampled.withUnsafeMutableBufferPointer { s in
                    Categorical.sample(logits: out, into: s.baseAddress!, using: &rng)
                    return out[0, Int(s[0])] - Kernels.logSumExp(out.row(0), count: out.cols)
                }
                a = sampled[0]
                rollout.append(observation: observation.base, action: a, vector: nil, logProbability: logp, value: 0, reward: 0)
                outcome = env.step(Int(a), observation: obs)
            }
            if outcome.done {
                // No action was taken: drop the sample; bootstrap the rest from V(final state),
                // whose observation is still stored just past the rollout's end.
                rollout.count = before
                if rollout.count > 0 { update(bootstrap: valueRollout(includingNext: true)) }
                rewardNormalizer.episodeEnded()
                return stats(true)
            }
            rollout.rewards[before] = Float(configuration.normalizeReward == true ? rewardNormalizer.normalize(outcome.reward) : outcome.reward)
            episodeReturn += outcome.reward
            taken += 1
            steps += 1
            if configuration.rolloutSteps > 0 && rollout.count == configuration.rolloutSteps {
                _ = valueRollout(includingNext: false)
                update(bootstrap: critic.predict(observation.base)[0, 0])
                if stopAtRolloutEnd() { return stats(false) }
            }
        }
    }

    /// Writes the critic's value of every stored state of the rollout into `rollout.values`,
    /// `valueChunk` states per forward pass (the rest one by one, so that only those two batch
    /// sizes ever get workspaces). With `includingNext`, also values the observation stored just
    /// past the end (a dropped final step's) and returns it.
    func valueRollout(includingNext: Bool) -> Float {
        let rows = rollout.count + (includingNext ? 1 : 0)
        let n = observationCount
        var i = 0
        while i < rows {
            let chunk = rows - i >= Self.valueChunk ? Self.valueChunk : 1
            let values = critic.forward(Matrix(base: rollout.observations.base + i * n, rows: chunk, cols: n))
            for k in 0..<chunk where i + k < rollout.count { rollout.values[i + k] = values[k, 0] }
            if i + chunk > rollout.count { return values[rollout.count - i, 0] }
            i += chunk
        }
        return 0
    }

    /// States valued per forward pass when a rollout ends (the benchmark's minibatch size, whose
    /// workspace the update uses anyway).
    static let valueChunk = 64

    /// GAE over the collected rollout, then `epochs` passes of shuffled minibatch steps; empties
    /// the rollout.
    func update(bootstrap: Float) {
        var b = bootstrap
        update(bootstraps: &b, environments: 1)
    }

    /// `environments` > 1: the rollout holds that many environments time-major, each bootstrapped
    /// from its own value.
    func update(bootstraps: UnsafePointer<Float>, environments: Int) {
        let c = configuration
        let count = rollout.count
        let steps = count / environments
        rollout.rewards.withUnsafeBufferPointer { r in
            rollout.values.withUnsafeBufferPointer { v in
                rollout.dones.withUnsafeBufferPointer { d in
                    rollout.advantages.withUnsafeMutableBufferPointer { adv in
                        rollout.returns.withUnsafeMutableBufferPointer { ret in
                            for e in 0..<environments {
                                GAE.compute(rewards: r.baseAddress! + e, values: v.baseAddress! + e, dones: d.baseAddress! + e, count: steps,
                                            bootstrap: bootstraps[e], gamma: c.gamma, lambda: c.gaeLambda,
                                            advantages: adv.baseAddress! + e, returns: ret.baseAddress! + e, stride: environments)
                            }
                        }
                    }
                }
            }
        }
        diagnostics.addExplainedVariance(returns: rollout.returns, values: rollout.values, count: count)
        let size = c.batchSize > 0 ? min(c.batchSize, count) : count
        if minibatch.size < size { minibatch = Minibatch(size: size, observationCount: observationCount, actionCount: actionCount) }
        for _ in 0..<c.epochs {
            for i in 0..<count { rollout.order[i] = i }
            // Fisher–Yates with the agent's generator (numpy's permutation is the same algorithm).
            if c.batchSize > 0 {
                for i in stride(from: count - 1, to: 0, by: -1) { rollout.order.swapAt(i, rng.nextIndex(below: i + 1)) }
            }
            var start = 0
            while start < count {
                let m = min(size, count - start)
                minibatch.gather(from: rollout, start: start, count: m)
                step(minibatch, rows: m)
                start += m
            }
        }
        rollout.count = 0
    }

    /// One gradient step on the first `m` rows of the minibatch.
    func step(_ b: Minibatch, rows m: Int) {
        let c = configuration
        if c.normalizeAdvantage && m > 1 { Self.standardize(&b.advantages, count: m) }
        let obs = b.observations.matrix.leadingRows(m)
        let gLogits = b.logitGradient.matrix.leadingRows(m), gValue = b.valueGradient.matrix.leadingRows(m)
        let inverse = 1 / Float(m)

        let logits = actor.forward(obs)
        var policyLoss: Float = 0, entropy: Float = 0, approxKL: Float = 0, clipped = 0
        b.actions.withUnsafeBufferPointer { actions in
            b.newLogProbabilities.withUnsafeMutableBufferPointer { logp in
                if let logStd {
                    DiagonalGaussian.logProbabilities(mean: logits, logStd: logStd.logStd!, actions: b.actionVectors.matrix.leadingRows(m), into: logp.baseAddress!)
                } else {
                    Categorical.logProbabilities(logits: logits, actions: actions.baseAddress!, into: logp.baseAddress!)
                }
            }
            b.entropies.withUnsafeMutableBufferPointer { h in
                if let logStd { DiagonalGaussian.entropies(logStd: logStd.logStd!, rows: m, into: h.baseAddress!) } else { Categorical.entropies(logits: logits, into: h.baseAddress!) }
            }
            for i in 0..<m {
                let adv = b.advantages[i]
                entropy += b.entropies[i]
                // CleanRL's and SB3's approximate KL, mean((ρ − 1) − log ρ) (Schulman's k3
                // estimator), and the fraction of samples outside PPO's clip band.
                let logRatio = b.newLogProbabilities[i] - b.oldLogProbabilities[i]
                approxKL += expf(logRatio) - 1 - logRatio
                if abs(expf(logRatio) - 1) > c.clipRange { clipped += 1 }
                switch c.algorithm {
                case .ppo:
                    let ratio = expf(b.newLogProbabilities[i] - b.oldLogProbabilities[i])
                    let term = Self.clippedSurrogate(ratio: ratio, advantage: adv, clip: c.clipRange)
                    policyLoss += term.loss
                    b.weights[i] = term.slope * inverse
                case .a2c, .reinforce:
                    policyLoss -= adv * b.newLogProbabilities[i]
                    b.weights[i] = -adv * inverse
                }
            }
            b.weights.withUnsafeBufferPointer { w in
                if let logStd {
                    DiagonalGaussian.logProbabilityBackward(mean: logits, logStd: logStd.logStd!, actions: b.actionVectors.matrix.leadingRows(m), weights: w.baseAddress!,
                                                            meanGradient: gLogits, logStdGradient: b.logStdGradient.matrix, accumulate: false)
                } else {
                    Categorical.logProbabilityBackward(logits: logits, actions: actions.baseAddress!, weights: w.baseAddress!, gradient: gLogits, accumulate: false)
                }
            }
            if c.entropyCoefficient != 0 {
                for i in 0..<m { b.weights[i] = -c.entropyCoefficient * inverse }
                b.weights.withUnsafeBufferPointer { w in
                    if let logStd {
                        DiagonalGaussian.entropyBackward(logStd: logStd.logStd!, rows: m, weights: w.baseAddress!, logStdGradient: b.logStdGradient.matrix, accumulate: true)
                    } else {
                        Categorical.entropyBackward(logits: logits, weights: w.baseAddress!, gradient: gLogits, accumulate: true)
                    }
                }
            }
        }
        actor.backward(outputGradient: gLogits)
        // log σ's gradient comes from the likelihood and the entropy, not through the means.
        if let logStd { logStd.logStdGradient!.copy(from: b.logStdGradient.matrix) }

        let values = critic.forward(obs)
        var valueLoss: Float = 0, squaredError: Float = 0
        for i in 0..<m {
            let v = values[i, 0], target = b.returns[i]
            var d = v - target
            squaredError += d * d
            var slope: Float = 1
            if let band = c.clipRangeValue {
                let change = v - b.oldValues[i]
                let clippedV = b.oldValues[i] + min(max(change, -band), band)
                let dc = clippedV - target
                if dc * dc > d * d {
                    d = dc
                    slope = abs(change) < band ? 1 : 0
                }
            }
            switch c.valueLoss {
            case .mse:
                valueLoss += d * d
                gValue[i, 0] = c.valueCoefficient * 2 * d * slope * inverse
            case .huber:
                valueLoss += abs(d) < 1 ? 0.5 * d * d : abs(d) - 0.5
                gValue[i, 0] = c.valueCoefficient * (abs(d) < 1 ? d : (d > 0 ? 1 : -1)) * slope * inverse
            }
        }
        critic.backward(outputGradient: gValue)

        GradientClipping.clipGlobalNorm(actor.parameters, critic.parameters, maxNorm: c.maxGradientNorm)
        actorOptimizer.step()
        criticOptimizer.step()
        updates += 1
        lossSum += Double((policyLoss + c.valueCoefficient * valueLoss - c.entropyCoefficient * entropy) * inverse)
        entropySum += Double(entropy * inverse)
        statCount += 1
        diagnostics.addStep(policyLoss: Double(policyLoss * inverse), valueLoss: Double(squaredError * inverse), approxKL: Double(approxKL * inverse),
                            clipFraction: Double(clipped) / Double(m))
    }

    /// PPO's per-sample loss max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)) and its slope with respect to
    /// log π (ρ = exp(log π − log π_old), so ∂ρ/∂log π = ρ): the active branch's, which is zero
    /// when the clipped branch is active and ρ lies outside the band.
    public static func clippedSurrogate(ratio: Float, advantage: Float, clip: Float) -> (loss: Float, slope: Float) {
        let clipped = min(max(ratio, 1 - clip), 1 + clip)
        let unclippedLoss = -advantage * ratio, clippedLoss = -advantage * clipped
        let active = unclippedLoss >= clippedLoss || (ratio > 1 - clip && ratio < 1 + clip)
        return (max(unclippedLoss, clippedLoss), active ? -advantage * ratio : 0)
    }

    /// (x − mean) / (std + 1e-8) over the first `count` values, std with Bessel's correction
    /// (PyTorch's `Tensor.std()`, as SB3 and CleanRL normalise).
    static func standardize(_ x: inout [Float], count: Int) {
        var mean: Float = 0
        for i in 0..<count { mean += x[i] }
        mean /= Float(count)
        var ss: Float = 0
        for i in 0..<count { ss += (x[i] - mean) * (x[i] - mean) }
        let std = (ss / Float(count - 1)).squareRoot()
        for i in 0..<count { x[i] = (x[i] - mean) / (std + 1e-8) }
    }

    // MARK: state

    /// Both networks, both optimizers' state, the generator and the counters (the rollout is
    /// empty at every safe point).
    public func save(to path: String, metadata: [String: String]) throws {
        var w = AgentStateWriter(kind: kind, configurationJSON: configuration.canonicalJSON())
        for (key, value) in metadata { w.setMetadata(key, value) }
        w.add("actor", parameters: actor.parameters)
        w.add("critic", parameters: critic.parameters)
        w.add("actor_optimizer", optimizer: actorOptimizer)
        w.add("critic_optimizer", optimizer: criticOptimizer)
        w.add("rng", generator: rng)
        w.add("counters.steps", integer: steps)
        w.add("counters.updates", integer: updates)
        if configuration.normalizeReward == true { w.add("reward_normalizer", doubles: rewardNormalizer.state) }
        try w.write(to: path)
    }

    @discardableResult
    public func restore(from path: String) throws -> [String: String] {
        let r = try AgentStateReader(path: path, kind: kind, configurationJSON: configuration.canonicalJSON())
        try r.read("actor", parameters: actor.parameters)
        try r.read("critic", parameters: critic.parameters)
        try r.read("actor_optimizer", optimizer: actorOptimizer)
        try r.read("critic_optimizer", optimizer: criticOptimizer)
        rng = try r.generator("rng")
        steps = try r.integer("counters.steps")
        updates = try r.integer("counters.updates")
        if configuration.normalizeReward == true { rewardNormalizer.restore(try r.doubles("reward_normalizer", count: 4)) }
        return r.file.metadata
    }
}
