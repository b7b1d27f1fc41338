/// The simple moving average every path of Backtest uses (strategies, the fused kernels, sweeps),
/// defined so that any slice of bars can be computed on its own and still give bit-identical
/// values: a block computed inside a fused kernel, a window shared by thousands of sweep
/// combinations and the plain array form all agree to the last bit.
///
/// Definition, for window w and bar i ≥ w − 1 (NaN before, and NaN while the window holds a NaN,
/// like pandas' `rolling(w).mean()`):
/// - the window sum is summed afresh at an *anchor*: bar w − 1, every multiple of the anchor
///   spacing K(w) (the smallest power of two ≥ max(1024, 4w)), and every bar where a non-finite
///   value enters or leaves the window.
///   A fresh sum adds the w values in four interleaved partial sums (values j ≡ 0, 1, 2, 3 mod 4
///   from the window's start), combined as (p₀ + p₁) + (p₂ + p₃);
/// - between anchors it slides, sᵢ = sᵢ₋₁ + (xᵢ − xᵢ₋w), and the mean is sᵢ / w, divided with
///   one multiplication and two fused corrections (`divide`);
/// - when the w values in the window are all identical (bit for bit) the mean is that value
///   exactly (pandas' rule), so flat prices never produce a spurious crossing between two averages.
///
/// Accuracy: the sliding error grows like √k ulps of the window sum over k ≤ K steps, so a mean
/// is within about 1e-14 relative of the exact one; re-anchoring keeps the error from drifting
/// over millions of bars. Cost: one add per bar on four independent chains, a fraction of an add
/// per bar for the anchors, and a vectorised division pass.
public enum RollingMean {
    /// Bars between fresh summations of a window of `w` bars: the smallest power of two at least
    /// max(1024, 4w), so that anchors fall on the boundaries of power-of-two blocks. (Shorter
    /// spacings cost more in per-segment overhead than they bought in accuracy.)
    @inline(__always)
    public static func anchorSpacing(window w: Int) -> Int {
        var k = 1_024
        while k < 4 * w { k *= 2 }
        return k
    }

    /// Writes the mean of x[i−w+1…i] for every i in `range` into out[i − range.lowerBound].
    public static func compute(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        sums(x, window: w, range: range, into: out)
        finish(x, window: w, range: range, sums: out)
    }

    /// Writes the window sums (NaN before bar w − 1) for every bar of `range`: the first half of
    /// `compute`, for callers that divide the sums themselves (`finish` or `divide`).
    public static func sums(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        precondition(w >= 1, "RollingMean: window must be at least 1")
        precondition(range.lowerBound >= 0 && range.upperBound <= x.count, "RollingMean: range \(range) outside \(x.count) bars")
        let first = range.lowerBound, upper = range.upperBound
        var i = first
        while i < upper && i < w - 1 { out[i - first] = .nan; i += 1 }
        guard i < upper else { return }
        let base = x.baseAddress!
        let k = anchorSpacing(window: w)
        // One anchor segment at a time: sum afresh at the anchor, slide to the segment's end.
        while i < upper {
            if i % k == 0 && i >= w - 1 && i + 4 * k <= upper && slideFourSegments(base, w: w, k: k, from: i, into: out + (i - first)) {
                // Four whole segments side by side: four independent add chains instead of one.
                i += 4 * k
                continue
            }
            let anchor = max(w - 1, (i / k) * k)
            let segmentEnd = min(upper, (anchor / k + 1) * k)
            var sum = freshSum(base, w: w, at: anchor)
            // Slide silently up to the first bar wanted (a range may start inside a segment).
            var j = anchor + 1
            while j < i {
                let d = base[j] - base[j - w]
                sum = d.isFinite ? sum + d : freshSum(base, w: w, at: j)
                j += 1
            }
            if i == anchor { out[i - first] = sum; i += 1 }
            // The hot loop: one dependent add per bar.
            // (d − d) == 0 is false for NaN and ±∞ alike, which send the window to a fresh sum.
            var newest = base + i, oldest = base + (i &- w), slot = out + (i &- first)
            let stop = base + segmentEnd
            while newest < stop {
                let d = newest.pointee - oldest.pointee
                if d - d == 0 { sum += d } else { sum = freshSum(base, w: w, at: newest - base) }
                slot.pointee = sum
                newest += 1
                oldest += 1
                slot += 1
            }
            i = segmentEnd
        }
    }

    /// Turns the sums `sums` wrote for `range` into means, in place: a vectorised division, then
    /// the all-equal rule where it applies.
    public static func finish(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>, sums out: UnsafeMutablePointer<Double>) {
        let first = range.lowerBound, upper = range.upperBound
        let start = max(first, w - 1)
        guard start < upper else { return }
        let base = x.baseAddress!
        let o = out + (start - first)
        let count = upper - start
        let wd = Double(w), reciprocal = 1 / wd
        var m = 0
        while m &+ 4 <= count {
            let q = divide(UnsafeRawPointer(o + m).loadUnaligned(as: SIMD4<Double>.self), by: wd, reciprocal: reciprocal)
            UnsafeMutableRawPointer(o + m).storeBytes(of: q, as: SIMD4<Double>.self)
            m &+= 4
        }
        while m < count { o[m] = divide(o[m], by: wd, reciprocal: reciprocal); m &+= 1 }
        if identicalWindows(x, window: w, range: start..<upper) {
            applyEqualRule(base, window: w, range: range, means: out)
        }
    }

    /// Whether some window ending in `range` may hold w identical values (false on ordinary
    /// prices, found with a vectorised scan).
    @inline(__always)
    static func identicalWindows(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>) -> Bool {
        guard w > 1 else { return true }
        let scanFrom = max(0, range.lowerBound - w + 1)
        guard range.upperBound - scanFrom > 1 else { return false }
        return hasIdenticalNeighbours(x.baseAddress!, from: scanFrom + 1, to: range.upperBound)
    }

