import CVectorBits
import Expressions

/// A sweep cell's rules when each is one comparison or crossing of a series with a series or a
/// constant — the series a column, a shared series, or either shifted — read where they are and
/// turned into bits, 64 bars to a word (`close > shift(highest(high, 20), 1)`, `zscore(close, 20)
/// < -2`, `crossed_above(sma(close, 10), sma(close, 30))`): four bars a compare and a mask move,
/// where blocks of doubles cost a store a bar per condition and a scan. The bits are those of
/// `Evaluator`'s formulas (IEEE comparisons: false with NaN but for `!=`; a crossing needs the
/// bar before strictly on the other side). Anything else is left to `BlockEvaluator`.
struct ConditionWords {
    /// A series and its lag: its value at bar i is series[i − lag], NaN before bar `lag`.
    struct Series {
        var index: Int
        var lag: Int
    }

    /// What a condition asks of a at each bar, against b.
    enum Test {
        case greater, greaterOrEqual, less, lessOrEqual, equal, notEqual, crossedAbove, crossedBelow

        /// The test of b against a: `c < x` is `x > c`, a crossing above of c is x crossing below.
        var mirrored: Test {
            switch self {
            case .greater: .less
            case .less: .greater
            case .greaterOrEqual: .lessOrEqual
            case .lessOrEqual: .greaterOrEqual
            case .equal, .notEqual: self
            case .crossedAbove: .crossedBelow
            case .crossedBelow: .crossedAbove
            }
        }

        /// The bits it reads: a crossing reads both sides (the bar before on the other one), a
        /// strict test one side, and only the tests with equality read a == b.
        var reads: Sides {
            switch self {
            case .greater: .above
            case .less: .below
            case .greaterOrEqual: [.above, .equal]
            case .lessOrEqual: [.below, .equal]
            case .equal, .notEqual: .equal
            case .crossedAbove, .crossedBelow: [.above, .below]
            }
        }
    }

    /// Which of a > b, a < b and a == b a pair's conditions read: only those are computed.
    struct Sides: OptionSet {
        let rawValue: UInt8
        static let above = Sides(rawValue: 1)
        static let below = Sides(rawValue: 2)
        static let equal = Sides(rawValue: 4)
    }

    /// Two sides compared: a series against a series, or against a constant when `b` is nil.
    struct Pair: Equatable {
        var a: Series
        var b: Series?
        var constant: Double
        /// The bits its conditions read (`Test.reads`), all of them.
        var reads: Sides = []

        static func == (l: Pair, r: Pair) -> Bool {
            l.a.index == r.a.index && l.a.lag == r.a.lag && l.b?.index == r.b?.index && l.b?.lag == r.b?.lag
                && l.constant.bitPattern == r.constant.bitPattern
        }
    }

    struct Condition {
        var test: Test
        /// Its pair in `pairs`: an entry and an exit over the same two series share their compares.
        var pair: Int
    }

    let series: [[Double]]
    let pairs: [Pair]
    let conditions: [Condition]

