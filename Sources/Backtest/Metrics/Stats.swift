import Foundation

/// Sample statistics with pandas' conventions.
enum Stats {
    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : sum(x) / Double(x.count) }

    /// Σx in four interleaved partial sums: four independent add chains (and a smaller rounding
    /// error than one long chain).
    static func sum(_ x: [Double]) -> Double {
        var p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0
        var i = 0
        let n = x.count
        while i + 4 <= n { p0 += x[i]; p1 += x[i + 1]; p2 += x[i + 2]; p3 += x[i + 3]; i += 4 }
        while i < n { p0 += x[i]; i += 1 }
        return (p0 + p1) + (p2 + p3)
    }

    /// Sample variance (ddof 1).
    static func variance(_ x: [Double]) -> Double { covariance(x, x) }

    /// √mean(min(x, 0)²): the downside deviation below 0.
    static func downsideDeviation(_ x: [Double]) -> Double {
        (x.reduce(0) { $0 + Swift.min($1, 0) * Swift.min($1, 0) } / Double(x.count)).squareRoot()
    }

    /// Sample standard deviation (ddof 1).
    static func standardDeviation(_ x: [Double]) -> Double { covariance(x, x).squareRoot() }

    /// Sample covariance (ddof 1), in two passes (means, then products of deviations).
    static func covariance(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count > 1, x.count == y.count else { return .nan }
        let mx = mean(x), my = mean(y)
        var s0 = 0.0, s1 = 0.0
        var i = 0
        let n = x.count
        while i + 2 <= n { s0 += (x[i] - mx) * (y[i] - my); s1 += (x[i + 1] - mx) * (y[i + 1] - my); i += 2 }
        if i < n { s0 += (x[i] - mx) * (y[i] - my) }
        return (s0 + s1) / Double(n - 1)
    }

    /// exp(mean(log(1 + x))) − 1; 0 when some 1 + x ≤ 0 (Backtesting.py's `geometric_mean`).
    static func geometricMean(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        guard x.allSatisfy({ $0 > -1 }) else { return 0 }
        return Foundation.exp(x.map { Foundation.log1p($0) }.reduce(0, +) / Double(x.count)) - 1
    }

    /// The q-quantile by linear interpolation (numpy's default).
    static func quantile(_ x: [Double], _ q: Double) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        let p = q * Double(s.count - 1)
        let lo = Int(p.rounded(.down)), hi = Swift.min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (p - Double(lo))
    }

    /// Adjusted Fisher–Pearson skewness, G1 = √(n(n−1))/(n−2) · m3 / m2^{3/2} (pandas `skew()`).
    static func skewness(_ x: [Double]) -> Double {
        let n = Double(x.count)
        guard n > 2 else { return .nan }
        let m = mean(x)
        let m2 = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / n
        let m3 = x.map { ($0 - m) * ($0 - m) * ($0 - m) }.reduce(0, +) / n
        guard m2 > 0 else { return 0 }
        return (n * (n - 1)).squareRoot() / (n - 2) * m3 / Foundation.pow(m2, 1.5)
    }

    /// Bias-corrected excess kurtosis, G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3)), g2 = m4/m2² − 3
    /// (pandas `kurt()`).
    static func excessKurtosis(_ x: [Double]) -> Double {
        let n = Double(x.count)
        guard n > 3 else { return .nan }
        let m = mean(x)
        let m2 = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / n
        let m4 = x.map { Foundation.pow($0 - m, 4) }.reduce(0, +) / n
        guard m2 > 0 else { return 0 }
        let g2 = m4 / (m2 * m2) - 3
        return ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
    }
}
