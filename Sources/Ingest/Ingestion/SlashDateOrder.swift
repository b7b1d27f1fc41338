/// Whether a file's slash dates (`01/04/2024`) are month or day first, decided from the values
/// of its date columns in the first rows.
///
/// A first number above 12 (`13/01/2024`) can only be a day, a second above 12 (`01/13/2024`)
/// only a day too: the file is day first when only the first kind occurs. With neither, the
/// dates are read month first, as pandas does by default (`dayfirst=False`), and the summary says
/// so and how to ask for the other reading. With both, the column holds both orders and is read
/// month first; the rows that do not read that way are line errors.
enum SlashDateOrder {
    static func decide(samples: [[String]], kinds: [ColumnKind], names: [String], requested: Bool?) -> (dayFirst: Bool, note: String?) {
        var dayFirstSeen: String?, monthFirstSeen: String?, ambiguous: (column: String, value: String)?
        for (k, values) in samples.enumerated() where kinds[k] == .datetime {
            for text in values {
                guard let (first, second) = Array(text.utf8).withUnsafeBufferPointer(TimestampParser.slashDateNumbers) else { continue }
                if first > 12 && second <= 12 { dayFirstSeen = dayFirstSeen ?? text }
                else if second > 12 && first <= 12 { monthFirstSeen = monthFirstSeen ?? text }
                else if ambiguous == nil { ambiguous = (names[k], text) }
            }
        }
        if let requested { return (requested, nil) }
        if let day = dayFirstSeen, monthFirstSeen == nil {
            return (true, "slash dates read day first (DD/MM/YYYY), as '\(day)' can only be")
        }
        if let (column, value) = ambiguous, dayFirstSeen == nil, monthFirstSeen == nil {
            return (false, "slash dates in '\(column)' such as '\(value)' read either way: taken month first (MM/DD/YYYY), as pandas does; `qf ingest --date-order day-first` reads them DD/MM/YYYY")
        }
        return (false, nil)
    }
}
