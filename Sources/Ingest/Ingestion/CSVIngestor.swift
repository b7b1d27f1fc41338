import Foundation

/// The outcome of a successful ingest.
public struct IngestResult: Sendable {
    /// The file written.
    public var outputPath: String
    public var summary: DatasetSummary
    public var rowsWritten: Int
    /// Rows left out under `--on-error skip`.
    public var rowsSkipped: Int
    /// The first problems found (skip policy), and how many there were.
    public var problems: [IngestProblem]
    public var totalProblems: Int
}

/// CSV → HDF5 bar file in one streaming pass.
///
/// The file is read in fixed-size blocks; rows are validated, split by symbol, buffered a few
/// thousand at a time per symbol and appended to chunked HDF5 columns, so memory is bounded by the
/// block size, the per-symbol buffers and the quantile sample, not by the file. Statistics and
/// sample rows are gathered in the same pass. Output goes through `BarFileWriter`: a failed or
/// rejected ingest leaves no file and never damages an existing one.
public enum CSVIngestor {
    /// Ingests `csvPath` into `outputPath`. `progress` receives (bytes read, file size) now and then.
    /// - Throws: `IngestFailure` listing the problems when the policy is `.reject` and any row is
    ///   invalid; `IngestError` for unreadable files or unusable layouts.
    public static func ingest(csv csvPath: String, to outputPath: String, options: IngestOptions = IngestOptions(),
                              progress: ((Int, Int) -> Void)? = nil) throws -> IngestResult {
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: csvPath)[.size] as? Int) ?? 0
        guard FileManager.default.fileExists(atPath: csvPath) else { throw IngestError.notFound(csvPath) }
        guard fileSize > 0 else { throw IngestError.invalidInput("\(csvPath): the file is empty") }
        let dialect = try CSVDialect.sniff(path: csvPath, delimiter: options.delimiter)
        var schema = try inferSchema(csvPath, dialect: dialect, options: options)
        schema.newestFirst = try RowOrder.isNewestFirst(path: csvPath, dialect: dialect, schema: schema, options: options)
        var run = try IngestRun(csvPath: csvPath, outputPath: outputPath, schema: schema, options: options)

        let tokenizer = try CSVTokenizer(path: csvPath, delimiter: dialect.delimiter, blockSize: options.blockSize)
        for _ in 0..<schema.headerRows { _ = try tokenizer.next() }
        var rows = 0
        while let fields = try tokenizer.next() {
            if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
            try run.consume(fields, line: tokenizer.line)
            rows += 1
            if rows & 0xFFFF == 0 { progress?(tokenizer.bytesRead, fileSize) }
        }
        progress?(fileSize, fileSize)
        return try run.finish()
    }

    /// Reads the header and the first rows to name and type the columns.
    static func inferSchema(_ path: String, dialect: CSVDialect, options: IngestOptions) throws -> CSVSchema {
        let header = dialect.hasHeader ? try HeaderRows.read(path, dialect: dialect, options: options) : nil
        let tokenizer = try CSVTokenizer(path: path, delimiter: dialect.delimiter, blockSize: options.blockSize)
        for _ in 0..<(header?.rowCount ?? 0) { _ = try tokenizer.next() }
        var names = header?.names ?? []
        var votes: [ColumnKindVote] = []
        var samples: [[String]] = []
        var inspected = 0
        var negatives: [Int] = [], numbers: [Int] = []
        // Numbers only a decimal comma reads (`187,15`), counted in files not split by commas, and
        // numbers only a decimal point reads (`187.15`), which rule decimal commas out.
        var commaNumbers: [Int] = [], pointNumbers: [Int] = []
        let commaPossible = dialect.delimiter != 0x2C
        while inspected < options.inferenceRows, let fields = try tokenizer.next() {
            if header == nil && names.isEmpty {
                names = (0..<fields.count).map { "column_\($0)" }
            }
            if votes.isEmpty {
                votes = Array(repeating: ColumnKindVote(), count: names.count)
                samples = Array(repeating: [], count: names.count)
                negatives = Array(repeating: 0, count: names.count)
                numbers = negatives
                commaNumbers = negatives
                pointNumbers = negatives
            }
            guard fields.count == names.count else { continue }
            for (k, field) in fields.enumerated() where !MissingValue.isMissing(field.bytes) {
                votes[k].add(ColumnKind.of(field.bytes))
                if let text = field.string { samples[k].append(text) }
                if let v = NumberParser.double(field.bytes) {
                    numbers[k] += 1
                    if v < 0 { negatives[k] += 1 }
                    if commaPossible && field.bytes.contains(0x2E) && NumberParser.decimalComma(field.bytes) == nil { pointNumbers[k] += 1 }
                } else if commaPossible, let v = NumberParser.decimalComma(field.bytes) {
                    commaNumbers[k] += 1
                    if v < 0 { negatives[k] += 1 }
                }
            }
            inspected += 1
        }
        guard inspected > 0 else {
            throw IngestError.invalidInput("\(path): \(dialect.hasHeader ? "the file has a header but no data rows" : "the file is empty")")
        }
        var kinds = votes.map(\.decision)
        // A column that reads as numbers once commas are decimal points makes the file a
        // decimal-comma file: all its numbers are then read that way (`NumberParser.decimalComma`),
        // unless another column's numbers have decimal points, and the conventions conflict.
        let pointColumn = names.indices.contains { pointNumbers[$0] > 0 && pointNumbers[$0] * 2 >= votes[$0].total }
        let commaColumns = pointColumn ? [] : names.indices.filter { commaNumbers[$0] > 0 && (commaNumbers[$0] + numbers[$0]) * 2 >= votes[$0].total }
        for k in commaColumns {
            kinds[k] = .float
            numbers[k] += commaNumbers[k]
        }
        var layoutNote: String?
        if header == nil, let known = HeaderlessLayout.names(kinds: kinds, samples: samples) {
            names = known.names
            layoutNote = known.note
        }
        var schema = try CSVSchema(names: names, kinds: kinds, samples: samples, options: options, path: path)
        if let layoutNote { schema.warnings.insert(layoutNote, at: 0) }
        if !commaColumns.isEmpty {
            schema.decimalComma = true
            let shown = commaColumns.prefix(4).map { "'\(names[$0])'" }.joined(separator: ", ") + (commaColumns.count > 4 ? ", …" : "")
            schema.warnings.append("decimal commas (\(shown)): every number read with ',' as the decimal point and '.' between thousands")
        }
        let order = SlashDateOrder.decide(samples: samples, kinds: kinds, names: names, requested: options.dayFirst)
        schema.dayFirst = order.dayFirst
        if let note = order.note { schema.warnings.append(note) }
        if let note = header?.note { schema.warnings.insert(note, at: 0) }
        schema.headerRows = header?.rowCount ?? 0
        schema.headerTicker = header?.ticker
        schema.mostlyNegative = Set(names.indices.filter { numbers[$0] > 0 && negatives[$0] * 2 > numbers[$0] })
        return schema
    }
}

