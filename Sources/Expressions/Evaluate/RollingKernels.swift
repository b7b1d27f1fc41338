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
