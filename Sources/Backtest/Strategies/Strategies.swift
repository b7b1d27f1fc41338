/// The built-in strategies as kernels from a close column to one signal per bar.
///
/// Crossovers follow the issue's rule exactly: the fast average crosses above the slow one on bar
/// i when f[i−1] < s[i−1] and f[i] > s[i] (strict on both sides) — a `.long` signal — and below
/// for the mirror — a `.short` signal (flat when shorting is off). No signal is given before both
/// averages exist on bar i−1.
///
/// - `mean_reversion` (window, entry, exit): z-score of the close against its window (population
///   σ); long below −entry, short above +entry, flat when z returns to ∓exit. `bollinger` (window,
///   k) is the same with bands at k·σ and exits at the middle band.
/// - `rsi` (period, lower, upper): Wilder's RSI; long while below `lower`, short (flat when
///   shorting is off) while above `upper`.
/// - `momentum` (lookback): long when the lookback return is positive, short when negative.
public enum Strategies {
    /// Signals for `spec` over `close`.
    /// - Throws: `BacktestError` for an unknown name (listing the known ones) or a bad parameter.
    public static func signals(_ spec: StrategySpec, close: [Double]) throws -> [Signal] {
        let unknown = spec.unknownParameters()
        guard unknown.isEmpty else {
            let known = (StrategySpec.catalog[spec.name] ?? [:]).keys.sorted().joined(separator: ", ")
            throw BacktestError.invalidParameter("\(spec.name): unknown parameter\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (known: \(known.isEmpty ? "none" : known))")
        }
        switch spec.name {
        case "sma_cross":
            let (fast, slow) = (try spec.integer("fast"), try spec.integer("slow"))
            try requireFasterThanSlow(spec, fast, slow)
            return crossings(Indicators.sma(close, window: fast), Indicators.sma(close, window: slow))
        case "ema_cross":
            let (fast, slow) = (try spec.integer("fast"), try spec.integer("slow"))
            try requireFasterThanSlow(spec, fast, slow)
            return crossings(Indicators.ema(close, span: fast), Indicators.ema(close, span: slow))
        case "momentum":
            let m = Indicators.momentum(close, lookback: try spec.integer("lookback"))
            return m.map { $0 > 0 ? .long : ($0 < 0 ? .short : .hold) }
        case "mean_reversion":
            let window = try spec.integer("window", minimum: 2)
            let (entry, exit) = (try spec.number("entry", minimum: 0), try spec.number("exit", minimum: 0))
            guard exit <= entry else { throw BacktestError.invalidParameter("mean_reversion: parameter 'exit' (\(exit)) must not exceed 'entry' (\(entry))") }
            return bandReversion(Indicators.zScore(close, window: window), entry: entry, exit: exit)
        case "bollinger":
            let window = try spec.integer("window", minimum: 2)
            return bandReversion(Indicators.zScore(close, window: window), entry: try spec.number("k", minimum: 0), exit: 0)
        case "rsi":
            let period = try spec.integer("period")
            let (lower, upper) = (try spec.number("lower", minimum: 0), try spec.number("upper", minimum: 0))
            guard lower < upper, upper <= 100 else { throw BacktestError.invalidParameter("rsi: parameters must satisfy 0 ≤ 'lower' (\(lower)) < 'upper' (\(upper)) ≤ 100") }
            return Indicators.rsi(close, period: period).map { $0 < lower ? .long : ($0 > upper ? .short : .hold) }
        case "buy_and_hold":
            return close.indices.map { $0 == 0 ? .long : .hold }
        default:
            throw BacktestError.unknownStrategy("unknown strategy '\(spec.name)' (known: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")))")
        }
    }

    /// The first bar at which every indicator of `spec` exists (Backtesting.py's warm-up, from
    /// which its buy & hold return is measured).
    public static func warmupBars(_ spec: StrategySpec) throws -> Int {
        switch spec.name {
        case "sma_cross", "ema_cross": return try spec.integer("slow") - 1
        case "momentum": return try spec.integer("lookback")
        case "mean_reversion", "bollinger": return try spec.integer("window", minimum: 2) - 1
        case "rsi": return try spec.integer("period")
        case "buy_and_hold": return 0
        default: throw BacktestError.unknownStrategy("unknown strategy '\(spec.name)' (known: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")))")
        }
    }

    /// Band reversion on a z-score: below −entry go long, above +entry go short; a long is closed
    /// once z is back to −exit or above, a short once z is back to +exit or below (exit 0: at the
    /// mean). The kernel keeps the position it asked for, so exits are given once, not every bar.
    static func bandReversion(_ z: [Double], entry: Double, exit: Double) -> [Signal] {
        var out = [Signal](repeating: .hold, count: z.count)
        var wanted = 0
        for i in z.indices where !z[i].isNaN {
            if z[i] < -entry { if wanted != 1 { out[i] = .long; wanted = 1 } } else if z[i] > entry { if wanted != -1 { out[i] = .short; wanted = -1 } } else if wanted == 1 && z[i] >= -exit { out[i] = .flat; wanted = 0 } else if wanted == -1 && z[i] <= exit { out[i] = .flat; wanted = 0 }
        }
        return out
    }

    static func requireFasterThanSlow(_ spec: StrategySpec, _ fast: Int, _ slow: Int) throws {
        guard fast < slow else { throw BacktestError.invalidParameter("\(spec.name): parameter 'fast' (\(fast)) must be below 'slow' (\(slow))") }
    }

    /// `.long` where `f` crosses above `s`, `.short` where it crosses below, `.hold` elsewhere.
    /// Comparisons with NaN are false, so bars before both averages exist give no signal.
    static func crossings(_ f: [Double], _ s: [Double]) -> [Signal] {
        var out = [Signal](repeating: .hold, count: f.count)
        for i in f.indices.dropFirst() {
            if f[i - 1] < s[i - 1] && f[i] > s[i] { out[i] = .long } else if f[i - 1] > s[i - 1] && f[i] < s[i] { out[i] = .short }
        }
        return out
    }
}