/// The state of one ingest: per-symbol buffers, statistics, problems.
struct IngestRun {
    let csvPath: String
    let fileName: String
    let schema: CSVSchema
    let options: IngestOptions
    let writer: BarFileWriter
    let stored: [(index: Int, name: String, isDatetime: Bool)]
    let defaultSymbol: String
    var symbols: [String: SymbolBuffer] = [:]
    var symbolOrder: [String] = []
    var lastSymbolBytes: [UInt8] = []
    var lastSymbol: SymbolBuffer?
    let statistics: StatisticsAccumulator
    var textValues: [Int: String?] = [:]   // nil once a text column is seen to vary
    var textMissing: [Int: Int] = [:]
    var timestampMissing = 0
    var epochUnit: TimestampParser.EpochUnit?
    var problems: [IngestProblem] = []
    var totalProblems = 0
    var rowsSkipped = 0
    var rowsWritten = 0
    var rejected = false
    var sample: [[String: DatasetSummary.Value]] = []
    var warnings: [String] = []
    var minTime = Int64.max, maxTime = Int64.min
    var rowNumber = 0
    var values: [Double]
    // Validation columns (indices into `stored`).
    let highIndex: Int?, lowIndex: Int?
    let nonNegative: [Int]

    init(csvPath: String, outputPath: String, schema: CSVSchema, options: IngestOptions) throws {
        self.csvPath = csvPath
        fileName = URL(fileURLWithPath: csvPath).lastPathComponent
        self.schema = schema
        self.options = options
        let stored = schema.storedColumns
        self.stored = stored
        let stem = URL(fileURLWithPath: csvPath).deletingPathExtension().lastPathComponent
        defaultSymbol = options.symbol ?? schema.headerTicker ?? stem.uppercased()
        if schema.symbolIndex == nil {
            try BarFile.validateSymbol(defaultSymbol)
            if options.symbol == nil && schema.headerTicker == nil { warnings.append("no tic/symbol/ticker column and no --symbol: using the file name, \(defaultSymbol)") }
        }
        epochUnit = options.epochUnit
        statistics = StatisticsAccumulator(count: stored.count, exactLimit: options.statisticsSampleLimit)
        values = Array(repeating: .nan, count: stored.count)
        let checked = stored.indices.filter { k in
            options.priceChecks && ["open", "high", "low", "close", "adjcp", "volume"].contains(stored[k].name) && !schema.mostlyNegative.contains(stored[k].index)
        }
        let exempt = stored.indices.filter { options.priceChecks && ["open", "high", "low", "close", "adjcp", "volume"].contains(stored[$0].name) && !checked.contains($0) }
        if !exempt.isEmpty {
            warnings.append("\(exempt.map { "'\(schema.names[stored[$0].index])'" }.joined(separator: ", ")) mostly negative in the first rows: treated as features, not prices (no price checks on them)")
        }
        highIndex = checked.first { stored[$0].name == "high" }
        lowIndex = checked.first { stored[$0].name == "low" }
        nonNegative = checked
        warnings += schema.warnings
        if schema.timestampIndex == nil {
            warnings.append("no time axis (no column is named \(TimeAxis.names.prefix(5).joined(separator: ", ")) or holds dates or epoch times): rows are numbered 0, 1, 2, …; figures are per bar, not annualised, and date ranges cannot be used")
        }
        if schema.newestFirst {
            warnings.append("rows are newest first (most of the first rows go back in time): stored oldest first")
        }
        for i in schema.textColumns { textValues[i] = .some(nil) }
        writer = try BarFileWriter(path: outputPath, metadata: BarFileMetadata(frequency: "irregular", source: csvPath), chunkLength: options.chunkLength,
                               compressionLevel: options.compressionLevel)
    }

