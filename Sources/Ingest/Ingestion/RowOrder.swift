/// Whether a CSV file lists each symbol's bars newest first, as Alpha Vantage, Investing.com,
/// Nasdaq.com and tushare write them, decided by a vote over the first rows.
///
/// Within each symbol, each of the first `inferenceRows` rows' timestamps is compared with the
/// one before it: the file is newest first when more steps go back than forward. A vote, not the
/// first pair, so one mistyped date near the top of an oldest-first file is still reported on its
/// line instead of turning every later row into an error.
enum RowOrder {
    static func isNewestFirst(path: String, dialect: CSVDialect, schema: CSVSchema, options: IngestOptions) throws -> Bool {
        guard let axis = schema.timeAxis else { return false }
        let tokenizer = try CSVTokenizer(path: path, delimiter: dialect.delimiter, blockSize: options.blockSize)
        for _ in 0..<schema.headerRows { _ = try tokenizer.next() }
        var previous: [String: Int64] = [:]
        var forward = 0, back = 0, inspected = 0
        while inspected < options.inferenceRows, let fields = try tokenizer.next() {
            inspected += 1
            guard fields.count == schema.names.count, let t = orderKey(fields, axis: axis, dayFirst: schema.dayFirst) else { continue }
            let symbol = schema.symbolIndex.flatMap { fields[$0].string } ?? ""
            if let p = previous[symbol] {
                if t > p { forward += 1 } else if t < p { back += 1 }
            }
            previous[symbol] = t
        }
        return back > forward
    }

    /// A value that orders the rows as their instants do: the instant for dates, the raw number for
    /// epochs (whose unit is decided later, and does not change the order).
    static func orderKey(_ fields: CSVRecord, axis: TimeAxis, dayFirst: Bool) -> Int64? {
        let bytes = fields[axis.column].bytes
        var key: Int64?
        switch axis.reading {
        case .text, .compactDate:
            key = TimestampParser.parse(bytes, dayFirst: dayFirst)
        case .epoch:
            key = NumberParser.wholeNumber(bytes)
        }
        if let date = key, let c = axis.timeOfDayColumn {
            guard let (seconds, nanos) = TimestampParser.parseTimeOfDay(fields[c].bytes),
                  let offset = TimestampParser.nanoseconds(seconds: Int64(seconds), fraction: nanos) else { return nil }
            key = date.addingReportingOverflow(offset).overflow ? nil : date + offset
        }
        return key
    }
}
