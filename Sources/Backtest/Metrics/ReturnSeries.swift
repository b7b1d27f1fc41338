import Foundation
import Ingest

/// The return series the ratio metrics are computed from, in each convention.
///
/// - Backtesting.py: equity is resampled to calendar periods first — the last equity of each UTC
///   day (or week, month, year when the bars are that far apart: median spacing of the last 100
///   bars of 7, 31 or 365 whole days) — and r_k = e_k / e_{k−1} − 1 between consecutive periods,
///   NaNs dropped (`resample(freq).last().dropna().pct_change().dropna()`). For daily bars these
///   are the per-bar returns; for intraday bars they are daily returns.
/// - vectorbt: one return per bar, the first against the initial cash: r_0 = (e_0 − C)/C,
///   r_i = (e_i − e_{i−1}) / e_{i−1} (0 when both are 0).
public enum ReturnSeries {
    public static let nanosecondsPerDay: Int64 = 86_400_000_000_000

    /// The compound annual growth from `first` to `last` equity over the span `start`…`end`
    /// (ns), years counted in days of 365.25: (last / first)^(1/years) − 1, NaN without a span.
    static func cagr(first: Double, last: Double, start: Int64, end: Int64) -> Double {
        let years = Double(end - start) / (365.25 * Double(nanosecondsPerDay))
        return years > 0 ? Foundation.pow(last / first, 1 / years) - 1 : .nan
    }

    /// Whether `timestamps` are row numbers (0, 1, 2, … ns, the axis of a file ingested without a
    /// time column) rather than times: consecutive bars exactly 1 ns apart, which no real series
    /// has. Such a series has no calendar, so its figures are per bar (see `PerformanceMetrics`).
    public static func isRowNumberAxis(_ timestamps: [Int64]) -> Bool {
        guard timestamps.count > 1 else { return false }
        for i in 1..<timestamps.count where timestamps[i] - timestamps[i - 1] != 1 { return false }
        return true
    }

    /// Bar-to-bar fractional changes of `equity` (n − 1 values): the returns of a series
    /// without a calendar, where each bar is one period.
    public static func consecutiveReturns(_ equity: [Double]) -> [Double] {
        guard equity.count > 1 else { return [] }
        return (1..<equity.count).map { equity[$0] / equity[$0 - 1] - 1 }
    }

    /// The calendar period Backtesting.py resamples equity to.
    public enum Period: Sendable, Equatable {
        case day, week, month, year
    }

    /// Backtesting.py's `_data_period`: the median spacing of the last 100 timestamps (ns).
    public static func dataPeriod(_ timestamps: [Int64]) -> Int64 {
        let tail = timestamps.suffix(100)
        guard tail.count > 1 else { return 0 }
        let gaps = zip(tail.dropFirst(), tail).map { $0 - $1 }.sorted()
        let m = gaps.count
        // pandas' median of an even count averages the two middle values.
        return m % 2 == 1 ? gaps[m / 2] : (gaps[m / 2 - 1] + gaps[m / 2]) / 2
    }

    /// The period equity is resampled to, from the data period in whole days.
    public static func resamplingPeriod(_ timestamps: [Int64]) -> Period {
        switch dataPeriod(timestamps) / nanosecondsPerDay {
        case 7: return .week
        case 31: return .month
        case 365: return .year
        default: return .day
        }
    }

    /// Whether more than 60% of the weekend's share of days (2/7) of the bars fall on a Saturday
    /// or Sunday: a market that trades every day.
    public static func hasWeekends(_ timestamps: [Int64]) -> Bool {
        guard !timestamps.isEmpty else { return false }
        var weekend = 0
        // Whole days at a time: the division and weekday only when a bar starts a new day.
        var dayStart = Int64.max, dayEnd = Int64.min, isWeekend = false
        for t in timestamps {
            if t < dayStart || t >= dayEnd {
                let d = day(t)
                dayStart = d * 86_400_000_000_000
                dayEnd = dayStart + 86_400_000_000_000
                isWeekend = weekdayMondayZero(day: d) >= 5
            }
            if isWeekend { weekend += 1 }
        }
        return Double(weekend) / Double(timestamps.count) > 2.0 / 7 * 0.6
    }

