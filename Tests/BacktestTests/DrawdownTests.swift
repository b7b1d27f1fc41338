import Backtest
import Testing

/// Drawdown against hand-worked curves and a slow reference over random walks.
@Suite struct DrawdownTests {
    func analyse(_ equity: [Double]) -> Drawdown { equity.withUnsafeBufferPointer { Drawdown(equity: $0) } }

    @Test func handWorkedCurve() {
        // Peak 120 at bar 1, trough 90 at bar 3 (25% down), regained at bar 5: 4 bars long.
        let d = analyse([100, 120, 110, 90, 115, 125, 124])
        #expect(abs(d.maximum - 0.25) < 1e-15)
        #expect(d.peakIndex == 1 && d.troughIndex == 3)
        // The final dip (bar 6) lasts 1 bar; the spell from bar 1 to bar 5 lasts 4.
        #expect(d.longestDuration == 4)
    }

    @Test func neverRecoveringRunsToTheEnd() {
        let d = analyse([10, 9, 8, 8.5])
        #expect(abs(d.maximum - 0.2) < 1e-15 && d.longestDuration == 3)
        let rising = analyse([1, 2, 3])
        #expect(rising.maximum == 0 && rising.longestDuration == 0)
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func matchesSlowReference(seed: UInt64) {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53
        }
        var equity = [100.0]
        for _ in 0..<500 { equity.append(equity.last! * (1 + (uniform() - 0.5) * 0.04)) }
        // Reference: for every pair i < j, the fall from the best value up to i to the value at j.
        var worst = 0.0
        for j in equity.indices { worst = max(worst, 1 - equity[j] / equity[...j].max()!) }
        var series = [Double](repeating: .nan, count: equity.count)
        equity.withUnsafeBufferPointer { e in series.withUnsafeMutableBufferPointer { Drawdown.series(equity: e, into: $0) } }
        #expect(abs(analyse(equity).maximum - worst) < 1e-12)
        #expect(abs(series.max()! - worst) < 1e-12)
        // Durations: spells of consecutive bars with drawdown > 0, counted from the peak bar before
        // them to the recovery bar (or the last bar).
        var longest = 0, start: Int?
        for i in series.indices {
            if series[i] > 0 { if start == nil { start = i - 1 } } else if let s = start { longest = max(longest, i - s); start = nil }
        }
        if let s = start { longest = max(longest, series.count - 1 - s) }
        #expect(analyse(equity).longestDuration == longest)
    }
}
