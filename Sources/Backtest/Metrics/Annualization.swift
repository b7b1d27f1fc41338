/// How many bars make a year, for annualised figures.
public enum Annualization: Sendable, Equatable, Codable {
    /// 252 trading days (equities, daily bars).
    case tradingDays
    /// 365 days (crypto trades every day).
    case calendarDays
    /// A given number of bars per year.
    case barsPerYear(Double)
    /// Inferred from the timestamps: daily data with weekend bars counts 365 per year, without 252;
    /// intraday data counts the bars of a 365-day year at the median spacing.
    case inferred

    /// Bars per year for a series with these timestamps (ns since the epoch).
    public func barsPerYear(timestamps: [Int64]) -> Double {
        switch self {
        case .tradingDays: return 252
        case .calendarDays: return 365
        case .barsPerYear(let n): return n
        case .inferred:
            guard timestamps.count > 2 else { return 252 }
            let gaps = zip(timestamps.dropFirst(), timestamps).map { $0 - $1 }.sorted()
            let median = Double(gaps[gaps.count / 2])
            let day = 86_400e9
            if median >= 0.5 * day {
                // Daily or slower: weekend bars mean a 7-day market.
                let hasWeekend = timestamps.contains { t in
                    let weekday = ((t / 86_400_000_000_000) + 4) % 7   // 1970-01-01 was a Thursday (4)
                    return weekday == 0 || weekday == 6
                }
                return (hasWeekend ? 365 : 252) * day / median
            }
            return 365 * day / median
        }
    }
}
