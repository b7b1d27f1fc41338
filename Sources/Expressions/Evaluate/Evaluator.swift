import Dispatch

/// Computes nodes of an `ExpressionGraph` over a `Frame`, each node once over whole series in a
/// tight loop of its own (no per-bar walk over the tree), dropping a value as soon as the last
/// node that reads it is done.
public struct Evaluator: Sendable {
    public var graph: ExpressionGraph
    /// The rolling mean behind `sma` (and `zscore`'s mean); nil: pandas-like compensated sums.
    public var rollingMean: Kernels.RollingMean?

    public init(graph: ExpressionGraph, rollingMean: Kernels.RollingMean? = nil) {
        self.graph = graph
        self.rollingMean = rollingMean
    }

    /// The values of `roots` over `frame`, each `symbols × bars` long. Nodes in `known` are
    /// taken from there, not computed (a sweep computes the nodes its cells share once).
    /// - Precondition: `frame` has every column the graph reads (the compiler checked the names).
    public func evaluate(_ roots: [ExpressionGraph.NodeID], on frame: Frame, known: [ExpressionGraph.NodeID: [Double]] = [:]) -> [[Double]] {
        guard !roots.isEmpty else { return [] }
        // The nodes needed, and how many readers each has: kept by node in dictionaries sized by
        // what these roots reach (a sweep cell's few nodes), not by the whole graph (every cell's).
        var readers: [ExpressionGraph.NodeID: Int] = [:]
        var values: [ExpressionGraph.NodeID: [Double]] = [:]
        var order: [ExpressionGraph.NodeID] = []
        var stack = roots
        while let id = stack.popLast() {
            if readers[id] != nil { continue }
            readers[id] = 0
            if let value = known[id] {
                values[id] = value
                continue
            }
            order.append(id)
            stack.append(contentsOf: graph.nodes[id].inputs)
        }
        for id in order { for input in graph.nodes[id].inputs { readers[input, default: 0] += 1 } }
        for root in roots { readers[root, default: 0] += 1 }
        // Children have smaller numbers than their parents: ascending order computes inputs first.
        for id in order.sorted() {
            let node = graph.nodes[id]
            values[id] = compute(node, inputs: node.inputs.map { values[$0]! }, frame: frame)
            for input in node.inputs {
                readers[input]! -= 1
                if readers[input] == 0 { values[input] = nil }
            }
        }
        return roots.map { values[$0]! }
    }

    func compute(_ node: ExpressionGraph.Node, inputs: [[Double]], frame: Frame) -> [Double] {
        let count = frame.symbols.count * frame.bars
        switch node.operation {
        case .column(let name):
            return frame.columns[name]!
        case .constant(let value):
            return [Double](repeating: value, count: count)
        case .function(let function, let bars) where !function.isElementwise:
            var out = [Double](repeating: .nan, count: count)
            out.withUnsafeMutableBufferPointer { out in
                if function.isCrossSectional {
                    inputs[0].withUnsafeBufferPointer { Kernels.crossSection(function, $0, symbols: frame.symbols.count, bars: frame.bars, into: out) }
                    return
                }
                for s in 0..<frame.symbols.count {
                    let range = (s * frame.bars)..<((s + 1) * frame.bars)
                    let slices = frame.symbols.count == 1 ? inputs : inputs.map { Array($0[range]) }
                    Self.withBuffers(slices[...]) { series(function, bars: bars ?? 0, $0, into: UnsafeMutableBufferPointer(rebasing: out[range])) }
                }
            }
            return out
        default:
            return elementwise(node.operation, inputs, count: count)
        }
    }

    /// The nodes that more than one of `groups` (each a set of roots, say one sweep cell's rules)
    /// reach, among the series functions (what is worth computing once and keeping). A `shift` of
    /// a column or of another kept node is left out: it is a copy, cheaper to take where it is
    /// read (`BlockEvaluator` reads it in place) than to keep as one more series.
    public func sharedFunctions(_ groups: [[ExpressionGraph.NodeID]]) -> [ExpressionGraph.NodeID] {
        var groupsReaching = [Int](repeating: 0, count: graph.nodes.count)
        var seen = Set<ExpressionGraph.NodeID>()
        var stack: [ExpressionGraph.NodeID] = []
        for roots in groups {
            seen.removeAll(keepingCapacity: true)
            stack.append(contentsOf: roots)
            while let id = stack.popLast() {
                guard seen.insert(id).inserted else { continue }
                groupsReaching[id] += 1
                stack.append(contentsOf: graph.nodes[id].inputs)
            }
        }
        func kept(_ id: ExpressionGraph.NodeID) -> Bool {
            guard groupsReaching[id] > 1, case .function(let f, _) = graph.nodes[id].operation else { return false }
            return !f.isElementwise
        }
        return graph.nodes.indices.filter { id in
            guard kept(id) else { return false }
            if case .function(.shift, _) = graph.nodes[id].operation, let input = graph.nodes[id].inputs.first {
                if case .column = graph.nodes[input].operation { return false }
                if kept(input) { return false }
            }
            return true
        }
    }

