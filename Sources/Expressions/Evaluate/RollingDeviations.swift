import CVectorBits

/// `std` and `zscore`: the sample standard deviation (ddof 1) of every window in O(n), within
/// ~1e-13 of the exact two-pass value; exactly 0 for a window of identical values (as pandas); NaN
/// for a window holding a NaN or an infinity.
///
/// Sums of d = x − c and d² slide over the window, with c the mean of the window where they were
/// last summed afresh, and M2 = Σd² − (Σd)²/w. Beside them slides a bound on their rounding error:
/// every term that entered or left and every partial sum, which is how a spike that has left the
/// window, or a mean that has drifted far from c, shows up. When that bound passes 2⁻⁴³·M2 the
/// window is summed again around its own mean (`windowSums`), so a price series re-sums every few
/// dozen to few hundred bars, and a series that keeps jumping pays up to O(w) a bar but stays exact.
///
/// A sweep over windows slides up to four of them over the same series at once (`rollingStds`),
/// one vector lane each, with each lane's arithmetic exactly that of one window alone: a cell's
/// `std(close, 20)` has the same bits in a sweep as in a single backtest.
extension Kernels {
    /// One window length's sliding sums and their rounding bounds (in units of 2⁻⁵³), carried
    /// from bar to bar.
    struct SlidingSquares {
        var shift = 0.0, s1 = 0.0, s2 = 0.0, bound1 = 0.0, bound2 = 0.0
        /// Whether the sums are of the window as it is (false before the first fresh sum and
        /// after a NaN or an infinity).
        var anchored = false
        /// Bars in a row equal to the last one (a series' own, whatever the window), and NaNs or
        /// infinities in the window.
        var run = 0, nonFinite = 0
    }

    static let roundingUnit = 0x1p-53
    /// The bound's limit relative to M2, past which a window is summed afresh.
    static let freshSumTolerance = 0x1p-43

    /// `w` ≥ 2, the compiler's minimum for `std` and `zscore`.
    static func rollingStd(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        guard let results = out.baseAddress else { return }
        rollingStds(x, windows: [w], into: [results])
    }

    /// (x − mean) / std over the window (`std` with ddof 1); a constant window gives 0/0 = NaN,
    /// as in pandas.
    static func rollingZScore(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>, custom: RollingMean?) {
        guard let results = out.baseAddress else { return }
        rollingZScores(x, windows: [w], into: [results], custom: custom)
    }

    /// The standard deviations of one to four window lengths over `x`, each into its own `outs`
    /// array (x.count values), each window's bits those of it alone. Up to the last NaN or
    /// infinity and one longest window past it, each window slides alone; then all of them in
    /// four vector lanes (`slideSquares4`), where no window holds a NaN.
    static func rollingStds(_ x: UnsafeBufferPointer<Double>, windows: [Int], into outs: [UnsafeMutablePointer<Double>]) {
        precondition(windows.count == outs.count && (1...4).contains(windows.count), "one to four windows, one output each")
        guard let values = x.baseAddress else { return }
        let n = x.count
        var states = [SlidingSquares](repeating: SlidingSquares(), count: windows.count)
        var start = n
        if windows.count > 1 {
            var lastNonFinite = -1
            for i in 0..<n where !values[i].isFinite { lastNonFinite = i }
            start = Swift.min(n, lastNonFinite + 1 + windows.max()!)
        }
        for l in windows.indices { slideSquares(values, window: windows[l], bars: 0..<start, state: &states[l], into: outs[l]) }
        if start < n { slideSquares4(values, windows: windows, bars: start..<n, states: states, into: outs) }
        for l in windows.indices { finishStandardDeviations(outs[l], count: n, divisor: Double(windows[l] - 1)) }
    }