    /// Sets the mean of every window of w identical values (bit for bit) to that value.
    static func applyEqualRule(_ base: UnsafePointer<Double>, window w: Int, range: Range<Int>, means out: UnsafeMutablePointer<Double>) {
        let first = range.lowerBound, upper = range.upperBound
        let start = max(first, w - 1)
        guard start < upper else { return }
        if w == 1 { for m in start..<upper { out[m - first] = base[m] }; return }
        let bits = UnsafeRawPointer(base).assumingMemoryBound(to: UInt64.self)
        let scanFrom = max(0, start - w + 1)
        var run = 1
        for m in (scanFrom + 1)..<upper {
            run = bits[m] == bits[m - 1] ? run + 1 : 1
            if m >= start && run >= w { out[m - first] = base[m] }
        }
    }

    /// s / w as q + (s − q·w)·r with q = s·r and r = 1/w rounded, both corrections fused
    /// multiply-adds (Markstein's correction step): the correctly rounded quotient — it equalled
    /// IEEE division on a million random sums in the tests — at a third of the cost of a vector
    /// division.
    @inline(__always)
    public static func divide(_ s: SIMD4<Double>, by w: Double, reciprocal r: Double) -> SIMD4<Double> {
        let q = s * r
        let remainder = s.addingProduct(-q, SIMD4(repeating: w))
        return q.addingProduct(remainder, SIMD4(repeating: r))
    }

    /// The scalar form of `divide`, the same operations.
    @inline(__always)
    public static func divide(_ s: Double, by w: Double, reciprocal r: Double) -> Double {
        let q = s * r
        let remainder = s.addingProduct(-q, w)
        return q.addingProduct(remainder, r)
    }

    /// The sums of the four segments [s + jk, s + (j+1)k), j = 0…3, each from its own anchor, with
    /// the same arithmetic as the one-segment loop, and no test per bar. Returns false when a
    /// non-finite value was among the bars read — then some final sum is non-finite, since NaN
    /// sticks and an infinity that leaves the window turns the sum into NaN — and the caller
    /// recomputes the segments with the one-segment loop, which re-sums around such values.
    @inline(__always)
    static func slideFourSegments(_ base: UnsafePointer<Double>, w: Int, k: Int, from s: Int, into out: UnsafeMutablePointer<Double>) -> Bool {
        // The spacing of every window up to 256 bars as a constant: the four segments are then
        // fixed displacements from three moving pointers, and the loop's twelve streams fit in
        // registers (with k in a register they did not, and two pointers were reloaded from the
        // stack every bar).
        k == 1_024 ? slideFourSegments(base, w: w, spacing: 1_024, from: s, into: out)
                   : slideFourSegments(base, w: w, spacing: k, from: s, into: out)
    }

    @inline(__always)
    private static func slideFourSegments(_ base: UnsafePointer<Double>, w: Int, spacing k: Int, from s: Int,
                                          into out: UnsafeMutablePointer<Double>) -> Bool {
        var s0 = freshSum(base, w: w, at: s), s1 = freshSum(base, w: w, at: s &+ k)
        var s2 = freshSum(base, w: w, at: s &+ 2 &* k), s3 = freshSum(base, w: w, at: s &+ 3 &* k)
        out[0] = s0
        out[k] = s1
        out[2 &* k] = s2
        out[3 &* k] = s3
        // Bar t of segment j is newest[j·k], the bar leaving its window oldest[j·k].
        var newest = base + (s &+ 1), oldest = newest - w, slot = out + 1
        let stop = base + (s &+ k)
        while newest < stop {
            s0 += newest[0] - oldest[0]
            s1 += newest[k] - oldest[k]
            s2 += newest[2 &* k] - oldest[2 &* k]
            s3 += newest[3 &* k] - oldest[3 &* k]
            slot[0] = s0
            slot[k] = s1
            slot[2 &* k] = s2
            slot[3 &* k] = s3
            newest += 1
            oldest += 1
            slot += 1
        }
        return (s0 + s1 + s2 + s3).isFinite
    }

    /// Whether x[m] and x[m − 1] are identical for some m in from..<to, four at a time.
    @inline(__always)
    static func hasIdenticalNeighbours(_ x: UnsafePointer<Double>, from: Int, to: Int) -> Bool {
        let raw = UnsafeRawPointer(x)
        var m = from
        while m &+ 4 <= to {
            let current = raw.loadUnaligned(fromByteOffset: m &* 8, as: SIMD4<UInt64>.self)
            let previous = raw.loadUnaligned(fromByteOffset: (m &- 1) &* 8, as: SIMD4<UInt64>.self)
            if any(current .== previous) { return true }
            m &+= 4
        }
        let bits = raw.assumingMemoryBound(to: UInt64.self)
        while m < to {
            if bits[m] == bits[m &- 1] { return true }
            m &+= 1
        }
        return false
    }

    /// Σ x[at−w+1…at] in four interleaved partial sums; NaN when the window holds a NaN.
    @inline(__always)
    static func freshSum(_ x: UnsafePointer<Double>, w: Int, at bar: Int) -> Double {
        var p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0
        var j = bar &- w &+ 1
        let end = bar &+ 1
        while j &+ 4 <= end {
            p0 += x[j]; p1 += x[j &+ 1]; p2 += x[j &+ 2]; p3 += x[j &+ 3]
            j &+= 4
        }
        if j < end { p0 += x[j] }
        if j &+ 1 < end { p1 += x[j &+ 1] }
        if j &+ 2 < end { p2 += x[j &+ 2] }
        return (p0 + p1) + (p2 + p3)
    }
}
