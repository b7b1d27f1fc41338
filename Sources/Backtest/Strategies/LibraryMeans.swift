/// Whose arithmetic a rolling mean follows. Two averages that tie in exact arithmetic (frequent
/// on two-decimal prices) cross or not depending on the last bit of each, so a backtest that must
/// give a library's own trades must round as that library does.
public enum MeanArithmetic: String, Sendable, Hashable, Codable, CaseIterable {
    /// `RollingMean`: anchored sliding sums, any slice computable on its own (the fastest).
    case quantforge
    /// vectorbt 1.2's `rolling_mean_1d_nb`: one running cumulative sum c (NaNs skipped); the
    /// mean of bars i−w+1…i is (cᵢ − cᵢ₋w) / w, NaN when the window holds a NaN.
    case vectorbt
    /// pandas' `Series.rolling(w).mean()` (`roll_mean`): a Kahan-compensated running sum, each
    /// bar added and the bar leaving the window removed (their own compensations), divided by
    /// the count; the last value itself when the last `count` values added were all equal; 0
    /// for a negative mean of non-negative values (and the reverse).
    case pandas
}

extension MetricsConvention {
    /// The rolling-mean arithmetic of the library whose numbers this convention gives.
    public var meanArithmetic: MeanArithmetic { self == .vectorbt ? .vectorbt : .pandas }
}

/// The sequential library arithmetics of `MeanArithmetic`, one bar at a time, with the state
/// they carry from one range of bars to the next (they cannot start in the middle of a series).
struct LibraryMeanState: Sendable {
    // vectorbt: the running cumulative sum and NaN count, and the last w of each (a ring).
    var cumulative = 0.0
    var nanCount = 0
    var cumulatives: [Double] = []
    var nanCounts: [Int] = []
    // pandas: roll_mean's running state.
    var count = 0
    var negatives = 0
    var sum = 0.0
    var compensationAdd = 0.0
    var compensationRemove = 0.0
    var sameInARow = 0
    var previous = 0.0

    /// vectorbt's mean of window `w` for every bar of `range` (consecutive from bar 0). The ring's
    /// slot moves by one a bar rather than being `i % w` (an integer division a bar), and the
    /// running sums stay in locals through the loop.
    mutating func vectorbt(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        if cumulatives.count != w {
            cumulatives = [Double](repeating: 0, count: w)
            nanCounts = [Int](repeating: 0, count: w)
        }
        guard !range.isEmpty else { return }
        var cumulative = self.cumulative, nanCount = self.nanCount
        let first = range.lowerBound
        var slot = first % w
        cumulatives.withUnsafeMutableBufferPointer { sums in
            nanCounts.withUnsafeMutableBufferPointer { nans in
                for i in range {
                    let v = x[i]
                    if v.isNaN { nanCount += 1 } else { cumulative = cumulative + v }
                    let length: Int, windowSum: Double
                    if i < w {
                        length = i + 1 - nanCount
                        windowSum = cumulative
                    } else {
                        length = w - (nanCount - nans[slot])
                        windowSum = cumulative - sums[slot]
                    }
                    sums[slot] = cumulative
                    nans[slot] = nanCount
                    out[i - first] = length < w ? .nan : windowSum / Double(length)
                    slot += 1
                    if slot == w { slot = 0 }
                }
            }
        }
        self.cumulative = cumulative
        self.nanCount = nanCount
    }

    /// pandas' mean of window `w` for every bar of `range` (consecutive from bar 0).
    mutating func pandas(_ x: UnsafeBufferPointer<Double>, window w: Int, range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let first = range.lowerBound
        for i in range {
            if i == 0 {
                previous = x[0]
                sameInARow = 0
            } else if i >= w {
                remove(x[i - w])
            }
            add(x[i])
            var mean = Double.nan
            if count >= w && count > 0 {
                mean = sum / Double(count)
                if sameInARow >= count {
                    mean = previous
                } else if negatives == 0 && mean < 0 {
                    mean = 0
                } else if negatives == count && mean > 0 {
                    mean = 0
                }
            }
            out[i - first] = mean
        }
    }

    private mutating func add(_ value: Double) {
        guard !value.isNaN else { return }
        count += 1
        let y = value - compensationAdd
        let t = sum + y
        compensationAdd = t - sum - y
        sum = t
        if value < 0 { negatives += 1 }
        if value == previous { sameInARow += 1 } else { sameInARow = 1 }
        previous = value
    }

    private mutating func remove(_ value: Double) {
        guard !value.isNaN else { return }
        count -= 1
        let y = -value - compensationRemove
        let t = sum + y
        compensationRemove = t - sum - y
        sum = t
        if value < 0 { negatives -= 1 }
    }
}
