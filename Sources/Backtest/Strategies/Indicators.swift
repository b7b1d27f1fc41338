/// Moving averages, oscillators and returns over a price column, NaN where undefined (pandas'
/// conventions). Each is an `IndicatorKernel` over the whole series, the kernel the fused paths
/// compute block by block.
public enum Indicators {
    /// Simple moving average over `window` bars, `rolling(window).mean()`: NaN for the first
    /// window − 1 bars. The definition (sliding sum re-anchored every 128 bars, exact for equal
    /// values) is `RollingMean`'s, shared by every path.
    public static func sma(_ x: [Double], window: Int) -> [Double] { IndicatorKernel.sma(window).compute(x) }

    /// Exponential moving average with span s, `ewm(span=s, adjust=False).mean()`:
    /// α = 2/(s + 1), e₀ = x₀, eᵢ = α·xᵢ + (1 − α)·eᵢ₋₁; reported from bar s − 1 on (min_periods = s),
    /// NaN before.
    public static func ema(_ x: [Double], span: Int) -> [Double] { IndicatorKernel.ema(span).compute(x) }

    /// Return over `lookback` bars, xᵢ / xᵢ₋ₗ − 1; NaN for the first `lookback` bars.
    public static func momentum(_ x: [Double], lookback: Int) -> [Double] { IndicatorKernel.momentum(lookback).compute(x) }

    /// z-score of each value against its trailing window, (xᵢ − mean) / σ with the population σ
    /// (ddof 0, Bollinger's and TA-Lib's bands), both over x[i−w+1…i]; NaN for the first w − 1 bars
    /// and 0 where the window is constant. Each window is computed in two passes (mean, then
    /// squared deviations), so no cancellation creeps in.
    public static func zScore(_ x: [Double], window: Int) -> [Double] { IndicatorKernel.zScore(window).compute(x) }

    /// Wilder's relative strength index over `period` bars (TA-Lib's `RSI`): with gains and losses
    /// of each bar's change, the first averages are the plain means over bars 1…period, then
    /// aᵢ = (aᵢ₋₁·(period − 1) + valueᵢ) / period; RSI = 100 − 100 / (1 + gain / loss), 100 when
    /// there are no losses (50 when the price has not moved at all). NaN before bar `period`.
    public static func rsi(_ x: [Double], period: Int) -> [Double] { IndicatorKernel.rsi(period).compute(x) }
}
