/// Returns per calendar month or year, the table a "returns by period" view shows.
///
/// A period's return is its last equity over the previous period's last equity, minus one; the
/// first period is measured against the equity before the first bar (`initialValue`, usually the
/// initial cash), so the product of (1 + r) over all periods is the total return.
public enum PeriodReturns {
    /// One period: its label (`2021` or `2021-03`), its return, and its first and last bar.
    public struct Row: Sendable, Equatable {
        public var label: String
        public var value: Double
        public var firstBar: Int
        public var lastBar: Int
    }

    /// The returns of `equity` per UTC calendar month or year (`period` is `.month` or `.year`).
    public static func table(equity: [Double], timestamps: [Int64], initialValue: Double, period: ReturnSeries.Period) -> [Row] {
        precondition(equity.count == timestamps.count, "PeriodReturns: equity and timestamps differ in length")
        var rows: [Row] = []
        var base = initialValue, currentKey = Int64.min
        for i in equity.indices {
            let key = ReturnSeries.periodKey(timestamps[i], period)
            if key != currentKey {
                if let last = rows.last { base = equity[last.lastBar] }
                rows.append(Row(label: label(timestamps[i], period), value: .nan, firstBar: i, lastBar: i))
                currentKey = key
            }
            rows[rows.count - 1].lastBar = i
            rows[rows.count - 1].value = equity[i] / base - 1
        }
        return rows
    }

    static func label(_ t: Int64, _ period: ReturnSeries.Period) -> String {
        let date = ReturnSeries.civilDate(day: ReturnSeries.day(t))
        switch period {
        case .year: return String(date.year)
        case .month: return String(date.year) + "-" + (date.month < 10 ? "0" : "") + String(date.month)
        case .week, .day: return String(date.year) + "-" + (date.month < 10 ? "0" : "") + String(date.month) + "-" + (date.day < 10 ? "0" : "") + String(date.day)
        }
    }
}
