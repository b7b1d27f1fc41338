import CMemoryHints
import CVectorBits

/// The non-hold signals of one block of bars, in bar order: where a fused run has something to do.
/// Between two events the account does not change, which is what lets the executor treat the
/// bars in between as one vectorised run.
struct SignalEvents {
    let bars: UnsafeMutablePointer<Int>
    let signals: UnsafeMutablePointer<Signal>
    /// Fill price of each event, gathered in one pass before the fills run: the loads are
    /// independent there, so their cache misses overlap instead of stalling one fill each.
    let prices: UnsafeMutablePointer<Double>
    var count = 0
    /// The opens to prefetch at each event's next bar (`next_open` fills), if any.
    var prefetchOpens: UnsafePointer<Double>?
    /// The times to prefetch at each event's bar, if any.
    var prefetchTimes: UnsafePointer<Int64>?
    /// Fill time of each event (when times are gathered).
    let times: UnsafeMutablePointer<Int64>

    /// Carves the event arrays for `capacity` events out of `memory`
    /// (`byteCount(capacity:)` bytes, 8-byte aligned).
    init(memory: UnsafeMutableRawPointer, capacity: Int) {
        bars = memory.bindMemory(to: Int.self, capacity: capacity)
        prices = (memory + 8 * capacity).bindMemory(to: Double.self, capacity: capacity)
        times = (memory + 16 * capacity).bindMemory(to: Int64.self, capacity: capacity)
        signals = (memory + 24 * capacity).bindMemory(to: Signal.self, capacity: capacity)
    }

    static func byteCount(capacity: Int) -> Int { 25 * capacity }

    @inline(__always)
    mutating func append(_ bar: Int, _ signal: Signal) {
        bars[count] = bar
        signals[count] = signal
        count &+= 1
        // A `next_open` fill reads the next bar's open, far from anything streamed: start that
        // load now, a block ahead of the fill.
        if let prefetchOpens { qf_prefetch(prefetchOpens + (bar &+ 1)) }
        if let prefetchTimes { qf_prefetch(prefetchTimes + bar) }
    }
}

/// Finds a block's events for one strategy combination from its indicator columns.
enum EventFinder {
    /// Crossings of a over b in block [range) (a, b block-local), with the sign of a − b at the
    /// bar before the block carried in `previous` (1 above, −1 below, 0 equal or undefined).
    /// Same rule as `CrossStepper`: a[i−1] < b[i−1] and a[i] > b[i] is a long, the mirror a short.
    /// Four bars at a time as bit masks, with no branch until a crossing shows up.
    @inline(__always)
    static func crossings(a: UnsafePointer<Double>, b: UnsafePointer<Double>, range: Range<Int>, previous: inout Int8, into events: inout SignalEvents) {
        crossings(ValuePair(a: a, b: b), range: range, previous: &previous, into: &events)
    }

    /// Crossings of two rolling means given their window sums (`RollingMean.sums`), dividing as
    /// `RollingMean.finish` does on the way: one pass instead of two divisions and a scan. The
    /// caller makes sure no window needs the all-equal rule.
    @inline(__always)
    static func crossingsOfMeans(sumsA: UnsafePointer<Double>, windowA: Int, sumsB: UnsafePointer<Double>, windowB: Int, range: Range<Int>,
                                 previous: inout Int8, into events: inout SignalEvents) {
        crossings(MeanPair(a: sumsA, b: sumsB, wa: Double(windowA), ra: 1 / Double(windowA), wb: Double(windowB), rb: 1 / Double(windowB)),
                  range: range, previous: &previous, into: &events)
    }

    @inline(__always)
    static func crossings<P: ColumnPair>(_ pair: P, range: Range<Int>, previous: inout Int8, into events: inout SignalEvents) {
        let n = range.count
        let lower = range.lowerBound
        // 64 bars at a time as two words: bit j of `above` where a > b at bar j, of `below` where
        // a < b (both clear for equal or NaN). A long is a bar above whose bar before is below:
        // above & (below << 1), with the word before's last bar shifted in; a short the mirror.
        // Four bars cost a compare and a mask move per word, and a word with no crossing
        // (most of them) costs one test.
        var aboveBefore: UInt64 = previous == 1 ? 1 : 0, belowBefore: UInt64 = previous == -1 ? 1 : 0
        var k = 0
        while k < n {
            let count = Swift.min(64, n &- k)
            let (above, below) = sideMasks(pair, from: k, count: count)
            appendCrossings(longs: above & (below &<< 1 | belowBefore), shorts: below & (above &<< 1 | aboveBefore), at: lower &+ k, into: &events)
            aboveBefore = (above &>> UInt64(count &- 1)) & 1
            belowBefore = (below &>> UInt64(count &- 1)) & 1
            k &+= count
        }
        if n > 0 { previous = aboveBefore != 0 ? 1 : (belowBefore != 0 ? -1 : 0) }
    }

