/// A `DatasetSummary` of a bar file already written (the output of a preprocessing, say), in the
/// shape `CSVIngestor` gives an ingested CSV: rows over all symbols, the columns of the first
/// symbol (timestamp as datetime, the rest float64), pandas-style statistics and missing counts
/// over all symbols, and the first `sampleRows` rows of the first symbol.
extension DatasetSummary {
    public static func describe(_ file: BarFile, sampleRows: Int = 5) throws -> DatasetSummary {
        let symbols = file.symbols
        var rowsBySymbol: [String: Int] = [:]
        var first: Int64?, last: Int64?
        for symbol in symbols {
            let timestamps = try file.timestamps(of: symbol)
            rowsBySymbol[symbol] = timestamps.count
            if let t = timestamps.first { first = min(first ?? t, t) }
            if let t = timestamps.last { last = max(last ?? t, t) }
        }
        let names = try symbols.first.map { try file.columns(of: $0) } ?? []
        var statistics: [String: ColumnStatistics] = [:]
        for symbol in symbols {
            for name in names where (try? file.columns(of: symbol).contains(name)) == true {
                statistics[name, default: ColumnStatistics()].add(contentsOf: try file.column(name, of: symbol))
            }
        }
        var numerical: [String: NumericalSummary] = [:], missing: [String: Int] = ["timestamp": 0], types: [String: String] = ["timestamp": "datetime"]
        for name in names {
            guard let s = statistics[name] else { continue }
            let quartiles = s.quartiles()
            // Only finite figures: JSON has no NaN, and pandas shows those as null too.
            func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
            numerical[name] = NumericalSummary(count: s.count, mean: finite(s.count > 0 ? s.mean : nil), std: finite(s.standardDeviation),
                                               min: finite(s.count > 0 ? s.minimum : nil), p25: finite(quartiles?.0), p50: finite(quartiles?.1),
                                               p75: finite(quartiles?.2), max: finite(s.count > 0 ? s.maximum : nil), exactQuantiles: s.quantilesAreExact)
            missing[name] = s.missing
            types[name] = "float64"
        }
        var sample: [[String: Value]] = []
        if let symbol = symbols.first {
            let timestamps = try file.timestamps(of: symbol)
            let count = min(sampleRows, timestamps.count)
            let columns = try names.map { try Array(file.column($0, of: symbol).prefix(count)) }
            for row in 0..<count {
                var record: [String: Value] = ["timestamp": .text(TimestampParser.format(timestamps[row])), "symbol": .text(symbol)]
                for (i, name) in names.enumerated() { record[name] = columns[i][row].isFinite ? .number(columns[i][row]) : .null }
                sample.append(record)
            }
        }
        let columns = [Column(name: "timestamp", type: "datetime", description: "bar time (UTC)")]
            + names.map { Column(name: $0, type: "float64", description: "") }
        return DatasetSummary(rowCount: rowsBySymbol.values.reduce(0, +), columnCount: columns.count, columns: columns,
                              statistics: Statistics(numericalSummary: numerical, missingValues: missing, dataTypes: types),
                              sampleData: sample, symbols: rowsBySymbol,
                              timeRange: [first, last].compactMap { $0.map(TimestampParser.format) }, warnings: [])
    }
}
