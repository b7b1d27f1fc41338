import CVectorBits

/// Window functions over one symbol's bars, as pandas' `rolling(n, min_periods=n)`: NaN before
/// bar n − 1 and for any window holding a NaN.
extension Kernels {
    /// Whether x[i−w+1…i] holds a NaN, for every i, by a running count.
    static func windowsWithNaN(_ x: UnsafeBufferPointer<Double>, window w: Int) -> [Bool] {
        var out = [Bool](repeating: true, count: x.count)
        var nans = 0
        for i in 0..<x.count {
            if x[i].isNaN { nans += 1 }
            if i >= w, x[i - w].isNaN { nans -= 1 }
            out[i] = i < w - 1 || nans > 0
        }
        return out
    }

    static func rollingMean(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>, custom: RollingMean?) {
        if let custom { return custom(x, w, out) }
        rollingSum(x, window: w, into: out)
        // pandas' rule: a window of identical values has that value as its mean, exactly.
        var run = 0
        for i in 0..<x.count {
            run = i > 0 && x[i] == x[i - 1] ? run + 1 : 1
            if i >= w - 1 { out[i] = run >= w ? x[i] : out[i] / Double(w) }
        }
    }

    /// Weights 1…n, the newest bar heaviest (Pine's `ta.wma`).
    static func weightedMean(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let total = Double(w) * Double(w + 1) / 2
        for i in 0..<x.count {
            guard i >= w - 1 else { out[i] = .nan; continue }
            var s = 0.0
            for k in 0..<w { s += x[i - w + 1 + k] * Double(k + 1) }
            out[i] = s / total
        }
    }

    /// Sample standard deviation (ddof 1) in O(n), within ~1e-13 of the exact two-pass value of
    /// every window; exactly 0 for a window of identical values (as pandas). NaN for a window
    /// holding a NaN or an infinity.
    ///
    /// Sums of d = x − c and d² slide over the window, with c the mean of the window where they
    /// were last summed afresh, and M2 = Σd² − (Σd)²/w. Beside them slides a bound on their
    /// rounding error: every term that entered or left and every partial sum, which is how a spike
    /// that has left the window, or a mean that has drifted far from c, shows up. When that bound
    /// passes 2⁻⁴³·M2 the window is summed again around its own mean (`windowSums`), so a price
    /// series re-sums every few dozen to few hundred bars, and a series that keeps jumping pays up
    /// to O(w) a bar but stays exact.
    ///
    /// `w` ≥ 2, the compiler's minimum for `std` and `zscore`.
    static func rollingStd(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        guard let values = x.baseAddress else { return }
        let unit = 0x1p-53, tolerance = 0x1p-43
        let n = x.count, count = Double(w)
        // A product where a division was: it is rounded once more, which the bound's factor 2 on
        // the mean's term covers, and takes a quarter of the time.
        let inverse = 1 / count
        var s1 = 0.0, s2 = 0.0, bound1 = 0.0, bound2 = 0.0
        var shift = 0.0
        var anchored = false
        var run = 0, nonFinite = 0
        for i in 0..<n {
            run = i > 0 && x[i] == x[i - 1] ? run + 1 : 1
            if !x[i].isFinite { nonFinite += 1 }
            if i >= w, !x[i - w].isFinite { nonFinite -= 1 }
            guard i >= w - 1 else { out[i] = .nan; continue }
            if nonFinite > 0 {
                out[i] = run >= w && x[i].isFinite ? 0 : .nan
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
                let sums = windowSums(values + (i - w + 1), count: w)
                (shift, s1, s2, bound1, bound2) = (sums.center, sums.s1, sums.s2, sums.bound1, sums.bound2)
                anchored = true
                mean = s1 * inverse
                m2 = s2 - s1 * mean
            }
            // M2 for now: the division and square root are done after the loop, several bars at a time.
            out[i] = Swift.max(m2, 0)
        }
        if let out = out.baseAddress { finishStandardDeviations(out, count: n, divisor: count - 1) }
    }

