/// Drawdown of an equity curve: how far it stands below its running peak.
///
/// drawdown[i] = 1 − equity[i] / max(equity[0...i]) (Backtesting.py's definition), so 0 at a new
/// peak and 0.25 when a quarter of the peak has been lost. A *spell* runs from a bar at its peak
/// (drawdown 0) to the next such bar, or to the last bar when equity never gets back; its depth is
/// the deepest drawdown inside it and its duration the bars (and time) between its two ends —
/// Backtesting.py's `compute_drawdown_duration_peaks`, which ignores a spell that only starts on
/// the last bar (vectorbt counts it: `countsTrailingBar`).
public struct Drawdown: Sendable, Equatable {
    /// One spell below a peak.
    public struct Spell: Sendable, Equatable {
        /// The bar at the peak and the bar of recovery (or the last bar).
        public var start: Int
        public var end: Int
        public var depth: Double
        /// Whether equity regained the peak at `end` (false: still underwater at the last bar).
        public var recovered: Bool
        public var bars: Int { end - start }
        /// vectorbt's duration: from the first bar below the peak to the recovery, or to and
        /// including the last bar when it never recovers.
        public var vectorbtBars: Int { recovered ? end - start - 1 : end - start }
    }

    /// The largest drawdown, as a fraction of the peak (0 when equity never falls).
    public let maximum: Double
    /// Bar index of the peak the maximum drawdown started from.
    public let peakIndex: Int
    /// Bar index of the trough of the maximum drawdown.
    public let troughIndex: Int
    /// Every spell, in order.
    public let spells: [Spell]

    /// The deepest drawdown of each spell, in order.
    public var spellDepths: [Double] { spells.map(\.depth) }
    /// The longest spell in bars (0 without one); Backtesting.py's "Max. Drawdown Duration" in bars.
    public var longestDuration: Int { spells.map(\.bars).max() ?? 0 }

    /// Analyses `equity` in one pass.
    public init(equity: UnsafeBufferPointer<Double>, countsTrailingBar: Bool = false) {
        var peak = -Double.infinity
        var maximum = 0.0, maxPeak = 0, maxTrough = 0
        var spells: [Spell] = []
        var lastZero = 0, peakAt = 0, depth = 0.0
        let n = equity.count
        for i in 0..<n {
            let e = equity[i]
            if e >= peak {
                peak = e
                peakAt = i
            }
            let d = 1 - e / peak
            if d > maximum { maximum = d; maxPeak = peakAt; maxTrough = i }
            if d == 0 {
                if i > lastZero + 1 { spells.append(Spell(start: lastZero, end: i, depth: depth, recovered: true)) }
                lastZero = i
                depth = 0
            } else if d > depth || depth.isNaN {
                depth = d
            }
        }
        // Underwater at the end: the spell runs to the last bar.
        if n > 0 && lastZero < n - 1 && (n - 1 > lastZero + 1 || countsTrailingBar) {
            spells.append(Spell(start: lastZero, end: n - 1, depth: depth, recovered: false))
        }
        self.spells = spells
        self.maximum = maximum
        self.peakIndex = maxPeak
        self.troughIndex = maxTrough
    }

    /// Writes drawdown[i] for every bar into `out`.
    public static func series(equity: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(out.count >= equity.count, "Drawdown.series: output has \(out.count) slots for \(equity.count) bars")
        var peak = -Double.infinity
        for i in 0..<equity.count {
            peak = max(peak, equity[i])
            out[i] = 1 - equity[i] / peak
        }
    }
}