    /// Crossings as vectorbt's `crossed_above` / `crossed_below` find them: a crossing may pass
    /// through bars where the two are equal (below, equal, above is a long), and after touching
    /// the other line a column that moves away again crosses again; a NaN forgets the past.
    /// Long at bar i ⇔ a > b at i, not at i − 1, and a < b at some bar since the last NaN; short
    /// the mirror. `state` carries bits across calls: 1 above at the last bar, 2 below, 4 below
    /// since the last NaN, 8 above since the last NaN.
    /// A 64-bar word where every bar is strictly above or below (almost all) needs only the
    /// strict formula with its first bar's condition from `state`; a word with a tie or a NaN is
    /// stepped bar by bar.
    @inline(__always)
    static func crossingsThroughTies<P: ColumnPair>(_ pair: P, range: Range<Int>, state: inout Int8, into events: inout SignalEvents) {
        let n = range.count
        let lower = range.lowerBound
        var prevAbove = state & 1 != 0, prevBelow = state & 2 != 0, wasBelow = state & 4 != 0, wasAbove = state & 8 != 0
        var k = 0
        while k < n {
            let count = Swift.min(64, n &- k)
            let (above, below) = sideMasks(pair, from: k, count: count)
            let full: UInt64 = count == 64 ? ~0 : (1 &<< UInt64(count)) &- 1
            if above | below == full {
                let firstLong: UInt64 = !prevAbove && wasBelow ? 1 : 0, firstShort: UInt64 = !prevBelow && wasAbove ? 1 : 0
                appendCrossings(longs: above & (below &<< 1 | firstLong), shorts: below & (above &<< 1 | firstShort), at: lower &+ k, into: &events)
                prevAbove = (above &>> UInt64(count &- 1)) & 1 != 0
                prevBelow = !prevAbove
                wasBelow = wasBelow || below != 0
                wasAbove = wasAbove || above != 0
            } else {
                for m in 0..<count {
                    let (x, y) = pair.load(k &+ m)
                    if x.isNaN || y.isNaN {
                        prevAbove = false; prevBelow = false; wasBelow = false; wasAbove = false
                    } else if x > y {
                        if wasBelow && !prevAbove { events.append(lower &+ k &+ m, .long) }
                        prevAbove = true; prevBelow = false; wasAbove = true
                    } else if x < y {
                        if wasAbove && !prevBelow { events.append(lower &+ k &+ m, .short) }
                        prevBelow = true; prevAbove = false; wasBelow = true
                    } else {
                        prevAbove = false; prevBelow = false
                    }
                }
            }
            k &+= count
        }
        state = (prevAbove ? 1 : 0) | (prevBelow ? 2 : 0) | (wasBelow ? 4 : 0) | (wasAbove ? 8 : 0)
    }

    /// One event per set bit of a word's `longs` and `shorts` (bit j: bar `first` + j), in bar order.
    @inline(__always)
    static func appendCrossings(longs: UInt64, shorts: UInt64, at first: Int, into events: inout SignalEvents) {
        var hits = longs | shorts
        while hits != 0 {
            let j = hits.trailingZeroBitCount
            events.append(first &+ j, (longs &>> UInt64(j)) & 1 != 0 ? .long : .short)
            hits &= hits &- 1
        }
    }

    /// Bit j of `above` where a > b at bar k + j, of `below` where a < b (both clear for equal or
    /// NaN), for `count` ≤ 64 bars: one compare and a mask move per four bars.
    @inline(__always)
    static func sideMasks<P: ColumnPair>(_ pair: P, from k: Int, count: Int) -> (above: UInt64, below: UInt64) {
        var above: UInt64 = 0, below: UInt64 = 0
        var m = 0
        while m &+ 4 <= count {
            let (va, vb) = pair.load4(k &+ m)
            above |= UInt64(qf_greater_bits4(va, vb)) &<< UInt64(m)
            below |= UInt64(qf_greater_bits4(vb, va)) &<< UInt64(m)
            m &+= 4
        }
        while m < count {
            let (x, y) = pair.load(k &+ m)
            if x > y { above |= 1 &<< UInt64(m) } else if x < y { below |= 1 &<< UInt64(m) }
            m &+= 1
        }
        return (above, below)
    }

    /// Events of any rule, stepping its stepper bar by bar.
    @inline(__always)
    static func stepped<S: SignalStepper>(_ stepper: inout S, a: UnsafePointer<Double>?, b: UnsafePointer<Double>?, range: Range<Int>,
                                          into events: inout SignalEvents) {
        let lower = range.lowerBound
        for i in range {
            let k = i &- lower
            let signal = stepper.step(a: a?[k] ?? .nan, b: b?[k] ?? .nan, bar: i)
            if signal != .hold { events.append(i, signal) }
        }
    }
}

/// Two block-local columns read side by side.
protocol ColumnPair {
    func load4(_ k: Int) -> (SIMD4<Double>, SIMD4<Double>)
    func load(_ k: Int) -> (Double, Double)
}

/// The values themselves.
struct ValuePair: ColumnPair {
    let a: UnsafePointer<Double>, b: UnsafePointer<Double>

    @inline(__always)
    func load4(_ k: Int) -> (SIMD4<Double>, SIMD4<Double>) {
        (UnsafeRawPointer(a + k).loadUnaligned(as: SIMD4<Double>.self), UnsafeRawPointer(b + k).loadUnaligned(as: SIMD4<Double>.self))
    }

    @inline(__always)
    func load(_ k: Int) -> (Double, Double) { (a[k], b[k]) }
}

/// Window sums divided into means on the way, exactly as `RollingMean.finish` divides them.
struct MeanPair: ColumnPair {
    let a: UnsafePointer<Double>, b: UnsafePointer<Double>
    let wa: Double, ra: Double, wb: Double, rb: Double

    @inline(__always)
    func load4(_ k: Int) -> (SIMD4<Double>, SIMD4<Double>) {
        (RollingMean.divide(UnsafeRawPointer(a + k).loadUnaligned(as: SIMD4<Double>.self), by: wa, reciprocal: ra),
         RollingMean.divide(UnsafeRawPointer(b + k).loadUnaligned(as: SIMD4<Double>.self), by: wb, reciprocal: rb))
    }

    @inline(__always)
    func load(_ k: Int) -> (Double, Double) { (RollingMean.divide(a[k], by: wa, reciprocal: ra), RollingMean.divide(b[k], by: wb, reciprocal: rb)) }
}
