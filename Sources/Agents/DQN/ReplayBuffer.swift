import CMemoryHints
import Compute

/// Transitions (s, a, r, s', done) in a ring of fixed capacity, all storage allocated up front:
/// adding overwrites the oldest once full, sampling draws uniformly from what is stored into the
/// caller's batch buffers. Nothing is allocated after `init`.
public final class ReplayBuffer {
    public let capacity: Int
    public let observationCount: Int
    /// Transitions stored (≤ capacity) and the slot the next one goes to.
    public private(set) var count = 0
    public private(set) var next = 0
    let observations: AlignedBuffer
    let nextObservations: AlignedBuffer
    // Raw storage, not arrays: sampling prefetches random slots of these, and an array gives an
    // address only inside a closure that retains and releases its buffer (~7% of TradeMaster's
    // DQN step in perf when tried).
    let actions: UnsafeMutablePointer<Int32>
    let rewards: AlignedBuffer
    let dones: AlignedBuffer

    public init(capacity: Int, observationCount: Int) {
        precondition(capacity > 0 && observationCount > 0, "ReplayBuffer: capacity and observation size must be positive")
        self.capacity = capacity
        self.observationCount = observationCount
        observations = AlignedBuffer(count: capacity * observationCount)
        nextObservations = AlignedBuffer(count: capacity * observationCount)
        actions = .allocate(capacity: capacity)
        actions.initialize(repeating: 0, count: capacity)
        rewards = AlignedBuffer(count: capacity)
        dones = AlignedBuffer(count: capacity)
    }

    deinit { actions.deallocate() }

