import Compute

/// One rollout's transitions in preallocated struct-of-arrays storage, plus the minibatch
/// buffers the update gathers into. Grows (doubling) only when a whole-episode rollout is longer
/// than any before, so a fixed-length rollout never allocates after `init`.
final class Rollout {
    let observationCount: Int
    /// Floats per continuous action (0 for discrete actions).
    let actionDimension: Int
    private(set) var capacity: Int
    var observations: AlignedBuffer
    var actions: [Int32]
    var actionVectors: AlignedBuffer
    var logProbabilities: [Float]
    var values: [Float]
    var rewards: [Float]
    var dones: [Float]
    var advantages: [Float]
    var returns: [Float]
    var order: [Int]
    var count = 0

    init(capacity: Int, observationCount: Int, actionDimension: Int = 0) {
        self.observationCount = observationCount
        self.actionDimension = actionDimension
        self.capacity = max(capacity, 1)
        observations = AlignedBuffer(count: self.capacity * observationCount)
        actionVectors = AlignedBuffer(count: max(1, self.capacity * actionDimension))
        actions = [Int32](repeating: 0, count: self.capacity)
        logProbabilities = [Float](repeating: 0, count: self.capacity)
        values = logProbabilities
        rewards = logProbabilities
        dones = logProbabilities
        advantages = logProbabilities
        returns = logProbabilities
        order = [Int](repeating: 0, count: self.capacity)
    }

    /// Appends one transition (the observation the action was taken in); `vector` is the
    /// continuous action, if any.
    func append(observation: UnsafePointer<Float>, action: Int32, vector: UnsafePointer<Float>?, logProbability: Float, value: Float, reward: Float) {
        if count == capacity { grow() }
        (observations.base + count * observationCount).update(from: observation, count: observationCount)
        if let vector { (actionVectors.base + count * actionDimension).update(from: vector, count: actionDimension) }
        actions[count] = action
        logProbabilities[count] = logProbability
        values[count] = value
        rewards[count] = reward
        dones[count] = 0
        count += 1
    }

    private func grow() {
        let bigger = Rollout(capacity: capacity * 2, observationCount: observationCount, actionDimension: actionDimension)
        bigger.observations.base.update(from: observations.base, count: count * observationCount)
        bigger.actionVectors.base.update(from: actionVectors.base, count: count * actionDimension)
        for i in 0..<count {
            bigger.actions[i] = actions[i]
            bigger.logProbabilities[i] = logProbabilities[i]
            bigger.values[i] = values[i]
            bigger.rewards[i] = rewards[i]
            bigger.dones[i] = dones[i]
        }
        capacity = bigger.capacity
        observations = bigger.observations
        actionVectors = bigger.actionVectors
        actions = bigger.actions
        logProbabilities = bigger.logProbabilities
        values = bigger.values
        rewards = bigger.rewards
        dones = bigger.dones
        advantages = bigger.advantages
        returns = bigger.returns
        order = bigger.order
    }
}

/// The gathered minibatch: rows of the rollout in shuffled order.
final class Minibatch {
    let size: Int
    let observations: MatrixBuffer
    /// Continuous actions (one row each) and the gradient of log σ (one row).
    let actionVectors: MatrixBuffer
    let logStdGradient: MatrixBuffer
    let logitGradient: MatrixBuffer
    let valueGradient: MatrixBuffer
    var actions: [Int32]
    var oldLogProbabilities: [Float]
    var oldValues: [Float]
    var advantages: [Float]
    var returns: [Float]
    var newLogProbabilities: [Float]
    var entropies: [Float]
    var weights: [Float]

    init(size: Int, observationCount: Int, actionCount: Int) {
        self.size = size
        observations = MatrixBuffer(rows: size, cols: observationCount)
        actionVectors = MatrixBuffer(rows: size, cols: actionCount)
        logStdGradient = MatrixBuffer(rows: 1, cols: actionCount)
        logitGradient = MatrixBuffer(rows: size, cols: actionCount)
        valueGradient = MatrixBuffer(rows: size, cols: 1)
        let zeros = [Float](repeating: 0, count: size)
        actions = [Int32](repeating: 0, count: size)
        oldLogProbabilities = zeros
        oldValues = zeros
        advantages = zeros
        returns = zeros
        newLogProbabilities = zeros
        entropies = zeros
        weights = zeros
    }

    /// Copies rollout rows `rollout.order[start..<start + m]` into the first m rows.
    func gather(from rollout: Rollout, start: Int, count m: Int) {
        let n = rollout.observationCount
        for i in 0..<m {
            let j = rollout.order[start + i]
            observations.matrix.row(i).update(from: rollout.observations.base + j * n, count: n)
            let d = rollout.actionDimension
            if d > 0 { actionVectors.matrix.row(i).update(from: rollout.actionVectors.base + j * d, count: d) }
            actions[i] = rollout.actions[j]
            oldLogProbabilities[i] = rollout.logProbabilities[j]
            oldValues[i] = rollout.values[j]
            advantages[i] = rollout.advantages[j]
            returns[i] = rollout.returns[j]
        }
    }
}
