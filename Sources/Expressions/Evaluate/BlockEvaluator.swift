/// One sweep cell's own nodes evaluated block by block over one symbol's bars, reading the series
/// the cells share (`known`), the data's columns and constants in place: no series of the bars'
/// length is made per cell, only a few blocks of scratch. Covers what a cell's rules are made of
/// once their windows are shared — arithmetic, comparisons, logic, the elementwise functions,
/// crossings, and `shift` of a shared series or a column — with the very formulas of `Evaluator`,
/// so the values are the same bits; anything else (a rolling window over a cell's own node) is
/// left to `Evaluator` (`init` returns nil).
public struct BlockEvaluator {
    /// Where an input comes from: a whole series (a column or a shared node) or a block slot.
    enum Source {
        case series(Int)
        case slot(Int)
    }

    enum Kind {
        case elementwise(ExpressionGraph.Operation)
        case crossed(above: Bool)
        /// A whole series shifted by k bars.
        case shift(Int)
    }

    struct Step {
        var kind: Kind
        var inputs: [Source]
        var slot: Int
    }

    /// Bars per block.
    public let blockSize: Int
    let series: [[Double]]
    /// Constants: slots filled once with their value.
    let constants: [(slot: Int, value: Double)]
    let steps: [Step]
    let slots: Int
    let roots: [Source]

    /// nil when a node of the cell is not block-evaluable. `frame` holds one symbol.
    public init?(graph: ExpressionGraph, roots rootIDs: [ExpressionGraph.NodeID], known: [ExpressionGraph.NodeID: [Double]], frame: Frame, blockSize: Int = 1_024) {
        guard frame.symbols.count == 1, blockSize >= 1 else { return nil }
        var series: [[Double]] = []
        var constants: [(slot: Int, value: Double)] = []
        var steps: [Step] = []
        var sources: [ExpressionGraph.NodeID: Source] = [:]
        var slots = 0
        // Leaves and shared nodes first; then the cell's own nodes in ascending order (inputs first).
        var own: [ExpressionGraph.NodeID] = []
        var stack = rootIDs
        var seen = Set<ExpressionGraph.NodeID>()
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            if let values = known[id] {
                sources[id] = .series(series.count)
                series.append(values)
                continue
            }
            switch graph.nodes[id].operation {
            case .column(let name):
                guard let values = frame.columns[name] else { return nil }
                sources[id] = .series(series.count)
                series.append(values)
            case .constant(let value):
                sources[id] = .slot(slots)
                constants.append((slots, value))
                slots += 1
            default:
                own.append(id)
                stack.append(contentsOf: graph.nodes[id].inputs)
            }
        }
        for id in own.sorted() {
            let node = graph.nodes[id]
            let inputs = node.inputs.map { sources[$0]! }
            let kind: Kind
            switch node.operation {
            case .function(.crossedAbove, _): kind = .crossed(above: true)
            case .function(.crossedBelow, _): kind = .crossed(above: false)
            case .function(.shift, let bars?):
                guard case .series = inputs[0] else { return nil }
                kind = .shift(bars)
            case .function(let f, _) where !f.isElementwise: return nil
            default: kind = .elementwise(node.operation)
            }
            steps.append(Step(kind: kind, inputs: inputs, slot: slots))
            sources[id] = .slot(slots)
            slots += 1
        }
        self.blockSize = blockSize
        self.series = series
        self.constants = constants
        self.steps = steps
        self.slots = slots
        roots = rootIDs.map { sources[$0]! }
    }

    /// Calls `body` for each block of `count` bars with its first bar, its length and the roots'
    /// values over it (read pointers valid during the call).
    public func forEachBlock(count: Int, _ body: (_ start: Int, _ length: Int, _ roots: [UnsafePointer<Double>]) -> Void) {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, slots * blockSize))
        defer { scratch.deallocate() }
        for (slot, value) in constants { (scratch + slot * blockSize).initialize(repeating: value, count: blockSize) }
        // The last value of each slot in the previous block (a crossing looks one bar back).
        var carry = [Double](repeating: .nan, count: max(1, slots))
        guard count > 0 else { return }
        Self.withPointers(series[...]) { bases in
            var start = 0
            while start < count {
                let length = min(blockSize, count - start)
                func pointer(_ source: Source) -> UnsafePointer<Double> {
                    switch source {
                    case .series(let k): return bases[k] + start
                    case .slot(let k): return UnsafePointer(scratch + k * blockSize)
                    }
                }
                func previous(_ source: Source) -> Double {
                    switch source {
                    case .series(let k): return bases[k][start - 1]
                    case .slot(let k): return constants.contains { $0.slot == k } ? scratch[k * blockSize] : carry[k]
                    }
                }
                for step in steps {
                    let out = scratch + step.slot * blockSize
                    switch step.kind {
                    case .elementwise(let operation):
                        Kernels.elementwise(operation, step.inputs.map(pointer), count: length, into: out)
                    case .crossed(let above):
                        let a = pointer(step.inputs[0]), b = pointer(step.inputs[1])
                        if start == 0 {
                            out[0] = 0
                        } else {
                            let pa = previous(step.inputs[0]), pb = previous(step.inputs[1])
                            out[0] = above ? (pa < pb && a[0] > b[0] ? 1 : 0) : (pa > pb && a[0] < b[0] ? 1 : 0)
                        }
                        // The rest of the block reads only within it.
                        if above {
                            for i in 1..<max(1, length) { out[i] = a[i - 1] < b[i - 1] && a[i] > b[i] ? 1 : 0 }
                        } else {
                            for i in 1..<max(1, length) { out[i] = a[i - 1] > b[i - 1] && a[i] < b[i] ? 1 : 0 }
                        }
                    case .shift(let k):
                        guard case .series(let s) = step.inputs[0] else { preconditionFailure("shift of a block slot") }
                        // NaN for the first k bars of the series, then a copy of the bars k before.
                        let missing = Swift.max(0, Swift.min(length, k - start))
                        if missing > 0 { out.update(repeating: .nan, count: missing) }
                        if missing < length { (out + missing).update(from: bases[s] + (start + missing - k), count: length - missing) }
                    }
                }
                body(start, length, roots.map(pointer))
                // Kept after the whole block: a crossing later in this block still reads the last block's.
                for step in steps { carry[step.slot] = scratch[step.slot * blockSize + length - 1] }
                start += length
            }
        }
    }

    public static func withPointers(_ arrays: ArraySlice<[Double]>, _ pointers: [UnsafePointer<Double>] = [], _ body: ([UnsafePointer<Double>]) -> Void) {
        guard let first = arrays.first else { return body(pointers) }
        first.withUnsafeBufferPointer { withPointers(arrays.dropFirst(), pointers + [$0.baseAddress!], body) }
    }
}