    /// The values of `shared` (`sharedFunctions`), computed across `threads` threads: first the
    /// nodes that read no other of them, then those that read only the first, and so on, so a node
    /// over another shared one (`ema(sma(close, n), m)`) takes it as computed, not again.
    public func evaluate(shared: [ExpressionGraph.NodeID], on frame: Frame, threads: Int) -> [ExpressionGraph.NodeID: [Double]] {
        let isShared = Set(shared)
        // A node's level: one more than the deepest shared node below it (0: none below).
        var below = [Int](repeating: 0, count: graph.nodes.count)
        var levels: [[ExpressionGraph.NodeID]] = []
        for id in graph.nodes.indices {
            for input in graph.nodes[id].inputs {
                below[id] = Swift.max(below[id], isShared.contains(input) ? below[input] + 1 : below[input])
            }
            if isShared.contains(id) {
                while levels.count <= below[id] { levels.append([]) }
                levels[below[id]].append(id)
            }
        }
        var known: [ExpressionGraph.NodeID: [Double]] = [:]
        for level in levels where !level.isEmpty {
            var values = [[Double]](repeating: [], count: level.count)
            let before = known
            let units = workUnits(level, frame: frame, known: before)
            let workers = Swift.max(1, Swift.min(threads, units.count))
            values.withUnsafeMutableBufferPointer { buffer in
                let results = SharedResults(values: buffer)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    // Each worker writes only its own units' slots.
                    for u in stride(from: worker, to: units.count, by: workers) {
                        let unit = units[u]
                        let computed = unit.count == 1
                            ? evaluate([level[unit[0]]], on: frame, known: before)
                            : windowsTogether(unit.map { level[$0] }, frame: frame, known: before)
                        for (k, value) in zip(unit, computed) { results.values[k] = value }
                    }
                }
            }
            for (k, id) in level.enumerated() { known[id] = values[k] }
        }
        return known
    }

    /// A level's nodes as units of work, by place in `level`: the `std`s (or `zscore`s) of one
    /// series, a column or a series already computed, over different windows go together, up to
    /// four to a unit (one pass of `Kernels.rollingStds`, a window a vector lane), split evenly;
    /// every other node is a unit of its own.
    func workUnits(_ level: [ExpressionGraph.NodeID], frame: Frame, known: [ExpressionGraph.NodeID: [Double]]) -> [[Int]] {
        struct Series: Hashable {
            var function: Function
            var input: ExpressionGraph.NodeID
        }
        var units: [[Int]] = []
        var groups: [Series: [Int]] = [:]
        var order: [Series] = []
        for (k, id) in level.enumerated() {
            let node = graph.nodes[id]
            guard frame.symbols.count == 1, case .function(let function, _?) = node.operation, function == .std || function == .zscore,
                  let input = node.inputs.first, inputValues(input, frame: frame, known: known) != nil else {
                units.append([k])
                continue
            }
            let key = Series(function: function, input: input)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(k)
        }
        for key in order {
            let members = groups[key]!
            let passes = (members.count + 3) / 4
            for p in 0..<passes { units.append(Array(members[(p * members.count / passes)..<((p + 1) * members.count / passes)])) }
        }
        return units
    }

    /// A node's values when they need no computing: a column, or a node in `known`.
    func inputValues(_ id: ExpressionGraph.NodeID, frame: Frame, known: [ExpressionGraph.NodeID: [Double]]) -> [Double]? {
        if let values = known[id] { return values }
        if case .column(let name) = graph.nodes[id].operation { return frame.columns[name] }
        return nil
    }

    /// Two to four `std`s (or `zscore`s) of one series over different windows, in one pass.
    func windowsTogether(_ ids: [ExpressionGraph.NodeID], frame: Frame, known: [ExpressionGraph.NodeID: [Double]]) -> [[Double]] {
        let first = graph.nodes[ids[0]]
        guard case .function(let function, _) = first.operation, let x = inputValues(first.inputs[0], frame: frame, known: known) else {
            preconditionFailure("windowsTogether takes the std or zscore nodes of one series (workUnits)")
        }
        let windows = ids.map { id -> Int in
            guard case .function(_, let bars?) = graph.nodes[id].operation else { preconditionFailure("a window function without its window") }
            return bars
        }
        return Self.arrays(count: x.count, lanes: windows.count) { outs in
            x.withUnsafeBufferPointer { x in
                if function == .std {
                    Kernels.rollingStds(x, windows: windows, into: outs)
                } else {
                    Kernels.rollingZScores(x, windows: windows, into: outs, custom: rollingMean)
                }
            }
        }
    }

    /// `lanes` new arrays of `count` values, which `body` must write in full through their pointers.
    static func arrays(count: Int, lanes: Int, _ pointers: [UnsafeMutablePointer<Double>] = [],
                       _ body: ([UnsafeMutablePointer<Double>]) -> Void) -> [[Double]] {
        guard lanes > 0 else {
            body(pointers)
            return []
        }
        var rest: [[Double]] = []
        let first = [Double](unsafeUninitializedCapacity: Swift.max(count, 1)) { buffer, initialized in
            rest = arrays(count: count, lanes: lanes - 1, pointers + [buffer.baseAddress!], body)
            initialized = count
        }
        return [first] + rest
    }

    /// `body` with read pointers to every array.
    static func withBuffers(_ arrays: ArraySlice<[Double]>, _ pointers: [UnsafeBufferPointer<Double>] = [], _ body: ([UnsafeBufferPointer<Double>]) -> Void) {
        guard let first = arrays.first else { return body(pointers) }
        first.withUnsafeBufferPointer { withBuffers(arrays.dropFirst(), pointers + [$0], body) }
    }

    /// Bar-by-bar operations over whole series (`Kernels.elementwise(_:_:count:into:)`).
    func elementwise(_ operation: ExpressionGraph.Operation, _ inputs: [[Double]], count: Int) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        guard count > 0 else { return out }
        out.withUnsafeMutableBufferPointer { out in
            Self.withBuffers(inputs[...]) { x in Kernels.elementwise(operation, x.map { $0.baseAddress! }, count: count, into: out.baseAddress!) }
        }
        return out
    }

    /// A series function over one symbol's bars.
    func series(_ function: Function, bars n: Int, _ x: [UnsafeBufferPointer<Double>], into out: UnsafeMutableBufferPointer<Double>) {
        switch function {
        case .sma: Kernels.rollingMean(x[0], window: n, into: out, custom: rollingMean)
        case .ema: Kernels.exponentialMean(x[0], span: n, into: out)
        case .wma: Kernels.weightedMean(x[0], window: n, into: out)
        case .std: Kernels.rollingStd(x[0], window: n, into: out)
        case .sum: Kernels.rollingSum(x[0], window: n, into: out)
        case .highest: Kernels.rollingExtreme(x[0], window: n, highest: true, into: out)
        case .lowest: Kernels.rollingExtreme(x[0], window: n, highest: false, into: out)
        case .shift: Kernels.shift(x[0], by: n, into: out)
        case .diff: Kernels.diff(x[0], by: n, into: out)
        case .pctChange: Kernels.percentChange(x[0], by: n, into: out)
        case .zscore: Kernels.rollingZScore(x[0], window: n, into: out, custom: rollingMean)
        case .rank: Kernels.rollingRank(x[0], window: n, into: out)
        case .corr: Kernels.rollingCorrelation(x[0], x[1], window: n, into: out)
        case .rsi: Kernels.rsi(x[0], period: n, into: out)
        case .atr: Kernels.atr(high: x[0], low: x[1], close: x[2], period: n, into: out)
        case .crossedAbove: Kernels.crossed(x[0], x[1], above: true, into: out)
        case .crossedBelow: Kernels.crossed(x[0], x[1], above: false, into: out)
        default: preconditionFailure("\(function) is not a series function")
        }
    }
}

/// The slots the workers of `Evaluator.evaluate(shared:on:threads:)` fill, each worker its own.
private struct SharedResults: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<[Double]>
}

