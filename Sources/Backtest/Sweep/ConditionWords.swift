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
    }

    struct Condition {
        var test: Test
        var a: Series
        /// The other side: a series, or a constant when nil.
        var b: Series?
        var constant: Double
    }

    let series: [[Double]]
    let conditions: [Condition]

    /// nil unless every root is such a condition over one symbol's bars.
    init?(graph: ExpressionGraph, roots: [ExpressionGraph.NodeID], known: [ExpressionGraph.NodeID: [Double]], frame: Frame) {
        guard frame.symbols.count == 1 else { return nil }
        var series: [[Double]] = []
        func seriesOperand(_ id: ExpressionGraph.NodeID) -> Series? {
            if let values = known[id] {
                series.append(values)
                return Series(index: series.count - 1, lag: 0)
            }
            switch graph.nodes[id].operation {
            case .column(let name):
                guard let values = frame.columns[name] else { return nil }
                series.append(values)
                return Series(index: series.count - 1, lag: 0)
            case .function(.shift, let lag?):
                guard lag >= 0, var inner = seriesOperand(graph.nodes[id].inputs[0]) else { return nil }
                inner.lag += lag
                return inner
            default:
                return nil
            }
        }
        func constant(_ id: ExpressionGraph.NodeID) -> Double? {
            guard known[id] == nil, case .constant(let value) = graph.nodes[id].operation else { return nil }
            return value
        }
        var conditions: [Condition] = []
        for root in roots {
            let node = graph.nodes[root]
            guard node.inputs.count == 2 else { return nil }
            var test: Test
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
                    conditions.append(Condition(test: test, a: a, b: b, constant: 0))
                } else if let c = constant(node.inputs[1]) {
                    conditions.append(Condition(test: test, a: a, b: nil, constant: c))
                } else {
                    return nil
                }
            } else if let c = constant(node.inputs[0]), let b = seriesOperand(node.inputs[1]) {
                // c OP x is x OP' c: the comparison mirrored, a crossing turned the other way.
                let mirrored: [Test: Test] = [.greater: .less, .less: .greater, .greaterOrEqual: .lessOrEqual, .lessOrEqual: .greaterOrEqual,
                                              .equal: .equal, .notEqual: .notEqual, .crossedAbove: .crossedBelow, .crossedBelow: .crossedAbove]
                test = mirrored[test]!
                conditions.append(Condition(test: test, a: b, b: nil, constant: c))
            } else {
                return nil
            }
        }
        self.series = series
        self.conditions = conditions
    }

    /// Calls `body` for each word of `count` bars with its first bar, its length (≤ 64) and each
    /// condition's bits (bit j for bar start + j).
    func forEachWord(count n: Int, _ body: (_ start: Int, _ length: Int, _ words: UnsafePointer<UInt64>) -> Void) {
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: Swift.max(1, conditions.count))
        defer { words.deallocate() }
        // Per crossing: whether a was above (bit 0) or below (bit 1) b at the last bar of the word before.
        var before = [UInt64](repeating: 0, count: conditions.count)
        let safe = conditions.reduce(0) { Swift.max($0, $1.a.lag, $1.b?.lag ?? 0) }
        BlockEvaluator.withPointers(series[...]) { bases in
            var start = 0
            while start < n {
                let length = Swift.min(64, n - start)
                let full: UInt64 = length == 64 ? ~0 : (1 &<< UInt64(length)) &- 1
                for (k, c) in conditions.enumerated() {
                    let (above, below, equal) = start >= safe
                        ? Self.sides(c, bases: bases, start: start, length: length)
                        : Self.sidesBarByBar(c, bases: bases, start: start, length: length)
                    let word: UInt64
                    switch c.test {
                    case .greater: word = above
                    case .less: word = below
                    case .greaterOrEqual: word = above | equal
                    case .lessOrEqual: word = below | equal
                    case .equal: word = equal
                    case .notEqual: word = ~equal & full
                    case .crossedAbove: word = above & (below &<< 1 | (before[k] &>> 1) & 1)
                    case .crossedBelow: word = below & (above &<< 1 | before[k] & 1)
                    }
                    words[k] = word
                    before[k] = (above &>> UInt64(length - 1)) & 1 | ((below &>> UInt64(length - 1)) & 1) &<< 1
                }
                body(start, length, words)
                start += length
            }
        }
    }

    /// Bits of a > b, a < b and a == b over a word whose bars all have their lagged values.
    @inline(__always)
    static func sides(_ c: Condition, bases: [UnsafePointer<Double>], start: Int, length: Int) -> (UInt64, UInt64, UInt64) {
        let a = bases[c.a.index] + (start - c.a.lag)
        let b = c.b.map { bases[$0.index] + (start - $0.lag) }
        let constant = SIMD4(repeating: c.constant)
        var above: UInt64 = 0, below: UInt64 = 0, equal: UInt64 = 0
        var m = 0
        while m &+ 4 <= length {
            let x = UnsafeRawPointer(a + m).loadUnaligned(as: SIMD4<Double>.self)
            let y = b.map { UnsafeRawPointer($0 + m).loadUnaligned(as: SIMD4<Double>.self) } ?? constant
            above |= UInt64(qf_greater_bits4(x, y)) &<< UInt64(m)
            below |= UInt64(qf_greater_bits4(y, x)) &<< UInt64(m)
            equal |= UInt64(qf_equal_bits4(x, y)) &<< UInt64(m)
            m &+= 4
        }
        while m < length {
            let x = a[m], y = b?[m] ?? c.constant
            if x > y { above |= 1 &<< UInt64(m) } else if x < y { below |= 1 &<< UInt64(m) } else if x == y { equal |= 1 &<< UInt64(m) }
            m &+= 1
        }
        return (above, below, equal)
    }

    /// The same, bar by bar, for a word with bars before a lag (their values are NaN).
    static func sidesBarByBar(_ c: Condition, bases: [UnsafePointer<Double>], start: Int, length: Int) -> (UInt64, UInt64, UInt64) {
        func value(_ s: Series, _ i: Int) -> Double { i >= s.lag ? bases[s.index][i - s.lag] : .nan }
        var above: UInt64 = 0, below: UInt64 = 0, equal: UInt64 = 0
        for m in 0..<length {
            let x = value(c.a, start + m), y = c.b.map { value($0, start + m) } ?? c.constant
            if x > y { above |= 1 &<< UInt64(m) } else if x < y { below |= 1 &<< UInt64(m) } else if x == y { equal |= 1 &<< UInt64(m) }
        }
        return (above, below, equal)
    }
}
