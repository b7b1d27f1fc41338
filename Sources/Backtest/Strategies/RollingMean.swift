/// The simple moving average every path of Backtest uses (strategies, the fused kernels, sweeps),
/// defined so that any slice of bars can be computed on its own and still give bit-identical
/// values: a block computed inside a fused kernel, a window shared by thousands of sweep
/// combinations and the plain array form all agree to the last bit.
///
/// Definition, for window w and bar i ≥ w − 1 (NaN before, and NaN while the window holds a NaN,
/// like pandas' `rolling(w).mean()`):
/// - the window sum is summed afresh, left to right, at an *anchor*: bar w − 1, every bar that is a
///   multiple of `anchorSpacing`, and every bar where a NaN enters or leaves the window;
/// - between anchors it slides, sᵢ = sᵢ₋₁ + (xᵢ − xᵢ₋w), and the mean is sᵢ / w;
/// - when the w values in the window are all equal the mean is that value exactly (pandas' rule),
///   so flat prices never produce a spurious crossing between two averages.
///
/// Accuracy: the sliding error grows like √k ulps of the window sum over k ≤ 128 steps, so a mean
/// is within about 1e-14 relative of the exact one; re-anchoring keeps the error from drifting
/// over millions of bars. Cost: one dependent add per bar plus w/128 adds for the anchors, and a
/// vectorised division pass.
public enum RollingMean {
    /// Bars between fresh summations of the window.
    public static let anchorSpacing = 128

    /// Writes the mean of x[i−w+1…i] for every i in `range` into out[i − range.lowerBound].
    /// Reads x[max(0, lowerBound − anchorSpacing − w) ..< upperBound] at most.
    public static func compute(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        precondition(w >= 1, "RollingMean: window must be at least 1")
        precondition(range.lowerBound >= 0 && range.upperBound <= x.count, "RollingMean: range \(range) outside \(x.count) bars")
        guard !range.isEmpty else { return }
        let first = range.lowerBound
        // Bars before the first complete window are NaN.
        var i = first
        while i < range.upperBound && i < w - 1 { out[i - first] = .nan; i += 1 }
        guard i < range.upperBound else { return }
        let base = x.baseAddress!
        // Start from the anchor at or before bar i and slide up to i (the values before `first`
        // are not written), so the result does not depend on where the range starts.
        var anchor = max(w - 1, (i / anchorSpacing) * anchorSpacing)
        var state = Window(base: base, w: w, at: anchor)
        while anchor < i {
            anchor += 1
            state.advance(to: anchor, anchorEvery: anchorSpacing)
        }
        let wd = Double(w)
        while i < range.upperBound {
            if i > anchor { state.advance(to: i, anchorEvery: anchorSpacing); anchor = i }
            out[i - first] = state.allEqual ? base[i] : state.sum / wd
            i += 1
        }
    }

    /// The mean over every bar of `x`.
    public static func compute(_ x: [Double], window: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { compute(xp, window: window, range: 0..<x.count, into: $0.baseAddress!) }
        }
        return out
    }

    /// The sliding state at one bar: the window sum, how many NaNs the window holds, and the last
    /// bar whose value differed from the one before it (for the all-equal rule).
    struct Window {
        let base: UnsafePointer<Double>
        let w: Int
        var sum = 0.0
        var nanCount = 0
        var lastChange = 0
        var bar: Int

        init(base: UnsafePointer<Double>, w: Int, at bar: Int) {
            self.base = base
            self.w = w
            self.bar = bar
            resum(at: bar)
            lastChange = 0
            var j = bar
            while j > 0 && j > bar - w && base[j] == base[j - 1] { j -= 1 }
            lastChange = j
        }

        var allEqual: Bool { nanCount == 0 && lastChange <= bar - w + 1 }

        /// Sum x[bar−w+1…bar] left to right and count its NaNs.
        mutating func resum(at bar: Int) {
            var s = 0.0, nans = 0
            for j in (bar - w + 1)...bar {
                let v = base[j]
                if v.isNaN { nans += 1 } else { s += v }
            }
            sum = nans > 0 ? .nan : s
            nanCount = nans
        }

        /// Moves the window to bar i = self.bar + 1.
        @inline(__always)
        mutating func advance(to i: Int, anchorEvery k: Int) {
            bar = i
            let new = base[i], old = base[i - w]
            if new != base[i - 1] { lastChange = i }
            // A NaN entering or leaving the window re-sums it, so a window clear of NaNs slides
            // from a finite sum again.
            if i % k == 0 || new.isNaN || old.isNaN {
                resum(at: i)
                return
            }
            sum += new - old
        }
    }
}