    /// Stores one transition. `done` means the episode ended at s' (no bootstrap from it).
    public func add(observation: UnsafePointer<Float>, action: Int, reward: Float, nextObservation: UnsafePointer<Float>, done: Bool) {
        let offset = next * observationCount
        (observations.base + offset).update(from: observation, count: observationCount)
        (nextObservations.base + offset).update(from: nextObservation, count: observationCount)
        actions[next] = Int32(action)
        rewards.base[next] = reward
        dones.base[next] = done ? 1 : 0
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// Draws `batch.rows` transitions uniformly (with replacement) into the batch buffers.
    /// `nextObservations: false` leaves the batch's next-state rows unwritten, for a caller that
    /// reads only the few it needs (`nextObservation(ofSlot:)`): DQN's target cache values most
    /// draws without them, and their copies were half of sampling's memory traffic.
    public func sample(into batch: Batch, using rng: inout Xoshiro256, nextObservations copyNext: Bool = true) {
        precondition(count > 0, "ReplayBuffer.sample: the buffer is empty")
        // The draws first, then the copies with each transition's rows prefetched eight
        // transitions ahead: a full buffer is megabytes, so every row is a cache miss. All 64
        // prefetched at once before the copies (the earlier way) left DQN's sampling at ~3.5 µs a
        // step on Zen 4, eight ahead at ~2.2–3 (perf; four ahead about the same, sixteen ~3).
        let n = batch.size
        for i in 0..<n { batch.indices[i] = rng.nextIndex(below: count) }
        let distance = Self.prefetchDistance
        for i in 0..<min(distance, n) { prefetch(transition: batch.indices[i], next: copyNext) }
        for i in 0..<n {
            if i + distance < n { prefetch(transition: batch.indices[i + distance], next: copyNext) }
            let j = batch.indices[i]
            batch.observations.row(i).update(from: observations.base + j * observationCount, count: observationCount)
            if copyNext { batch.nextObservations.row(i).update(from: nextObservations.base + j * observationCount, count: observationCount) }
            batch.actions[i] = Int(actions[j])
            batch.rewards[i] = rewards.base[j]
            batch.dones[i] = dones.base[j]
        }
    }

    /// The next state of the transition in `slot`.
    public func nextObservation(ofSlot slot: Int) -> UnsafePointer<Float> {
        UnsafePointer(nextObservations.base + slot * observationCount)
    }

    /// Every cache line of transition `j`'s observation row (and, with `next`, its next-state
    /// row) and of its action, reward and done. The first and last line of each row alone (the
    /// earlier way) left the middle of a wide row (TradeMaster's 82 features span six lines) to
    /// the copy, which waited on each: TradeMaster's DQN setup ran 3.5–7% slower at 50,000 steps
    /// on Zen 4 (alternating runs, NOTES.md).
    private func prefetch(transition j: Int, next: Bool) {
        prefetchRow(observations.base + j * observationCount)
        if next { prefetchRow(nextObservations.base + j * observationCount) }
        qf_prefetch(actions + j)
        qf_prefetch(rewards.base + j)
        qf_prefetch(dones.base + j)
    }

    /// Copies the next states of `slots[0..<count]` into the first `count` rows of `rows`, each
    /// prefetched `prefetchDistance` slots ahead of its copy, as `sample` does its rows.
    func copyNextObservations(ofSlots slots: [Int], count: Int, into rows: Matrix) {
        let distance = Self.prefetchDistance
        for k in 0..<min(distance, count) { prefetchRow(nextObservations.base + slots[k] * observationCount) }
        for k in 0..<count {
            if k + distance < count { prefetchRow(nextObservations.base + slots[k + distance] * observationCount) }
            rows.row(k).update(from: nextObservation(ofSlot: slots[k]), count: observationCount)
        }
    }

    /// How many transitions ahead of its copy a drawn row is prefetched.
    static let prefetchDistance = 8

    private func prefetchRow(_ row: UnsafeMutablePointer<Float>) {
        let rowBytes = observationCount * MemoryLayout<Float>.stride
        let start = UnsafeRawPointer(row)
        var byte = 0
        while byte < rowBytes {
            qf_prefetch(start + byte)
            byte += 64
        }
        qf_prefetch(start + (rowBytes - 1))
    }

    /// Writes the stored transitions (only the filled part of the ring) and the ring's position.
    public func write(into w: inout AgentStateWriter, prefix: String) {
        w.add("\(prefix).count", integer: count)
        w.add("\(prefix).next", integer: next)
        w.add("\(prefix).observations", floats: observations.base, shape: [count, observationCount])
        w.add("\(prefix).next_observations", floats: nextObservations.base, shape: [count, observationCount])
        w.add("\(prefix).actions", int32s: Array(UnsafeBufferPointer(start: actions, count: count)))
        w.add("\(prefix).rewards", floats: rewards.base, shape: [count])
        w.add("\(prefix).dones", floats: dones.base, shape: [count])
    }

    /// Restores what `write` stored; the capacity must hold it.
    public func read(from r: AgentStateReader, prefix: String) throws {
        let stored = try r.integer("\(prefix).count"), position = try r.integer("\(prefix).next")
        guard stored <= capacity, position < capacity else {
            throw AgentsError.invalidData("\(r.path): replay buffer of \(stored) transitions does not fit capacity \(capacity)")
        }
        try r.read("\(prefix).observations", floats: observations.base, shape: [stored, observationCount])
        try r.read("\(prefix).next_observations", floats: nextObservations.base, shape: [stored, observationCount])
        let a = try r.int32s("\(prefix).actions", count: stored)
        for i in 0..<stored { actions[i] = a[i] }
        try r.read("\(prefix).rewards", floats: rewards.base, shape: [stored])
        try r.read("\(prefix).dones", floats: dones.base, shape: [stored])
        count = stored
        next = position
    }

    /// Preallocated room for one sampled batch.
    public final class Batch {
        public let size: Int
        let observationBuffer: MatrixBuffer
        let nextObservationBuffer: MatrixBuffer
        public var observations: Matrix { observationBuffer.matrix }
        /// The drawn transitions' next states, written only by a `sample` with
        /// `nextObservations: true` (the default).
        public var nextObservations: Matrix { nextObservationBuffer.matrix }
        public var actions: [Int]
        public var rewards: [Float]
        public var dones: [Float]
        /// The transitions drawn for the batch (sampling's scratch).
        var indices: [Int]

        public init(size: Int, observationCount: Int) {
            self.size = size
            observationBuffer = MatrixBuffer(rows: size, cols: observationCount)
            nextObservationBuffer = MatrixBuffer(rows: size, cols: observationCount)
            actions = [Int](repeating: 0, count: size)
            rewards = [Float](repeating: 0, count: size)
            dones = [Float](repeating: 0, count: size)
            indices = [Int](repeating: 0, count: size)
        }
    }
}