    static let outOfRange = "date outside the range int64 nanoseconds can hold (\(TimestampParser.representableRange))"

    mutating func problem(_ line: Int, _ column: String?, _ value: String?, _ message: String) {
        totalProblems += 1
        if problems.count < options.reportLimit {
            problems.append(IngestProblem(file: csvPath, line: line, column: column, value: value, message: message))
        }
    }

    /// Validates one record and, if it is good, adds it to its symbol's buffer.
    mutating func consume(_ fields: CSVRecord, line: Int) throws {
        let before = totalProblems
        rowNumber += 1
        guard fields.count == schema.names.count else {
            problem(line, nil, nil, "expected \(schema.names.count) fields, found \(fields.count)")
            return reject()
        }
        // Timestamp (or the row number for files without a time column).
        let timeIndex = schema.timestampIndex ?? 0
        let timeField = fields[timeIndex]
        var timestamp: Int64?
        if let axis = schema.timeAxis {
            var problemText = MissingValue.isMissing(timeField.bytes) ? "missing timestamp" : "not a date/time"
            switch axis.reading {
            case .text:
                timestamp = TimestampParser.parse(timeField.bytes, dayFirst: schema.dayFirst)
                if timestamp == nil && TimestampParser.isOutOfRange(timeField.bytes, dayFirst: schema.dayFirst) { problemText = Self.outOfRange }
            case .compactDate:
                timestamp = TimestampParser.parse(timeField.bytes)
                if timestamp == nil && !MissingValue.isMissing(timeField.bytes) { problemText = "not a YYYYMMDD date" }
            case .epoch(let fixed):
                if let raw = NumberParser.wholeNumber(timeField.bytes) {
                    let unit = fixed ?? epochUnit ?? TimestampParser.EpochUnit.guess(for: raw)
                    if epochUnit == nil {
                        epochUnit = unit
                        warnings.append("integer timestamps in '\(schema.timeName)' read as \(unit.rawValue) since the epoch (set the unit explicitly if that is wrong)")
                    }
                    timestamp = TimestampParser.epoch(raw, unit: unit)
                    if timestamp == nil { problemText = Self.outOfRange }
                } else if !MissingValue.isMissing(timeField.bytes) {
                    problemText = "not an epoch time (a whole number)"
                }
            }
            if let t = timestamp, let c = axis.timeOfDayColumn {
                let field = fields[c]
                if let (seconds, nanos) = TimestampParser.parseTimeOfDay(field.bytes) {
                    timestamp = TimestampParser.nanoseconds(seconds: Int64(seconds), fraction: nanos).flatMap { t.addingReportingOverflow($0).overflow ? nil : t + $0 }
                    if timestamp == nil { problemText = Self.outOfRange }
                } else {
                    problem(line, schema.names[c], field.display, "not a time of day (HH:MM[:SS] or HHMMSS)")
                    return reject()
                }
            }
            if timestamp == nil {
                if MissingValue.isMissing(timeField.bytes) { timestampMissing += 1 }
                problem(line, schema.timeName, timeField.display, problemText)
            }
        } else {
            timestamp = Int64(rowNumber - 1)
        }
        // Numbers.
        for (k, column) in stored.enumerated() {
            let field = fields[column.index]
            if MissingValue.isMissing(field.bytes) { values[k] = .nan; continue }
            if column.isDatetime {
                if let (seconds, nanos) = TimestampParser.parseSeconds(field.bytes, dayFirst: schema.dayFirst) { values[k] = Double(seconds) + Double(nanos) / 1e9 } else {
                    problem(line, schema.names[column.index], field.display, "not a date/time")
                }
            } else if let v = schema.decimalComma ? NumberParser.decimalComma(field.bytes) : NumberParser.double(field.bytes) {
                // inf, -inf and values beyond ±1.8e308 (1e400) parse but cannot be statistics or prices.
                guard v.isFinite else {
                    problem(line, schema.names[column.index], field.display, "not a finite number (infinite or beyond ±1.8e308)")
                    continue
                }
                values[k] = v
            } else if schema.kinds[column.index] == .bool, let b = BoolParser.parse(field.bytes) {
                values[k] = b ? 1 : 0
            } else {
                problem(line, schema.names[column.index], field.display, "not a number")
            }
        }
        if totalProblems == before {
            if let h = highIndex, let l = lowIndex, values[h] < values[l] {
                problem(line, "high", String(values[h]), "high is below low (\(values[l]))")
            }
            for k in nonNegative where values[k] < 0 {
                problem(line, schema.names[stored[k].index], fields[stored[k].index].display, stored[k].name == "volume" ? "negative volume" : "negative price")
            }
        }
        // Symbol.
        let buffer: SymbolBuffer
        if let s = schema.symbolIndex {
            let field = fields[s]
            if let last = lastSymbol, field.bytes.elementsEqual(lastSymbolBytes) {
                buffer = last
            } else {
                guard let name = field.string?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
                    problem(line, schema.names[s], field.display, field.string == nil ? "not valid UTF-8" : "missing symbol")
                    return reject()
                }
                do { buffer = try symbolBuffer(name) } catch {
                    problem(line, schema.names[s], field.display, name.utf8.contains(0) ? "a NUL byte in a symbol" : "\(error)")
                    return reject()
                }
                lastSymbol = buffer
                lastSymbolBytes = Array(field.bytes)
            }
        } else {
            buffer = try lastSymbol ?? symbolBuffer(defaultSymbol)
            lastSymbol = buffer
        }
        // Ordering within the symbol.
        if let t = timestamp, let previous = buffer.lastTimestamp, totalProblems == before {
            if t == previous {
                problem(line, schema.timeName, timeField.display, "duplicate timestamp for \(buffer.symbol) (also on line \(buffer.lastLine))")
            } else if (t < previous) != schema.newestFirst {
                let way = schema.newestFirst ? "forward in time in a newest-first file" : "back in time"
                problem(line, schema.timeName, timeField.display, "timestamp goes \(way) for \(buffer.symbol) (line \(buffer.lastLine) has \(TimestampParser.format(previous)))")
            }
        }
        // Text columns.
        for i in schema.textColumns {
            let field = fields[i]
            if MissingValue.isMissing(field.bytes) { textMissing[i, default: 0] += 1; continue }
            guard let text = field.string, !text.utf8.contains(0) else {
                // A NUL cannot be kept: attributes and the summary's sample rows would carry it.
                problem(line, schema.names[i], field.display, field.string == nil ? "not valid UTF-8" : "holds a NUL byte")
                continue
            }
            if case .some(.none) = textValues[i] { textValues[i] = .some(text) } else if case .some(.some(let kept)) = textValues[i], kept != text { textValues[i] = .none }
        }
        guard totalProblems == before, let t = timestamp else { return reject() }
        guard !rejected else { return }

