/// The built-in strategies as kernels from a close column to one signal per bar.
///
/// Crossovers follow the rule exactly: the fast average crosses above the slow one on bar
/// i when f[i−1] < s[i−1] and f[i] > s[i] (strict on both sides) — a `.long` signal — and below
/// for the mirror — a `.short` signal (flat when shorting is off). No signal is given before both
/// averages exist on bar i−1.
///
/// - `sma_cross`, `ema_cross` (fast, slow): the crossing rule on simple or exponential averages.
/// - `mean_reversion` (window, entry, exit): z-score of the close against its window (population
///   σ); long below −entry, short above +entry, flat when z returns to ∓exit. `bollinger` (window,
///   k) is the same with bands at k·σ and exits at the middle band.
/// - `rsi` (period, lower, upper): Wilder's RSI; long while below `lower`, short (flat when
///   shorting is off) while above `upper`.
/// - `momentum` (lookback): long when the lookback return is positive, short when negative.
/// - `buy_and_hold`: long on the first bar.
///
/// Each is a `StrategyPlan` stepped over whole columns here and over blocks in the fused paths.
public enum Strategies {
    /// Signals for `spec` over `close`.
    /// - Throws: `BacktestError` for an unknown name (listing the known ones) or a bad parameter.
    public static func signals(_ spec: StrategySpec, close: [Double]) throws -> [Signal] {
        let plan = try StrategyPlan(spec)
        let a = plan.kernels.first?.compute(close) ?? [], b = plan.kernels.count > 1 ? plan.kernels[1].compute(close) : []
        var state = StrategyPlan.State()
        return close.indices.map { i in
            plan.step(a: a.isEmpty ? .nan : a[i], b: b.isEmpty ? .nan : b[i], bar: i, state: &state)
        }
    }

    /// The first bar at which every indicator of `spec` exists (Backtesting.py's warm-up, from
    /// which its buy & hold return is measured).
    public static func warmupBars(_ spec: StrategySpec) throws -> Int { try StrategyPlan(spec).warmup }
}