    /// A window summed afresh around its mean c: Σd, Σd² for d = x − c, and bounds on their
    /// rounding errors in units of 2⁻⁵³ (each difference's own rounding and every partial sum,
    /// as the sliding loop counts them). Four lanes at a time: a fresh sum costs w/4 adds in a
    /// row, not w. c needs no care: whatever it is, the sums are of x − c as rounded, and their
    /// bounds say how exact they are; near the mean, Σd is small and M2 does not cancel.
    @inline(__always)
    private static func windowSums(_ x: UnsafePointer<Double>, count w: Int)
        -> (center: Double, s1: Double, s2: Double, bound1: Double, bound2: Double) {
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

    /// (x − mean) / std over the window (`std` with ddof 1); a constant window gives 0/0 = NaN,
    /// as in pandas.
    static func rollingZScore(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>, custom: RollingMean?) {
        var means = [Double](repeating: .nan, count: x.count)
        means.withUnsafeMutableBufferPointer { rollingMean(x, window: w, into: $0, custom: custom) }
        rollingStd(x, window: w, into: out)
        guard let values = x.baseAddress, let z = out.baseAddress else { return }
        means.withUnsafeBufferPointer { means in
            let m = means.baseAddress!
            for i in 0..<x.count { z[i] = (values[i] - m[i]) / z[i] }
        }
    }

    /// Highest (or lowest) value of the window by van Herk / Gil–Werman: the series cut into blocks
    /// of w bars, a running extreme forward and backward within each block, and every window the
    /// extreme of one block's backward value (its older bars) and the next block's forward value
    /// (its newer bars). Three comparisons a bar and no branch on the data, where a monotonic
    /// queue mispredicts about once a bar on prices. Ties keep the newer bar (as pandas' queue
    /// does, which only shows in the sign of a zero). A value depends only on bars inside its
    /// window, so a NaN spoils only the windows that hold it, and those are NaN.
    static func rollingExtreme(_ x: UnsafeBufferPointer<Double>, window w: Int, highest: Bool, into out: UnsafeMutableBufferPointer<Double>) {
        guard let values = x.baseAddress, let out = out.baseAddress, w >= 1, x.count > 0 else { return }
        if highest {
            blockExtremes(values, count: x.count, window: w, into: out) { $0 >= $1 }
        } else {
            blockExtremes(values, count: x.count, window: w, into: out) { $0 <= $1 }
        }
        var lastNaN = -1
        for i in 0..<x.count {
            if values[i].isNaN { lastNaN = i }
            // A window not yet full, or holding the last NaN (lastNaN ≥ i − w + 1).
            if lastNaN > i - w { out[i] = .nan }
        }
    }

    /// The windows' extremes, `keeps(a, b)` saying that a newer a wins over an older b.
    @inline(__always)
    private static func blockExtremes(_ x: UnsafePointer<Double>, count n: Int, window w: Int, into out: UnsafeMutablePointer<Double>,
                                      keeps: (Double, Double) -> Bool) {
        let backward = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { backward.deallocate() }
        var start = 0
        while start < n {
            let end = Swift.min(start + w, n)
            // Forward: the extreme of the block's bars up to i, in out[i].
            var m = x[start]
            out[start] = m
            var i = start + 1
            while i < end {
                m = keeps(x[i], m) ? x[i] : m
                out[i] = m
                i += 1
            }
            // Backward: the extreme of the block's bars from i to its end.
            m = x[end - 1]
            backward[end - 1] = m
            i = end - 2
            while i >= start {
                m = keeps(m, x[i]) ? m : x[i]
                backward[i] = m
                i -= 1
            }
            start = end
        }
        // Window i − w + 1 … i: bars i − w + 1 to its block's end (backward), then the next
        // block's bars up to i (forward, already in out[i]); one block when they coincide.
        if w > 1 && w <= n {
            for i in (w - 1)..<n {
                let newer = out[i], older = backward[i - w + 1]
                out[i] = keeps(newer, older) ? newer : older
            }
        }
    }

    /// The percentile rank of the bar's value within its window, pandas'
    /// `rolling(n).rank(pct=True)`: average rank of ties, divided by the window's count.
    static func rollingRank(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let nan = windowsWithNaN(x, window: w)
        for i in 0..<x.count {
            guard !nan[i] else { out[i] = .nan; continue }
            var less = 0, equal = 0
            for j in (i - w + 1)...i {
                if x[j] < x[i] { less += 1 } else if x[j] == x[i] { equal += 1 }
            }
            out[i] = (Double(less) + Double(equal + 1) / 2) / Double(w)
        }
    }

    /// Pearson correlation of x and y over the window (two passes; NaN when either is constant).
    static func rollingCorrelation(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let nanX = windowsWithNaN(x, window: w), nanY = windowsWithNaN(y, window: w)
        for i in 0..<x.count {
            guard !nanX[i], !nanY[i] else { out[i] = .nan; continue }
            var sx = 0.0, sy = 0.0
            for j in (i - w + 1)...i { sx += x[j]; sy += y[j] }
            let mx = sx / Double(w), my = sy / Double(w)
            var cxy = 0.0, cxx = 0.0, cyy = 0.0
            for j in (i - w + 1)...i {
                let dx = x[j] - mx, dy = y[j] - my
                cxy += dx * dy
                cxx += dx * dx
                cyy += dy * dy
            }
            let denominator = (cxx * cyy).squareRoot()
            out[i] = denominator > 0 ? Swift.max(-1, Swift.min(1, cxy / denominator)) : .nan
        }
    }
}
