/// Which column of a CSV file is its time axis, and how its values are read.
///
/// The axis is decided by name first (an explicit option, then the usual names), then by content:
/// the leftmost column whose values are dates or date-times, or integers of a plausible epoch
/// magnitude, is the time axis whatever its header says. That covers pandas' `df.to_csv()` of a
/// frame with a `DatetimeIndex` (first header cell empty), `Unnamed: 0`, headerless exports such as
/// Binance's klines, and oddly named columns (`Gmt time`, `<DATE>`). A row-number index (0, 1, 2, …)
/// is not a plausible epoch, so it is still dropped as an index.
struct TimeAxis: Equatable {
    /// How the axis column's values become instants.
    enum Reading: Equatable {
        /// Dates or date-times written as text (`TimestampParser.parse`).
        case text
        /// Epoch times as integers (or whole floats, as pandas writes an int column with NaNs); the
        /// unit is guessed from the first value's magnitude when nil.
        case epoch(TimestampParser.EpochUnit?)
        /// `YYYYMMDD` integers (Stooq's `<DATE>`).
        case compactDate
    }

    var column: Int
    var reading: Reading
    /// A time-of-day column added to a date-only axis (MetaTrader's and Stooq's `<TIME>`).
    var timeOfDayColumn: Int?
    /// Why the axis was chosen by content, for the summary's warnings; nil when chosen by name.
    var note: String?

    /// Column names taken as the time axis, in order of preference (compared after
    /// `CSVSchema.normalized`).
    static let names = ["date", "dtyyyymmdd", "time", "timestamp", "datetime", "system_time", "date_time", "gmt time", "local time",
                        "open_time", "open time", "time (utc)", "unix"]

    /// Epoch values read as instants must fall in 1971-01-01 … 2100-01-01 to count as a time axis
    /// by content: row numbers, prices and volumes rarely do, and never all of them in order.
    static let plausibleEpochNanoseconds: ClosedRange<Int64> = 31_536_000_000_000_000...4_102_444_800_000_000_000

    /// Decides the axis from the header names, the inferred kinds and the inspected values.
    /// Returns nil when no column is a time axis (rows are then numbered).
    static func choose(names: [String], kinds: [ColumnKind], samples: [[String]], requested: String?,
                       hasSymbolColumn: Bool, path: String) throws -> TimeAxis? {
        let normalized = names.map(CSVSchema.normalized)
        func invalid(_ i: Int) -> IngestError {
            let example = samples[i].first.map { " (first value: '\($0.prefix(40))')" } ?? ""
            return IngestError.invalidInput("\(path): time column '\(names[i])' (column \(i + 1)) holds \(kinds[i].rawValue) values, not dates or epoch times\(example)")
        }
        if let requested {
            guard let i = normalized.firstIndex(of: CSVSchema.normalized(requested)) else {
                throw IngestError.invalidInput("\(path): no column named '\(requested)' for the timestamp (columns: \(names.joined(separator: ", ")))")
            }
            guard let reading = reading(of: i, kinds: kinds, samples: samples, byName: true) else { throw invalid(i) }
            return paired(TimeAxis(column: i, reading: reading), normalized: normalized, samples: samples)
        }
        for candidate in Self.names {
            guard let i = normalized.firstIndex(of: candidate) else { continue }
            guard let reading = reading(of: i, kinds: kinds, samples: samples, byName: true) else {
                // A time-of-day column beside a date column is read with it, not on its own.
                if candidate == "time", normalized.contains("date") || normalized.contains("dtyyyymmdd") { continue }
                throw invalid(i)
            }
            return paired(TimeAxis(column: i, reading: reading), normalized: normalized, samples: samples)
        }
        for i in names.indices where !CSVSchema.canonicalNames.contains(normalized[i]) {
            guard let reading = reading(of: i, kinds: kinds, samples: samples, byName: false) else { continue }
            if case .epoch = reading, !hasSymbolColumn, !isMonotonic(samples[i]) { continue }
            let shown = names[i].isEmpty ? "the unnamed first column" : "column '\(names[i])'"
            var axis = TimeAxis(column: i, reading: reading, note: "time axis read from \(shown) (its values are \(reading.description))")
            axis = paired(axis, normalized: normalized, samples: samples)
            return axis
        }
        return nil
    }