    /// The z-scores of one to four window lengths (`rollingStds`, then each window's mean).
    static func rollingZScores(_ x: UnsafeBufferPointer<Double>, windows: [Int], into outs: [UnsafeMutablePointer<Double>], custom: RollingMean?) {
        rollingStds(x, windows: windows, into: outs)
        guard let values = x.baseAddress else { return }
        // One buffer for every window's means, NaN again before each.
        var means = [Double](repeating: .nan, count: x.count)
        for (l, w) in windows.enumerated() {
            if l > 0 { means.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) } }
            means.withUnsafeMutableBufferPointer { rollingMean(x, window: w, into: $0, custom: custom) }
            let z = outs[l]
            means.withUnsafeBufferPointer { means in
                let m = means.baseAddress!
                for i in 0..<x.count { z[i] = (values[i] - m[i]) / z[i] }
            }
        }
    }

    /// M2 of the windows of length `w` ending at each bar of `bars` (NaN before the first full
    /// window and for one holding a NaN or an infinity; 0 for one of identical values), the
    /// state carried in and out. The division and square root come after (`finishStandardDeviations`).
    static func slideSquares(_ x: UnsafePointer<Double>, window w: Int, bars: Range<Int>, state: inout SlidingSquares,
                             into out: UnsafeMutablePointer<Double>) {
        let unit = roundingUnit, tolerance = freshSumTolerance
        // A product where a division was: it is rounded once more, which the bound's factor 2 on
        // the mean's term covers, and takes a quarter of the time.
        let inverse = 1 / Double(w)
        var shift = state.shift, s1 = state.s1, s2 = state.s2, bound1 = state.bound1, bound2 = state.bound2
        var anchored = state.anchored, run = state.run, nonFinite = state.nonFinite
        for i in bars {
            run = i > 0 && x[i] == x[i - 1] ? run + 1 : 1
            if !x[i].isFinite { nonFinite += 1 }
            if i >= w, !x[i - w].isFinite { nonFinite -= 1 }
            guard i >= w - 1 else { out[i] = .nan; continue }
            if nonFinite > 0 {
                out[i] = .nan
                anchored = false
                continue
            }
            if anchored {
                let added = x[i] - shift, removed = x[i - w] - shift
                s1 += added - removed
                s2 += added * added - removed * removed
                bound1 += 2 * (abs(added) + abs(removed)) + abs(s1)
                bound2 += 2 * (added * added + removed * removed) + abs(s2)
            }
            if run >= w { out[i] = 0; continue }
            var mean = s1 * inverse
            var m2 = s2 - s1 * mean
            let error = unit * (bound2 + abs(s2) + 2 * abs(mean) * (bound1 + abs(s1)))
            if !anchored || !(m2 > 0) || error > tolerance * m2 {
                (shift, s1, s2, bound1, bound2) = windowSums(x + (i - w + 1), count: w)
                anchored = true
                mean = s1 * inverse
                m2 = s2 - s1 * mean
            }
            out[i] = Swift.max(m2, 0)
        }
        state = SlidingSquares(shift: shift, s1: s1, s2: s2, bound1: bound1, bound2: bound2, anchored: anchored, run: run, nonFinite: nonFinite)
    }

    /// `slideSquares` for up to four windows at once, one lane each (a missing lane repeats the
    /// last window, writing the same values again), over bars where no window holds a NaN or an
    /// infinity. Each lane does the scalar loop's operations in its order, so the same bits: the
    /// update applies to every lane (a lane not yet anchored only gathers values its first fresh
    /// sum replaces), and a lane whose bound trips is summed afresh on its own.
    private static func slideSquares4(_ x: UnsafePointer<Double>, windows: [Int], bars: Range<Int>, states: [SlidingSquares],
                                      into outs: [UnsafeMutablePointer<Double>]) {
        let last = windows.count - 1
        let w = (0..<4).map { windows[Swift.min($0, last)] }, state = (0..<4).map { states[Swift.min($0, last)] }
        let out0 = outs[0], out1 = outs[Swift.min(1, last)], out2 = outs[Swift.min(2, last)], out3 = outs[Swift.min(3, last)]
        // x[i − w] for each lane, as leaving_k[i].
        let leaving0 = x - w[0], leaving1 = x - w[1], leaving2 = x - w[2], leaving3 = x - w[3]
        let inverse = 1 / SIMD4(Double(w[0]), Double(w[1]), Double(w[2]), Double(w[3]))
        let shortest = w.min()!
        var shift = SIMD4(state.map(\.shift)), s1 = SIMD4(state.map(\.s1)), s2 = SIMD4(state.map(\.s2))
        var bound1 = SIMD4(state.map(\.bound1)), bound2 = SIMD4(state.map(\.bound2))
        // Bit l: lane l is anchored.
        var anchored: UInt32 = 0
        for l in 0..<4 where state[l].anchored { anchored |= 1 << UInt32(l) }
        var run = state[0].run
        let zero = SIMD4<Double>.zero
        for i in bars {
            let xi = x[i]
            run = xi == x[i - 1] ? run + 1 : 1
            let added = SIMD4(repeating: xi) - shift
            let removed = SIMD4(leaving0[i], leaving1[i], leaving2[i], leaving3[i]) - shift
            s1 += added - removed
            s2 += added * added - removed * removed
            bound1 += 2 * (qf_magnitudes4(added) + qf_magnitudes4(removed)) + qf_magnitudes4(s1)
            bound2 += 2 * (added * added + removed * removed) + qf_magnitudes4(s2)
            let mean = s1 * inverse
            var m2 = s2 - s1 * mean
            let error = roundingUnit * (bound2 + qf_magnitudes4(s2) + 2 * qf_magnitudes4(mean) * (bound1 + qf_magnitudes4(s1)))
            // Lanes whose window holds one value only (none while the run of equal bars is
            // shorter than every window).
            let constant = run < shortest ? 0 : constantLanes(run: run, windows: w)
            // The scalar loop's test as bits: not anchored, or not m2 > 0, or the bound past its
            // limit; never for a window of one value.
            let trip = (~anchored | ~qf_greater_bits4(m2, zero) | qf_greater_bits4(error, freshSumTolerance * m2)) & ~constant & 15
            if trip != 0 {
                // Through a copy: were the loop's own variables passed by address, they would live
                // in memory on every bar, not in registers.
                var lanes = Lanes(shift: shift, s1: s1, s2: s2, bound1: bound1, bound2: bound2, m2: m2)
                sumAfresh(x, lanes: trip, bar: i, windows: w, inverse: inverse, into: &lanes)
                (shift, s1, s2, bound1, bound2, m2) = (lanes.shift, lanes.s1, lanes.s2, lanes.bound1, lanes.bound2, lanes.m2)
                anchored |= trip
            }
            // Swift.max(m2, 0), then 0 for a window of identical values.
            var value = qf_max_zero4(m2)
            if constant != 0 { value = zeroLanes(value, constant) }
            out0[i] = value[0]
            out1[i] = value[1]
            out2[i] = value[2]
            out3[i] = value[3]
        }
    }

    /// Bit l: a run of `run` equal bars fills lane l's window.
    @inline(never)
    private static func constantLanes(run: Int, windows w: [Int]) -> UInt32 {
        var lanes: UInt32 = 0
        for l in 0..<4 where run >= w[l] { lanes |= 1 << UInt32(l) }
        return lanes
    }

    /// `value` with the lanes of `lanes` (bits) set to 0.
    @inline(never)
    private static func zeroLanes(_ value: SIMD4<Double>, _ lanes: UInt32) -> SIMD4<Double> {
        var value = value
        for l in 0..<4 where lanes & (1 << UInt32(l)) != 0 { value[l] = 0 }
        return value
    }

    /// `slideSquares4`'s sums, bounds and M2, one window a lane.
    struct Lanes {
        var shift, s1, s2, bound1, bound2, m2: SIMD4<Double>
    }

    /// The lanes of `lanes` (bits) summed afresh at bar i, as the scalar loop does it. Out of the
    /// loop's way: it runs every few dozen bars, and inlined its registers would crowd the loop's.
    @inline(never)
    private static func sumAfresh(_ x: UnsafePointer<Double>, lanes: UInt32, bar i: Int, windows w: [Int], inverse: SIMD4<Double>, into state: inout Lanes) {
        for l in 0..<4 where lanes & (1 << UInt32(l)) != 0 {
            let sums = windowSums(x + (i - w[l] + 1), count: w[l])
            (state.shift[l], state.s1[l], state.s2[l], state.bound1[l], state.bound2[l]) = (sums.center, sums.s1, sums.s2, sums.bound1, sums.bound2)
            state.m2[l] = sums.s2 - sums.s1 * (sums.s1 * inverse[l])
        }
    }

    /// A window summed afresh around its mean c: Σd, Σd² for d = x − c, and bounds on their
    /// rounding errors in units of 2⁻⁵³ (each difference's own rounding and every partial sum,
    /// as the sliding loop counts them). Four lanes at a time: a fresh sum costs w/4 adds in a
    /// row, not w. c needs no care: whatever it is, the sums are of x − c as rounded, and their
    /// bounds say how exact they are; near the mean, Σd is small and M2 does not cancel.
    @inline(__always)
    static func windowSums(_ x: UnsafePointer<Double>, count w: Int) -> (center: Double, s1: Double, s2: Double, bound1: Double, bound2: Double) {
        var total4 = SIMD4<Double>.zero
        var j = 0
        while j &+ 4 <= w {
            total4 += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD4<Double>.self)
            j &+= 4
        }
        var total = total4.sum()
        while j < w {
            total += x[j]
            j &+= 1
        }
        let center = total / Double(w)
        let c4 = SIMD4(repeating: center)
        var d1 = SIMD4<Double>.zero, d2 = SIMD4<Double>.zero, partials1 = SIMD4<Double>.zero
        j = 0
        while j &+ 4 <= w {
            let d = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD4<Double>.self) - c4
            d1 += d
            d2 += d * d
            // |d| (its rounding) and |partial sum|.
            partials1 += qf_magnitudes4(d) + qf_magnitudes4(d1)
            j &+= 4
        }
        var s1 = d1.sum(), s2 = d2.sum()
        // Adding up the lanes: at most the sum of their magnitudes, twice.
        var bound1 = partials1.sum() + 2 * qf_magnitudes4(d1).sum()
        while j < w {
            let d = x[j] - center
            s1 += d
            s2 += d * d
            bound1 += abs(d) + abs(s1)
            j &+= 1
        }
        // The squares' partial sums only grow, so w·Σd² bounds them all; 4·Σd² more covers the
        // squares' own roundings, the d's (twice), and adding up the lanes.
        return (center, s1, s2, bound1, Double(w + 4) * s2)
    }

    /// out[i] = √(out[i] / divisor) for every bar, four at a time: a division and a square root a
    /// bar, each correctly rounded in vector form as in scalar (so the same bits), no longer in the
    /// way of the sliding sums. A 0 stays 0 and a NaN stays NaN.
    static func finishStandardDeviations(_ out: UnsafeMutablePointer<Double>, count n: Int, divisor: Double) {
        let d = SIMD4(repeating: divisor)
        var i = 0
        while i &+ 4 <= n {
            let v = UnsafeRawPointer(out + i).loadUnaligned(as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: qf_square_roots4(v / d), as: SIMD4<Double>.self)
            i &+= 4
        }
        while i < n {
            out[i] = (out[i] / divisor).squareRoot()
            i &+= 1
        }
    }
}
