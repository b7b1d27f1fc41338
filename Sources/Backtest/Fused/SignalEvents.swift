import CMemoryHints

/// The non-hold signals of one block of bars, in bar order: where a fused run has something to do.
/// Between two events the account does not change, which is what lets the executor treat the
/// bars in between as one vectorised run.
struct SignalEvents {
    let bars: UnsafeMutablePointer<Int>
    let signals: UnsafeMutablePointer<Signal>
    /// Fill price and time of each event, gathered in one pass before the fills run: the loads
    /// are independent there, so their cache misses overlap instead of stalling one fill each.
    let prices: UnsafeMutablePointer<Double>
    let times: UnsafeMutablePointer<Int64>
    let capacity: Int
    var count = 0
    /// Columns to prefetch at each event's bar, if any.
    var prefetch: PriceColumns?

    /// Carves the event arrays for `capacity` events out of `memory`
    /// (`byteCount(capacity:)` bytes, 8-byte aligned).
    init(memory: UnsafeMutableRawPointer, capacity: Int) {
        bars = memory.bindMemory(to: Int.self, capacity: capacity)
        prices = (memory + 8 * capacity).bindMemory(to: Double.self, capacity: capacity)
        times = (memory + 16 * capacity).bindMemory(to: Int64.self, capacity: capacity)
        signals = (memory + 24 * capacity).bindMemory(to: Signal.self, capacity: capacity)
        self.capacity = capacity
    }

    static func byteCount(capacity: Int) -> Int { 25 * capacity }

    @inline(__always)
    mutating func append(_ bar: Int, _ signal: Signal) {
        bars[count] = bar
        signals[count] = signal
        count &+= 1
        // The fill will read this bar's (or the next bar's) open and time, far from anything
        // streamed: start those loads now, a block ahead of the fill.
        if let prefetch { qf_prefetch(prefetch.open + (bar &+ 1)); qf_prefetch(prefetch.times + (bar &+ 1)) }
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
        var k = 0
        // Sides as bits: above/below of the four bars (bit j = bar k + j), and of the bar before.
        var lastAbove = previous == 1 ? 1 : 0, lastBelow = previous == -1 ? 1 : 0
        let weights = SIMD4<Int64>(1, 2, 4, 8), zero = SIMD4<Int64>(repeating: 0)
        while k &+ 4 <= n {
            let (va, vb) = pair.load4(k)
            let above = Int(zero.replacing(with: weights, where: va .> vb).wrappedSum())
            let below = Int(zero.replacing(with: weights, where: va .< vb).wrappedSum())
            // A long where a bar is above and the bar before it below, a short the other way.
            let ups = above & (below << 1 | lastBelow), downs = below & (above << 1 | lastAbove)
            if ups | downs != 0 {
                for j in 0..<4 where (ups | downs) >> j & 1 == 1 { events.append(lower &+ k &+ j, ups >> j & 1 == 1 ? .long : .short) }
            }
            lastAbove = above >> 3
            lastBelow = below >> 3
            k &+= 4
        }
        var last: Int8 = lastAbove == 1 ? 1 : (lastBelow == 1 ? -1 : 0)
        while k < n {
            let (x, y) = pair.load(k)
            let side: Int8 = x > y ? 1 : (x < y ? -1 : 0)
            if side == 1 && last == -1 { events.append(lower &+ k, .long) } else if side == -1 && last == 1 { events.append(lower &+ k, .short) }
            last = side
            k &+= 1
        }
        previous = last
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
