/// Drawdown of an equity curve: how far it stands below its running peak.
///
/// drawdown[i] = 1 − equity[i] / max(equity[0...i]) (Backtesting.py's definition), so 0 at a new
/// peak and 0.25 when a quarter of the peak has been lost. The maximum drawdown and its duration
/// (bars from the peak before it to the recovery, or to the end if it never recovers) are the
/// figures both Backtesting.py and vectorbt report.
public struct Drawdown: Sendable, Equatable {
    /// The largest drawdown, as a fraction of the peak (0 when equity never falls).
    public let maximum: Double
    /// Bar index of the peak the maximum drawdown started from.
    public let peakIndex: Int
    /// Bar index of the trough of the maximum drawdown.
    public let troughIndex: Int
    /// The deepest drawdown of each spell below a peak, in order.
    public let spellDepths: [Double]
    /// The length in bars of each spell, peak to recovery (or to the last bar), in order.
    public let spellDurations: [Int]
    /// The longest drawdown in bars, from its peak to the bar that regains the peak (or the last
    /// bar when it never does); Backtesting.py's "Max. Drawdown Duration" in bars.
    public let longestDuration: Int

    /// Analyses `equity` in one pass. Equity must be positive.
    public init(equity: UnsafeBufferPointer<Double>) {
        var peak = -Double.infinity, peakAt = 0
        var maximum = 0.0, maxPeak = 0, maxTrough = 0
        var depth = 0.0
        var depths: [Double] = [], durations: [Int] = []
        for i in 0..<equity.count {
            let e = equity[i]
            if e >= peak {
                // Recovery (or a new high): a spell underwater lasted from the peak to this bar.
                if depth > 0 { depths.append(depth); durations.append(i - peakAt) }
                peak = e
                peakAt = i
                depth = 0
            } else {
                let d = 1 - e / peak
                depth = max(depth, d)
                if d > maximum { maximum = d; maxPeak = peakAt; maxTrough = i }
            }
        }
        // Still underwater at the end: the spell runs to the last bar.
        if depth > 0 { depths.append(depth); durations.append(equity.count - 1 - peakAt) }
        let longest = durations.max() ?? 0
        spellDepths = depths
        spellDurations = durations
        self.maximum = maximum
        self.peakIndex = maxPeak
        self.troughIndex = maxTrough
        self.longestDuration = longest
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