        buffer.lastTimestamp = t
        buffer.lastLine = line
        minTime = min(minTime, t)
        maxTime = max(maxTime, t)
        if sample.count < options.sampleRows { sample.append(sampleRow(fields, timestamp: t, symbol: buffer.symbol)) }
        try values.withUnsafeBufferPointer { try buffer.append(t, $0.baseAddress!) }
        rowsWritten += 1
    }

    /// Records that the current row is bad under the policy.
    mutating func reject() {
        if options.onError == .skip { rowsSkipped += 1 } else { rejected = true }
    }

    mutating func symbolBuffer(_ name: String) throws -> SymbolBuffer {
        if let existing = symbols[name] { return existing }
        try BarFile.validateSymbol(name)
        let specs = stored.map { column -> ColumnSpec in
            var spec = ColumnSpec(column.name, description: schema.describe(column.index))
            spec.attributes["source_type"] = .string(schema.typeName(column.index))
            if column.isDatetime { spec.attributes["units"] = .string("s since 1970-01-01T00:00:00Z") }
            return spec
        }
        // With compression, buffer whole chunks so they can be compressed on all cores, as long as
        // a chunk of every column fits in 16 MB; otherwise append every `flushRows` rows.
        let chunked = writer.isCompressed && (stored.count + 1) * writer.chunkElements * 8 <= 16 << 20
        let buffer = SymbolBuffer(symbol: name, file: writer, writer: try writer.addSymbol(name, columns: specs), statistics: statistics,
                                  columns: stored.count, capacity: chunked ? writer.chunkElements : options.flushRows, wholeChunks: chunked,
                                  holdsRows: schema.newestFirst)
        symbols[name] = buffer
        symbolOrder.append(name)
        return buffer
    }

    func sampleRow(_ fields: CSVRecord, timestamp: Int64, symbol: String) -> [String: DatasetSummary.Value] {
        var row: [String: DatasetSummary.Value] = [:]
        if let t = schema.timestampIndex { row[schema.names[t]] = .text(TimestampParser.format(timestamp)) }
        if let s = schema.symbolIndex { row[schema.names[s]] = .text(symbol) }
        for (k, column) in stored.enumerated() { row[schema.names[column.index]] = values[k].isNaN ? .null : .number(values[k]) }
        for i in schema.textColumns { row[schema.names[i]] = fields[i].string.map { .text($0) } ?? .null }
        return row
    }

    /// Writes what remains, the attributes and the summary, and commits the file.
    mutating func finish() throws -> IngestResult {
        if rejected {
            try? writer.waitForAppends()
            throw IngestFailure(problems: problems, totalProblems: totalProblems, rowsRead: rowNumber)
        }
        guard rowsWritten > 0 else {
            throw IngestError.invalidInput("\(csvPath): no valid data rows\(rowsSkipped > 0 ? " (\(rowsSkipped) skipped)" : "")")
        }
        for name in symbolOrder {
            try symbols[name]!.appendHeldRowsOldestFirst()
            try symbols[name]!.flush()
        }
        try writer.waitForAppends()  // statistics are complete only after the last batch
        let dropped = schema.droppedIndexColumns
        if !dropped.isEmpty { warnings.append("dropped pandas index column\(dropped.count > 1 ? "s" : "") \(dropped.map { "'\($0)'" }.joined(separator: ", "))") }
        for i in schema.textColumns {
            if case .some(.some(let constant)) = textValues[i] {
                for name in symbolOrder { try writer.setAttribute(schema.names[i], .string(constant), on: "/symbols/\(name)") }
                warnings.append("text column '\(schema.names[i])' is constant ('\(constant)'): kept as a symbol attribute")
            } else {
                warnings.append("text column '\(schema.names[i])' varies: dropped (only numeric columns are stored)")
            }
        }
        let summary = makeSummary()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try writer.setAttribute("frequency", .string(schema.timestampIndex == nil ? "rows" : inferFrequency()))
        try writer.setAttribute("time_axis", .string(schema.timestampIndex == nil ? "row_number" : "timestamp"))
        try writer.setAttribute("summary", .string(String(decoding: try encoder.encode(summary), as: UTF8.self)))
        try writer.setAttribute("lineage", .string("{\"operation\":\"ingest\",\"source\":\(jsonQuoted(csvPath)),\"on_error\":\"\(options.onError.rawValue)\"}"))
        try writer.commit()
        return IngestResult(outputPath: writer.path, summary: summary, rowsWritten: rowsWritten, rowsSkipped: rowsSkipped,
                            problems: problems, totalProblems: totalProblems)
    }

    func makeSummary() -> DatasetSummary {
        var columns: [DatasetSummary.Column] = []
        var numerical: [String: DatasetSummary.NumericalSummary] = [:]
        var missing: [String: Int] = [:]
        var types: [String: String] = [:]
        for i in schema.names.indices where schema.roles[i] != .index {
            let name = schema.names[i]
            columns.append(.init(name: name, type: schema.typeName(i), description: schema.describe(i)))
            types[name] = schema.typeName(i)
            missing[name] = 0
        }
        if let t = schema.timestampIndex { missing[schema.names[t]] = timestampMissing }
        for i in schema.textColumns { missing[schema.names[i]] = textMissing[i, default: 0] }
        for (k, column) in stored.enumerated() {
            let s = statistics.columns[k]
            let name = schema.names[column.index]
            missing[name] = s.missing
            guard !column.isDatetime else { continue }
            let q = s.quartiles()
            // Finite values can still sum past ±1.8e308 (a mean or std of 1e308s): such a figure is
            // absent (null), as JSON cannot carry it.
            func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
            numerical[name] = .init(count: s.count, mean: finite(s.count > 0 ? s.mean : nil), std: finite(s.standardDeviation),
                                    min: s.count > 0 ? s.minimum : nil, p25: finite(q?.0), p50: finite(q?.1), p75: finite(q?.2),
                                    max: s.count > 0 ? s.maximum : nil, exactQuantiles: s.quantilesAreExact)
        }
        return DatasetSummary(rowCount: rowsWritten, columnCount: columns.count, columns: columns,
                              statistics: .init(numericalSummary: numerical, missingValues: missing, dataTypes: types),
                              sampleData: sample, symbols: symbols.mapValues(\.rowCount),
                              timeRange: [TimestampParser.format(minTime), TimestampParser.format(maxTime)], warnings: warnings)
    }

    /// pandas-style frequency from the median spacing of the first symbol's first 1000 bars.
    func inferFrequency() -> String {
        guard let first = symbolOrder.first, let buffer = symbols[first], buffer.firstTimestamps.count > 1 else { return "irregular" }
        let t = buffer.firstTimestamps
        let gaps = zip(t.dropFirst(), t).map { $0 - $1 }.sorted()
        let median = gaps[gaps.count / 2]
        let units: [(Int64, String)] = [(86_400_000_000_000, "D"), (3_600_000_000_000, "h"), (60_000_000_000, "min"), (1_000_000_000, "s"), (1_000_000, "ms")]
        for (size, name) in units where median % size == 0 { return "\(median / size)\(name)" }
        return "\(median)ns"
    }
}

func jsonQuoted(_ s: String) -> String {
    let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}
