/// Functions that carry state from bar to bar over one symbol's bars: lags, the exponential
/// average, Wilder's RSI and ATR, crossings.
extension Kernels {
    static func shift(_ x: UnsafeBufferPointer<Double>, by k: Int, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<x.count { out[i] = i >= k ? x[i - k] : .nan }
    }

    static func diff(_ x: UnsafeBufferPointer<Double>, by k: Int, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<x.count { out[i] = i >= k ? x[i] - x[i - k] : .nan }
    }

    /// x / x shifted by k − 1 (pandas 3's `pct_change`, which no longer fills gaps).
    static func percentChange(_ x: UnsafeBufferPointer<Double>, by k: Int, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<x.count { out[i] = i >= k ? x[i] / x[i - k] - 1 : .nan }
    }

    /// `ewm(span=n, adjust=False, min_periods=n).mean()` step for step as pandas computes it:
    /// α = 2/(n + 1); the average starts at the first non-NaN value; a NaN bar leaves the
    /// average and keeps decaying the old weight (`ignore_na=False`); a value appears once n
    /// non-NaN values have been seen.
    static func exponentialMean(_ x: UnsafeBufferPointer<Double>, span n: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let alpha = 2.0 / Double(n + 1)
        let oldFactor = 1 - alpha
        var weighted = Double.nan
        var oldWeight = 1.0
        var observations = 0
        for i in 0..<x.count {
            let value = x[i]
            let isObservation = !value.isNaN
            if isObservation { observations += 1 }
            if i == 0 {
                weighted = value
            } else if !weighted.isNaN {
                oldWeight *= oldFactor
                if isObservation {
                    if weighted != value {
                        weighted = oldWeight * weighted + alpha * value
                        weighted /= oldWeight + alpha
                    }
                    oldWeight = 1
                }
            } else if isObservation {
                weighted = value
            }
            out[i] = observations >= n ? weighted : .nan
        }
    }

    /// Wilder's RSI as the built-in `rsi` rule computes it (TA-Lib's `RSI`), from the first
    /// non-NaN bar f: NaN before bar f + n; then averages of gains and losses seeded with their
    /// means over n changes and smoothed by (a·(n − 1) + v)/n. A NaN after f makes the rest NaN.
    static func rsi(_ x: UnsafeBufferPointer<Double>, period: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let p = Double(period)
        var first = 0
        while first < x.count, x[first].isNaN { first += 1 }
        var gain = 0.0, loss = 0.0
        for i in 0..<x.count {
            let k = i - first
            if k < period { out[i] = .nan; continue }
            if k == period {
                gain = 0
                loss = 0
                for j in (first + 1)...(first + period) {
                    let d = x[j] - x[j - 1]
                    if d.isNaN { gain = .nan; loss = .nan } else if d > 0 { gain += d } else { loss -= d }
                }
                gain /= p
                loss /= p
            } else {
                let d = x[i] - x[i - 1]
                if d.isNaN { gain = .nan; loss = .nan } else {
                    gain = (gain * (p - 1) + Swift.max(d, 0)) / p
                    loss = (loss * (p - 1) + Swift.max(-d, 0)) / p
                }
            }
            out[i] = gain.isNaN || loss.isNaN ? .nan : (loss == 0 ? (gain == 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss))
        }
    }

    /// Wilder's average true range, TA-Lib's `ATR`: true range TRᵢ = max(hᵢ − lᵢ, |hᵢ − cᵢ₋₁|,
    /// |lᵢ − cᵢ₋₁|) from bar 1; ATR at bar n is the mean of TR₁…TRₙ, then (ATR·(n − 1) + TR)/n;
    /// NaN before bar n (and from a NaN on).
    static func atr(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>, period: Int,
                    into out: UnsafeMutableBufferPointer<Double>) {
        let p = Double(period)
        var average = 0.0
        func trueRange(_ i: Int) -> Double {
            let a = high[i] - low[i], b = Swift.abs(high[i] - close[i - 1]), c = Swift.abs(low[i] - close[i - 1])
            if a.isNaN || b.isNaN || c.isNaN { return .nan }
            return Swift.max(a, Swift.max(b, c))
        }
        for i in 0..<close.count {
            if i < period { out[i] = .nan; continue }
            if i == period {
                average = 0
                for j in 1...period { average += trueRange(j) }
                average /= p
            } else {
                average = (average * (p - 1) + trueRange(i)) / p
            }
            out[i] = average
        }
    }

    /// a crosses b upward on bar i: a[i−1] < b[i−1] and a[i] > b[i] (strict on both sides, as the
    /// built-in crossing rules; NaNs compare false).
    static func crossed(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>, above: Bool, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<a.count {
            guard i > 0 else { out[i] = 0; continue }
            out[i] = above ? (a[i - 1] < b[i - 1] && a[i] > b[i] ? 1 : 0) : (a[i - 1] > b[i - 1] && a[i] < b[i] ? 1 : 0)
        }
    }
}