    /// nil unless every root is such a condition over one symbol's bars.
    init?(graph: ExpressionGraph, roots: [ExpressionGraph.NodeID], known: [ExpressionGraph.NodeID: [Double]], frame: Frame) {
        guard frame.symbols.count == 1 else { return nil }
        var series: [[Double]] = []
        var seriesOfNode: [ExpressionGraph.NodeID: Int] = [:]
        func add(_ id: ExpressionGraph.NodeID, _ values: [Double]) -> Series {
            if let index = seriesOfNode[id] { return Series(index: index, lag: 0) }
            series.append(values)
            seriesOfNode[id] = series.count - 1
            return Series(index: series.count - 1, lag: 0)
        }
        func seriesOperand(_ id: ExpressionGraph.NodeID) -> Series? {
            if let values = known[id] { return add(id, values) }
            switch graph.nodes[id].operation {
            case .column(let name):
                guard let values = frame.columns[name] else { return nil }
                return add(id, values)
            case .function(.shift, let lag?):
                guard lag >= 0, var inner = seriesOperand(graph.nodes[id].inputs[0]) else { return nil }
                inner.lag += lag
                return inner
            default:
                return nil
            }
        }
        func constant(_ id: ExpressionGraph.NodeID) -> Double? {
            guard case .constant(let value) = graph.nodes[id].operation else { return nil }
            return value
        }
        var pairs: [Pair] = []
        var conditions: [Condition] = []
        func append(_ test: Test, _ pair: Pair) {
            let index = pairs.firstIndex(of: pair) ?? pairs.count
            if index == pairs.count { pairs.append(pair) }
            pairs[index].reads.formUnion(test.reads)
            conditions.append(Condition(test: test, pair: index))
        }
        for root in roots {
            let node = graph.nodes[root]
            guard node.inputs.count == 2 else { return nil }
            let test: Test
            switch node.operation {
            case .greater: test = .greater
            case .greaterOrEqual: test = .greaterOrEqual
            case .less: test = .less
            case .lessOrEqual: test = .lessOrEqual
            case .equal: test = .equal
            case .notEqual: test = .notEqual
            case .function(.crossedAbove, _): test = .crossedAbove
            case .function(.crossedBelow, _): test = .crossedBelow
            default: return nil
            }
            if let a = seriesOperand(node.inputs[0]) {
                if let b = seriesOperand(node.inputs[1]) {
                    append(test, Pair(a: a, b: b, constant: 0))
                } else if let c = constant(node.inputs[1]) {
                    append(test, Pair(a: a, b: nil, constant: c))
                } else {
                    return nil
                }
            } else if let c = constant(node.inputs[0]), let b = seriesOperand(node.inputs[1]) {
                append(test.mirrored, Pair(a: b, b: nil, constant: c))
            } else {
                return nil
            }
        }
        self.series = series
        self.pairs = pairs
        self.conditions = conditions
    }

