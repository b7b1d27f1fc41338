/// Moving averages and returns over a price column, NaN where undefined (pandas' conventions).
public enum Indicators {
    /// Simple moving average over `window` bars, `rolling(window).mean()`: NaN for the first
    /// window − 1 bars. The window sum slides with Kahan compensation, so it does not drift over
    /// millions of bars.
    public static func sma(_ x: [Double], window: Int) -> [Double] {
        precondition(window >= 1, "sma: window must be at least 1")
        var out = [Double](repeating: .nan, count: x.count)
        var sum = 0.0, compensation = 0.0
        func add(_ v: Double) {
            let y = v - compensation
            let t = sum + y
            compensation = (t - sum) - y
            sum = t
        }
        for i in x.indices {
            add(x[i])
            if i >= window { add(-x[i - window]) }
            if i >= window - 1 { out[i] = sum / Double(window) }
        }
        return out
    }

    /// Exponential moving average with span s, `ewm(span=s, adjust=False).mean()`:
    /// α = 2/(s + 1), e₀ = x₀, eᵢ = α·xᵢ + (1 − α)·eᵢ₋₁; reported from bar s − 1 on (min_periods = s),
    /// NaN before.
    public static func ema(_ x: [Double], span: Int) -> [Double] {
        precondition(span >= 1, "ema: span must be at least 1")
        let alpha = 2.0 / Double(span + 1)
        var out = [Double](repeating: .nan, count: x.count)
        var e = x.first ?? .nan
        for i in x.indices {
            if i > 0 { e = alpha * x[i] + (1 - alpha) * e }
            if i >= span - 1 { out[i] = e }
        }
        return out
    }

    /// Return over `lookback` bars, xᵢ / xᵢ₋ₗ − 1; NaN for the first `lookback` bars.
    public static func momentum(_ x: [Double], lookback: Int) -> [Double] {
        precondition(lookback >= 1, "momentum: lookback must be at least 1")
        return x.indices.map { $0 >= lookback ? x[$0] / x[$0 - lookback] - 1 : .nan }
    }
}
