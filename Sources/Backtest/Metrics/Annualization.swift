/// How many returns make a year, for annualised figures.
public enum Annualization: Sendable, Equatable, Codable {
    /// A year of 252 trading days (equities).
    case tradingDays
    /// A year of 365 days (crypto trades every day).
    case calendarDays
    /// A given number of returns per year (of the convention's returns: days for Backtesting.py,
    /// bars for vectorbt).
    case barsPerYear(Double)
    /// From the timestamps, as each library does: Backtesting.py counts 365 days for a market with
    /// weekend bars and 252 without (52 for weekly, 12 for monthly, 1 for yearly bars); vectorbt
    /// counts the bars of a 365-day year at the median spacing of the bars.
    case inferred

    /// Returns per year for a series with these timestamps (ns since the epoch) under `convention`.
    /// Backtesting.py's returns are per calendar period (days for daily and intraday bars), so
    /// `tradingDays` gives 252 of them; vectorbt's are per bar, so it gives 252 × bars per day.
    public func periodsPerYear(timestamps: [Int64], convention: MetricsConvention) -> Double {
        // Without a calendar each bar is one period: inferred figures are per bar (one period a
        // year), an explicit choice counts bars as trading or calendar days.
        if ReturnSeries.isRowNumberAxis(timestamps) {
            switch self {
            case .inferred: return 1
            case .tradingDays: return 252
            case .calendarDays: return 365
            case .barsPerYear(let n): return n
            }
        }
        let day = Double(ReturnSeries.nanosecondsPerDay)
        let barsPerDay: Double = {
            let spacing = ReturnSeries.medianSpacing(timestamps)
            return spacing > 0 ? day / Double(spacing) : 1
        }()
        switch (self, convention) {
        case (.barsPerYear(let n), _): return n
        case (.tradingDays, .backtestingPy): return 252
        case (.calendarDays, .backtestingPy): return 365
        case (.tradingDays, .vectorbt): return 252 * barsPerDay
        case (.calendarDays, .vectorbt), (.inferred, .vectorbt): return 365 * barsPerDay
        case (.inferred, .backtestingPy): return ReturnSeries.backtestingPyPeriodsPerYear(timestamps)
        }
    }
}
