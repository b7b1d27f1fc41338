/// Moving averages and returns over a price column, NaN where undefined (pandas' conventions).
public enum Indicators {
    /// Simple moving average over `window` bars, `rolling(window).mean()`: NaN for the first
    /// window − 1 bars. The definition (sliding sum re-anchored every 128 bars, exact for equal
    /// values) is `RollingMean`'s, shared by every path.
    public static func sma(_ x: [Double], window: Int) -> [Double] {
        RollingMean.compute(x, window: window)
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

    /// z-score of each value against its trailing window, (xᵢ − mean) / σ with the population σ
    /// (ddof 0, Bollinger's and TA-Lib's bands), both over x[i−w+1…i]; NaN for the first w − 1 bars
    /// and 0 where the window is constant. Each window is computed in two passes (mean, then
    /// squared deviations), so no cancellation creeps in.
    public static func zScore(_ x: [Double], window: Int) -> [Double] {
        precondition(window >= 2, "zScore: window must be at least 2")
        let mean = sma(x, window: window)
        var out = [Double](repeating: .nan, count: x.count)
        for i in x.indices where i >= window - 1 {
            let m = mean[i]
            var squares = 0.0
            for j in (i - window + 1)...i { squares += (x[j] - m) * (x[j] - m) }
            let sigma = (squares / Double(window)).squareRoot()
            out[i] = sigma > 0 ? (x[i] - m) / sigma : (m.isNaN ? .nan : 0)
        }
        return out
    }

    /// Wilder's relative strength index over `period` bars (TA-Lib's `RSI`): with gains and losses
    /// of each bar's change, the first averages are the plain means over bars 1…period, then
    /// aᵢ = (aᵢ₋₁·(period − 1) + valueᵢ) / period; RSI = 100 − 100 / (1 + gain / loss), 100 when
    /// there are no losses (50 when the price has not moved at all). NaN before bar `period`.
    public static func rsi(_ x: [Double], period: Int) -> [Double] {
        precondition(period >= 1, "rsi: period must be at least 1")
        var out = [Double](repeating: .nan, count: x.count)
        guard x.count > period else { return out }
        var gain = 0.0, loss = 0.0
        for i in 1...period {
            let d = x[i] - x[i - 1]
            if d > 0 { gain += d } else { loss -= d }
        }
        gain /= Double(period)
        loss /= Double(period)
        let p = Double(period)
        for i in period..<x.count {
            if i > period {
                let d = x[i] - x[i - 1]
                gain = (gain * (p - 1) + Swift.max(d, 0)) / p
                loss = (loss * (p - 1) + Swift.max(-d, 0)) / p
            }
            out[i] = loss == 0 ? (gain == 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss)
        }
        return out
    }
}