    /// How column `i` reads as instants, or nil when it does not. By name, any dates or integers
    /// (epochs of any magnitude, or YYYYMMDD) qualify; by content only dates, YYYYMMDD integers in
    /// 1900–2099 and epochs in the plausible range.
    static func reading(of i: Int, kinds: [ColumnKind], samples: [[String]], byName: Bool) -> Reading? {
        let values = samples[i]
        switch kinds[i] {
        case .datetime:
            return .text
        case .int, .float:
            let numbers = values.compactMap { text in Array(text.utf8).withUnsafeBufferPointer { NumberParser.double($0) } }
            guard !numbers.isEmpty, numbers.count == values.count, numbers.allSatisfy({ $0 == $0.rounded() && abs($0) < 9.2e18 }) else { return nil }
            // By majority, as column kinds are: a bad date among good ones is a line error, not a unit change.
            if values.filter(isCompactDate).count * 2 >= values.count { return .compactDate }
            if byName { return .epoch(nil) }
            let unit = TimestampParser.EpochUnit.guess(for: Int64(numbers[0]))
            let plausible = numbers.allSatisfy { v in
                TimestampParser.epoch(Int64(v), unit: unit).map(plausibleEpochNanoseconds.contains) ?? false
            }
            return plausible ? .epoch(nil) : nil
        default:
            return nil
        }
    }

    /// Adds a `time` column holding times of day (most of its values: the others are line errors)
    /// to an axis whose values are dates only.
    static func paired(_ axis: TimeAxis, normalized: [String], samples: [[String]]) -> TimeAxis {
        guard let t = normalized.firstIndex(of: "time"), t != axis.column, !samples[t].isEmpty,
              samples[t].filter(isTimeOfDay).count * 2 >= samples[t].count,
              axis.reading == .compactDate || samples[axis.column].allSatisfy(isDateOnly) else { return axis }
        var result = axis
        result.timeOfDayColumn = t
        return result
    }

    /// `YYYYMMDD` with a valid month and day in 1900–2099.
    static func isCompactDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 8, bytes.allSatisfy({ $0 &- 0x30 < 10 }), bytes[0] == 0x31 && bytes[1] == 0x39 || bytes[0] == 0x32 && bytes[1] == 0x30 else { return false }
        return bytes.withUnsafeBufferPointer { TimestampParser.parseSeconds($0) != nil }
    }

    static func isTimeOfDay(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { TimestampParser.parseTimeOfDay($0) != nil }
    }

    /// A date with no time part (or midnight written out), read month or day first.
    static func isDateOnly(_ text: String) -> Bool {
        let parsed = Array(text.utf8).withUnsafeBufferPointer { TimestampParser.parseSeconds($0) ?? TimestampParser.parseSeconds($0, dayFirst: true) }
        guard let (seconds, nanos) = parsed else { return false }
        return nanos == 0 && seconds % 86_400 == 0
    }

    /// Whether the values never go down, or never go up (a newest-first file's epochs).
    static func isMonotonic(_ values: [String]) -> Bool {
        let numbers = values.compactMap { Double($0) }
        return zip(numbers, numbers.dropFirst()).allSatisfy { $0 <= $1 } || zip(numbers, numbers.dropFirst()).allSatisfy { $0 >= $1 }
    }
}

extension TimeAxis.Reading: CustomStringConvertible {
    var description: String {
        switch self {
        case .text: return "dates"
        case .epoch: return "epoch times"
        case .compactDate: return "YYYYMMDD dates"
        }
    }
}
