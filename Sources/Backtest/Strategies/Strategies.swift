/// The built-in strategies as kernels from a close column to one signal per bar.
///
/// Crossovers follow the rule exactly: the fast average crosses above the slow one on bar
/// i when f[i−1] < s[i−1] and f[i] > s[i] (strict on both sides) — a `.long` signal — and below
/// for the mirror — a `.short` signal (flat when shorting is off). No signal is given before both
/// averages exist on bar i−1.
public enum Strategies {
    /// Signals for `spec` over `close`.
    /// - Throws: `BacktestError` for an unknown name (listing the known ones) or a bad parameter.
    public static func signals(_ spec: StrategySpec, close: [Double]) throws -> [Signal] {
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
        case "buy_and_hold":
            return close.indices.map { $0 == 0 ? .long : .hold }
        default:
            throw BacktestError.unknownStrategy("unknown strategy '\(spec.name)' (known: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")))")
        }
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
