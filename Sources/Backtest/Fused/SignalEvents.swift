import CMemoryHints

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

    /// Scratch for the crossing finder: the side of each bar of the block (−1, 0, 1), with the
    /// bar before the block at index −1.
    let sides: UnsafeMutablePointer<Int8>

    /// Carves the event arrays for `capacity` events out of `memory`
    /// (`byteCount(capacity:)` bytes, 8-byte aligned).
    init(memory: UnsafeMutableRawPointer, capacity: Int) {
        bars = memory.bindMemory(to: Int.self, capacity: capacity)
        prices = (memory + 8 * capacity).bindMemory(to: Double.self, capacity: capacity)
        signals = (memory + 24 * capacity).bindMemory(to: Signal.self, capacity: capacity)
        sides = (memory + 25 * capacity + 32).bindMemory(to: Int8.self, capacity: capacity + 32)
        times = (memory + 26 * capacity + 128).bindMemory(to: Int64.self, capacity: capacity)
    }

    static func byteCount(capacity: Int) -> Int { 34 * capacity + 192 }

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
        let sides = events.sides
        // Pass 1, four bars at a time: the side of every bar, as bytes.
        sides[-1] = previous
        let one = SIMD4<Int64>(repeating: 1), zero = SIMD4<Int64>(repeating: 0)
        var m = 0
        while m &+ 4 <= n {
            let (va, vb) = pair.load4(m)
            let side = zero.replacing(with: one, where: va .> vb) &- zero.replacing(with: one, where: va .< vb)
            UnsafeMutableRawPointer(sides + m).storeBytes(of: SIMD4<Int8>(truncatingIfNeeded: side), as: SIMD4<Int8>.self)
            m &+= 4
        }
        while m < n {
            let (x, y) = pair.load(m)
            sides[m] = x > y ? 1 : (x < y ? -1 : 0)
            m &+= 1
        }
        crossings(sides: sides, count: n, lower: lower, previous: &previous, into: &events)
    }

    /// Pass 2 of `crossings`, on sides already written to `events.sides[0..<count]` (with the
    /// side before them passed in `previous`).
    @inline(__always)
    static func crossings(sides: UnsafeMutablePointer<Int8>, count n: Int, lower: Int, previous: inout Int8, into events: inout SignalEvents) {
        sides[-1] = previous
        // Pass 2, eight bars at a time in a 64-bit word: a crossing is a bar whose side is the
        // opposite of the bar before, side ^ previous side == −2 (0xFE, from 1 ^ −1; zero sides
        // never match). A byte is 0xFE where (x ^ 0xFEFE…) has a zero byte, found with the
        // classic (v − 0x0101…) & ~v & 0x8080… test.
        let raw = UnsafeRawPointer(sides)
        var k = 0
        while k &+ 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self) ^ raw.loadUnaligned(fromByteOffset: k &- 1, as: UInt64.self)
            let v = x ^ 0xFEFE_FEFE_FEFE_FEFE
            var hits = (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080
            // Each flagged byte is checked exactly (the test can also flag a byte just above a
            // real match), lowest first.
            while hits != 0 {
                let j = k &+ hits.trailingZeroBitCount >> 3
                if sides[j] ^ sides[j &- 1] == -2 { events.append(lower &+ j, sides[j] == 1 ? .long : .short) }
                hits &= hits &- 1
            }
            k &+= 8
        }
        while k < n {
            if sides[k] ^ sides[k &- 1] == -2 { events.append(lower &+ k, sides[k] == 1 ? .long : .short) }
            k &+= 1
        }
        if n > 0 { previous = sides[n &- 1] }
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