    /// The UTC day number of a timestamp (floor division by a literal, which compiles to a
    /// multiplication).
    @inlinable
    public static func day(_ t: Int64) -> Int64 {
        let q = t / 86_400_000_000_000
        return t < 0 && q * 86_400_000_000_000 != t ? q - 1 : q
    }

    /// The median gap between consecutive timestamps (the upper median for an even count), found
    /// by selection rather than a sort; 0 for fewer than two bars.
    public static func medianSpacing(_ timestamps: [Int64]) -> Int64 {
        guard timestamps.count > 1 else { return 0 }
        var gaps = [Int64](unsafeUninitializedCapacity: timestamps.count - 1) { buffer, count in
            for i in 1..<timestamps.count { buffer[i - 1] = timestamps[i] - timestamps[i - 1] }
            count = timestamps.count - 1
        }
        let k = gaps.count / 2
        return gaps.withUnsafeMutableBufferPointer { Selection.kthSmallest($0, k) }
    }

    /// Backtesting.py's periods per year: 52 weekly, 12 monthly, 1 yearly, else 365 days for a
    /// market with weekend bars and 252 without.
    public static func backtestingPyPeriodsPerYear(_ timestamps: [Int64]) -> Double {
        switch resamplingPeriod(timestamps) {
        case .week: return 52
        case .month: return 12
        case .year: return 1
        case .day: return hasWeekends(timestamps) ? 365 : 252
        }
    }

    /// Backtesting.py's period returns of `equity`.
    public static func periodReturns(equity: [Double], timestamps: [Int64], period: Period) -> [Double] {
        var lasts: [Double] = []
        var currentKey = Int64.min
        // Calendar keys change only at a new day: a bar inside the current day needs no division.
        var dayStart = Int64.max, dayEnd = Int64.min
        for i in equity.indices where !equity[i].isNaN {
            let t = timestamps[i]
            if t >= dayStart && t < dayEnd { lasts[lasts.count - 1] = equity[i]; continue }
            let d = day(t)
            dayStart = d * 86_400_000_000_000
            dayEnd = dayStart + 86_400_000_000_000
            let key = period == .day ? d : periodKey(timestamps[i], period)
            if key != currentKey { lasts.append(equity[i]); currentKey = key } else { lasts[lasts.count - 1] = equity[i] }
        }
        var out: [Double] = []
        out.reserveCapacity(max(lasts.count - 1, 0))
        for k in lasts.indices.dropFirst() {
            let r = lasts[k] / lasts[k - 1] - 1
            if !r.isNaN { out.append(r) }
        }
        return out
    }

    /// vectorbt's per-bar returns of `equity`, the first against `initialValue`.
    public static func barReturns(equity: [Double], initialValue: Double) -> [Double] {
        var out = [Double](repeating: 0, count: equity.count)
        var previous = initialValue
        for i in equity.indices {
            out[i] = vectorbtReturn(from: previous, to: equity[i])
            previous = equity[i]
        }
        return out
    }

    /// vectorbt's `get_return_nb`.
    @inlinable
    public static func vectorbtReturn(from input: Double, to output: Double) -> Double {
        if input == 0 { return output == 0 ? 0 : (output > 0 ? .infinity : -.infinity) }
        let r = (output - input) / input
        return input < 0 ? -r : r
    }

    /// A key that is equal for two timestamps in the same calendar period (UTC).
    @inlinable
    public static func periodKey(_ t: Int64, _ period: Period) -> Int64 {
        let day = day(t)
        switch period {
        case .day: return day
        case .week: return (day + 3 - ((day + 3) % 7 + 7) % 7) / 7   // weeks Monday…Sunday; 1970-01-01 was a Thursday
        case .month:
            let (y, m, _) = civilDate(day: day)
            return y * 12 + m
        case .year: return civilDate(day: day).year
        }
    }

    /// Monday = 0 … Sunday = 6 for a day count since 1970-01-01 (a Thursday).
    static func weekdayMondayZero(day: Int64) -> Int {
        Int(((day + 3) % 7 + 7) % 7)
    }

    /// Year, month (1–12) and day of a day count since 1970-01-01 (Ingest's calendar).
    @inlinable
    public static func civilDate(day: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let (y, m, d) = TimestampParser.civilFromDays(Int(day))
        return (Int64(y), Int64(m), Int64(d))
    }
}
