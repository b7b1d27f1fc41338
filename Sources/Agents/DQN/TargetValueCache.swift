import Compute

/// The target network's Q-values of stored next states, kept while they cannot have changed.
///
/// The target network changes only when it is updated (every `targetUpdateInterval` steps), so
/// between two updates Q_target(s′) of a stored transition is the same every time it is drawn.
/// With SB3's benchmark settings (an update every 1,000 steps, batch 64) a buffer of n transitions
/// sees 64,000 draws between updates, most of them of a slot already drawn since the last one, and
/// the target pass over them is a quarter of a DQN step's arithmetic. A slot's values are computed
/// the first time it is drawn after a target update (all of a batch's misses in one forward pass)
/// and kept until the next update or until the ring overwrites the slot. The values are the target
/// network's own; only the batch they were computed in differs.
final class TargetValueCache {
    let actionCount: Int
    /// Bumped by every target update; a slot's values are valid when its stamp equals it (0: never).
    private(set) var generation: UInt32 = 1
    private var stamps: [UInt32]
    private let values: AlignedBuffer
    private let misses: MatrixBuffer
    private var missSlots: [Int]
    /// Next states the target network has valued since this cache was made (its share of a run's
    /// arithmetic; not part of a checkpoint).
    private(set) var rowsComputed = 0

    init(capacity: Int, actionCount: Int, batchSize: Int, observationCount: Int) {
        self.actionCount = actionCount
        stamps = [UInt32](repeating: 0, count: capacity)
        values = AlignedBuffer(count: capacity * actionCount)
        misses = MatrixBuffer(rows: batchSize, cols: observationCount)
        missSlots = [Int](repeating: 0, count: batchSize)
    }

    /// The target network changed: every slot's values are stale.
    func invalidateAll() {
        generation &+= 1
        if generation == 0 {
            // 2³² target updates later the stamps could alias; start them over instead.
            for i in stamps.indices { stamps[i] = 0 }
            generation = 1
        }
    }

    /// The ring is about to overwrite `slot` with a new transition.
    func invalidate(slot: Int) { stamps[slot] = 0 }

    /// Makes sure every slot drawn into `batch` has current values, running `target` once over
    /// the next states of the slots that do not, read from `replay` (the batch need not carry
    /// them: most draws hit, and only a miss's row is worth fetching).
    func fill(for batch: ReplayBuffer.Batch, from replay: ReplayBuffer, target: Sequential) {
        let n = misses.matrix.cols
        var missCount = 0
        for i in 0..<batch.size {
            let slot = batch.indices[i]
            // Stamped now, valued below: a slot drawn twice in one batch is computed once.
            if stamps[slot] == generation { continue }
            stamps[slot] = generation
            missSlots[missCount] = slot
            missCount += 1
        }
        guard missCount > 0 else { return }
        replay.copyNextObservations(ofSlots: missSlots, count: missCount, into: misses.matrix)
        rowsComputed += missCount
        let q = target.forward(Matrix(base: misses.matrix.base, rows: missCount, cols: n), workspaceRows: batch.size)
        for k in 0..<missCount { values(ofSlot: missSlots[k]).update(from: q.row(k), count: actionCount) }
    }

    /// Q_target(s′, ·) of `slot`, valid after `fill` for a batch that drew it.
    func values(ofSlot slot: Int) -> UnsafeMutablePointer<Float> { values.base + slot * actionCount }

    /// Writes the values and stamps of the first `count` slots (the filled part of the ring), so a
    /// resumed run reuses exactly the numbers an uninterrupted one would.
    func write(into w: inout AgentStateWriter, prefix: String, count: Int) {
        w.add("\(prefix).generation", integer: Int(generation))
        w.add("\(prefix).stamps", int32s: stamps[0..<count].map { Int32(bitPattern: $0) })
        w.add("\(prefix).values", floats: values.base, shape: [count, actionCount])
    }

    /// Restores what `write` stored; a checkpoint without it (written before the cache existed)
    /// leaves every slot to be computed afresh.
    func read(from r: AgentStateReader, prefix: String, count: Int) throws {
        for i in stamps.indices { stamps[i] = 0 }
        guard r.file.entries["\(prefix).generation"] != nil else {
            generation = 1
            return
        }
        guard let stored = UInt32(exactly: try r.integer("\(prefix).generation")), stored > 0 else {
            throw AgentsError.invalidData("\(r.path): '\(prefix).generation' is not a positive 32-bit count")
        }
        generation = stored
        let s = try r.int32s("\(prefix).stamps", count: count)
        for i in 0..<count { stamps[i] = UInt32(bitPattern: s[i]) }
        try r.read("\(prefix).values", floats: values.base, shape: [count, actionCount])
    }
}
