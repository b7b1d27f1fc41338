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
    /// With a `peer`, its semantics where the libraries differ: its rolling-mean rounding, and
    /// for vectorbt crossings that pass through ties (`vectorbtCrossings`).
    public static func signals(_ spec: StrategySpec, close: [Double], peer: MetricsConvention? = nil) throws -> [Signal] {
        let plan = try StrategyPlan(spec)
        let arithmetic = peer?.meanArithmetic ?? .quantforge
        let a = plan.kernels.first?.compute(close, arithmetic: arithmetic) ?? []
        let b = plan.kernels.count > 1 ? plan.kernels[1].compute(close, arithmetic: arithmetic) : []
        if case .cross = plan.rule, peer == .vectorbt { return vectorbtCrossings(a, b) }
        var state = StrategyPlan.State()
        return close.indices.map { i in
            plan.step(a: a.isEmpty ? .nan : a[i], b: b.isEmpty ? .nan : b[i], bar: i, state: &state)
        }
    }

    /// vectorbt's `crossed_above(a, b)` as longs and `crossed_above(b, a)` as shorts, bar by
    /// bar as its `crossed_above_1d_nb` loop: the slow reference for the fused finder.
    static func vectorbtCrossings(_ a: [Double], _ b: [Double]) -> [Signal] {
        func crossedAbove(_ x: [Double], _ y: [Double]) -> [Bool] {
            var out = [Bool](repeating: false, count: x.count)
            var wasBelow = false, crossedAgo = -1
            for i in x.indices {
                if x[i].isNaN || y[i].isNaN {
                    crossedAgo = -1
                    wasBelow = false
                } else if x[i] > y[i] {
                    if wasBelow {
                        crossedAgo += 1
                        out[i] = crossedAgo == 0
                    }
                } else if x[i] == y[i] {
                    crossedAgo = -1
                } else {
                    crossedAgo = -1
                    wasBelow = true
                }
            }
            return out
        }
        let up = crossedAbove(a, b), down = crossedAbove(b, a)
        return a.indices.map { up[$0] ? .long : (down[$0] ? .short : .hold) }
    }

    /// The first bar at which every indicator of `spec` exists (Backtesting.py's warm-up, from
    /// which its buy & hold return is measured).
    public static func warmupBars(_ spec: StrategySpec) throws -> Int { try StrategyPlan(spec).warmup }
}