    /// Calls `body` for each word of `count` bars with its first bar, its length (≤ 64) and each
    /// condition's bits (bit j for bar start + j).
    func forEachWord(count n: Int, _ body: (_ start: Int, _ length: Int, _ words: UnsafePointer<UInt64>) -> Void) {
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: Swift.max(1, conditions.count))
        defer { words.deallocate() }
        // Per pair: the bits of a > b, a < b and a == b over the word.
        var sides = [(above: UInt64, below: UInt64, equal: UInt64)](repeating: (0, 0, 0), count: pairs.count)
        // Per pair: whether a was above (bit 0) or below (bit 1) b at the last bar of the word before.
        var before = [UInt64](repeating: 0, count: pairs.count)
        let safe = pairs.reduce(0) { Swift.max($0, $1.a.lag, $1.b?.lag ?? 0) }
        BlockEvaluator.withPointers(series[...]) { bases in
            var start = 0
            while start < n {
                let length = Swift.min(64, n - start)
                let full: UInt64 = length == 64 ? ~0 : (1 &<< UInt64(length)) &- 1
                for (p, pair) in pairs.enumerated() {
                    sides[p] = start >= safe
                        ? Self.sides(pair, bases: bases, start: start, length: length)
                        : Self.sidesBarByBar(pair, bases: bases, start: start, length: length)
                }
                for (k, c) in conditions.enumerated() {
                    let (above, below, equal) = sides[c.pair]
                    let previous = before[c.pair]
                    switch c.test {
                    case .greater: words[k] = above
                    case .less: words[k] = below
                    case .greaterOrEqual: words[k] = above | equal
                    case .lessOrEqual: words[k] = below | equal
                    case .equal: words[k] = equal
                    case .notEqual: words[k] = ~equal & full
                    case .crossedAbove: words[k] = above & (below &<< 1 | (previous &>> 1) & 1)
                    case .crossedBelow: words[k] = below & (above &<< 1 | previous & 1)
                    }
                }
                for p in pairs.indices {
                    before[p] = (sides[p].above &>> UInt64(length - 1)) & 1 | ((sides[p].below &>> UInt64(length - 1)) & 1) &<< 1
                }
                body(start, length, words)
                start += length
            }
        }
    }

    /// Bits of a > b, a < b and a == b over a word whose bars all have their lagged values; of
    /// those the pair does not read, some bits may be set or not.
    @inline(__always)
    static func sides(_ pair: Pair, bases: [UnsafePointer<Double>], start: Int, length: Int) -> (UInt64, UInt64, UInt64) {
        let a = bases[pair.a.index] + (start - pair.a.lag)
        if let b = pair.b {
            return sides(a, SeriesSide(values: bases[b.index] + (start - b.lag)), length: length, reads: pair.reads)
        }
        return sides(a, ConstantSide(value: pair.constant), length: length, reads: pair.reads)
    }

    @inline(__always)
    static func sides<B: Side>(_ a: UnsafePointer<Double>, _ b: B, length: Int, reads: Sides) -> (UInt64, UInt64, UInt64) {
        var above: UInt64 = 0, below: UInt64 = 0, equal: UInt64 = 0
        var m = 0
        // One loop per set of sides read rather than a test of them on every four bars: most
        // rules (`zscore(close, 20) < -2`) read one side, a compare and a mask move a four bars.
        switch reads {
        case .above:
            while m &+ 4 <= length {
                let x = UnsafeRawPointer(a + m).loadUnaligned(as: SIMD4<Double>.self), y = b.load4(m)
                above |= UInt64(qf_greater_bits4(x, y)) &<< UInt64(m)
                m &+= 4
            }
        case .below:
            while m &+ 4 <= length {
                let x = UnsafeRawPointer(a + m).loadUnaligned(as: SIMD4<Double>.self), y = b.load4(m)
                below |= UInt64(qf_greater_bits4(y, x)) &<< UInt64(m)
                m &+= 4
            }
        case [.above, .below]:
            while m &+ 4 <= length {
                let x = UnsafeRawPointer(a + m).loadUnaligned(as: SIMD4<Double>.self), y = b.load4(m)
                above |= UInt64(qf_greater_bits4(x, y)) &<< UInt64(m)
                below |= UInt64(qf_greater_bits4(y, x)) &<< UInt64(m)
                m &+= 4
            }
        default:
            while m &+ 4 <= length {
                let x = UnsafeRawPointer(a + m).loadUnaligned(as: SIMD4<Double>.self), y = b.load4(m)
                above |= UInt64(qf_greater_bits4(x, y)) &<< UInt64(m)
                below |= UInt64(qf_greater_bits4(y, x)) &<< UInt64(m)
                equal |= UInt64(qf_equal_bits4(x, y)) &<< UInt64(m)
                m &+= 4
            }
        }
        while m < length {
            setSide(a[m], b.load(m), bit: m, above: &above, below: &below, equal: &equal)
            m &+= 1
        }
        return (above, below, equal)
    }

    /// Sets bit `bit` of the one of above, below, equal that x against y is (none for a NaN).
    @inline(__always)
    static func setSide(_ x: Double, _ y: Double, bit: Int, above: inout UInt64, below: inout UInt64, equal: inout UInt64) {
        if x > y { above |= 1 &<< UInt64(bit) } else if x < y { below |= 1 &<< UInt64(bit) } else if x == y { equal |= 1 &<< UInt64(bit) }
    }

    /// The same, bar by bar, for a word with bars before a lag (their values are NaN).
    static func sidesBarByBar(_ pair: Pair, bases: [UnsafePointer<Double>], start: Int, length: Int) -> (UInt64, UInt64, UInt64) {
        func value(_ s: Series, _ i: Int) -> Double { i >= s.lag ? bases[s.index][i - s.lag] : .nan }
        var above: UInt64 = 0, below: UInt64 = 0, equal: UInt64 = 0
        for m in 0..<length {
            setSide(value(pair.a, start + m), pair.b.map { value($0, start + m) } ?? pair.constant, bit: m, above: &above, below: &below, equal: &equal)
        }
        return (above, below, equal)
    }
}

/// The other side of a compared pair, read four bars at a time.
protocol Side {
    func load4(_ m: Int) -> SIMD4<Double>
    func load(_ m: Int) -> Double
}

/// A series, from the word's first bar.
struct SeriesSide: Side {
    let values: UnsafePointer<Double>

    @inline(__always) func load4(_ m: Int) -> SIMD4<Double> { UnsafeRawPointer(values + m).loadUnaligned(as: SIMD4<Double>.self) }
    @inline(__always) func load(_ m: Int) -> Double { values[m] }
}

/// A constant.
struct ConstantSide: Side {
    let value: Double

    @inline(__always) func load4(_ m: Int) -> SIMD4<Double> { SIMD4(repeating: value) }
    @inline(__always) func load(_ m: Int) -> Double { value }
}
