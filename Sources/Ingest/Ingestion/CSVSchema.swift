import Foundation

/// The roles of a CSV file's columns, decided from its header and its first rows.
struct CSVSchema {
    /// How a source column is stored.
    enum Role: Equatable {
        /// A pandas index column ("" or "Unnamed: N"): dropped.
        case index
        case timestamp
        case symbol
        /// Stored as a float64 column under `storedName`.
        case numeric(storedName: String)
        /// A second date/time column, stored as float64 seconds since the epoch.
        case datetime(storedName: String)
        /// The time of day that completes a date-only time axis: read with it, not stored.
        case timeOfDay
        /// Text: kept as a group attribute when constant, otherwise dropped with a warning.
        case text
    }

    var names: [String]
    var kinds: [ColumnKind]
    var roles: [Role]
    /// The time axis; nil when the file has none and rows are numbered instead.
    var timeAxis: TimeAxis?
    var symbolIndex: Int?
    /// Columns whose inspected values were mostly negative (features such as z-scores, not prices).
    var mostlyNegative: Set<Int> = []
    /// Header rows before the data (0 without a header; 3 for yfinance's Price/Ticker/Date header).
    var headerRows = 1
    /// The ticker a yfinance header names: the symbol when none is given.
    var headerTicker: String?
    /// Whether the rows list each symbol's bars newest first (`RowOrder`): they are then checked
    /// to go back in time, held until the end of the file and stored oldest first.
    var newestFirst = false
    /// Whether slash dates read day first (`SlashDateOrder`).
    var dayFirst = false
    /// Whether numbers are written with a decimal comma (`NumberParser.decimalComma`).
    var decimalComma = false
    /// What the user should know about the layout (duplicate names, a time axis found by content).
    var warnings: [String] = []

    /// The timestamp column; nil when the file has none and rows are numbered instead.
    var timestampIndex: Int? { timeAxis?.column }

    /// The name reported for the time axis.
    var timeName: String { timestampIndex.map { names[$0] } ?? "row" }

    static let symbolNames = ["tic", "symbol", "ticker", "ts_code"]
    static let canonicalNames = ["open", "high", "low", "close", "adjcp", "volume"]
    /// Names read as the close when the file has no column named close.
    static let closeAliases = ["close/last", "price", "last"]
    /// Names read as the volume when the file has no column named volume.
    static let volumeAliases = ["vol", "vol."]

    /// A header name as compared with the known names: trimmed, lower-cased, without the angle
    /// brackets MetaTrader and Stooq put around theirs (`<CLOSE>`).
    static func normalized(_ name: String) -> String {
        var text = name.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("<") && text.hasSuffix(">") && text.count > 2 { text = String(text.dropFirst().dropLast()) }
        return text
    }

    /// Whether a header cell names a pandas index: empty, or `Unnamed: N` as pandas reads one back.
    static func isIndexName(_ name: String) -> Bool {
        name.isEmpty || name.range(of: #"^Unnamed: \d+(\.\d+)?$"#, options: .regularExpression) != nil
    }

    /// Builds the schema; `names` are the header's (or generated) names, `samples` the inspected
    /// non-missing values of each column.
    init(names rawNames: [String], kinds: [ColumnKind], samples: [[String]], options: IngestOptions, path: String) throws {
        let trimmed = rawNames.map { $0.trimmingCharacters(in: .whitespaces) }
        let normalized = trimmed.map(Self.normalized)
        // Two price columns of one name are ambiguous: refuse rather than guess which is meant.
        // Other duplicates get ".1", ".2" suffixes, as pandas does, with a warning naming them.
        var firstColumn: [String: Int] = [:]
        var seen: [String: Int] = [:]
        var warnings: [String] = []
        var names: [String] = []
        // HDF5 names end at a NUL, and PostgreSQL's text and jsonb cannot hold one.
        if let k = trimmed.firstIndex(where: { $0.utf8.contains(0) }) {
            throw IngestError.invalidInput("\(path): column \(k + 1)'s name holds a NUL byte")
        }
        for (k, name) in trimmed.enumerated() {
            guard !name.isEmpty, let n = seen[name] else {
                seen[name] = 0
                firstColumn[normalized[k]] = firstColumn[normalized[k]] ?? k
                names.append(name)
                continue
            }
            if Self.canonicalNames.contains(normalized[k]) {
                throw IngestError.invalidInput("\(path): columns \(firstColumn[normalized[k]]! + 1) and \(k + 1) are both named '\(name)'; rename one so it is clear which holds the \(normalized[k]) prices")
            }
            seen[name] = n + 1
            names.append("\(name).\(n + 1)")
            warnings.append("columns \(firstColumn[normalized[k]]! + 1) and \(k + 1) are both named '\(name)': the second is stored as '\(name).\(n + 1)'")
        }
        self.names = names
        self.kinds = kinds
        let lower = names.map(Self.normalized)
        func find(_ wanted: String?, defaults: [String], what: String) throws -> Int? {
            if let wanted {
                guard let i = lower.firstIndex(of: Self.normalized(wanted)) else {
                    throw IngestError.invalidInput("\(path): no column named '\(wanted)' for the \(what) (columns: \(names.joined(separator: ", ")))")
                }
                return i
            }
            for candidate in defaults { if let i = lower.firstIndex(of: candidate) { return i } }
            return nil
        }
        symbolIndex = try find(options.symbolColumn, defaults: Self.symbolNames, what: "symbol")
        timeAxis = try TimeAxis.choose(names: names, kinds: kinds, samples: samples, requested: options.timestampColumn,
                                       hasSymbolColumn: symbolIndex != nil, path: path)
        if let note = timeAxis?.note { warnings.append(note) }
        // MetaTrader writes volume as <VOL> (beside <TICKVOL>), Investing.com as Vol.; Nasdaq.com
        // writes the close as Close/Last, Investing.com as Price (a tick file's price is its close too).
        let volumeAlias = lower.contains("volume") ? nil : lower.firstIndex { Self.volumeAliases.contains($0) }
        let closeAlias = lower.contains("close") ? nil : lower.firstIndex { Self.closeAliases.contains($0) }
        var roles: [Role] = []
        for (i, name) in names.enumerated() {
            if i == timeAxis?.column { roles.append(.timestamp); continue }
            if i == timeAxis?.timeOfDayColumn { roles.append(.timeOfDay); continue }
            if i == symbolIndex { roles.append(.symbol); continue }
            if Self.isIndexName(name) { roles.append(.index); continue }
            // Known names are stored lower-case, bracketed ones (<TICKVOL>) without their brackets.
            let bracketed = name.hasPrefix("<") && name.hasSuffix(">")
            var stored = i == volumeAlias ? "volume" : i == closeAlias ? "close" : Self.canonicalNames.contains(lower[i]) || bracketed ? lower[i] : name
            if stored.contains("/") {
                // HDF5 reads '/' as a group separator.
                stored = stored.replacingOccurrences(of: "/", with: "_")
                guard !names.contains(stored) else {
                    throw IngestError.invalidInput("\(path): column '\(name)' cannot be stored: HDF5 names cannot hold '/', and '\(stored)' is taken")
                }
                warnings.append("column '\(name)' stored as '\(stored)' ('/' separates groups in HDF5)")
            }
            guard stored != "timestamp" else {
                throw IngestError.invalidInput("\(path): column name '\(name)' cannot be stored ('timestamp' is reserved)")
            }
            switch kinds[i] {
            case .int, .float, .bool, .empty: roles.append(.numeric(storedName: stored))
            case .datetime: roles.append(.datetime(storedName: stored))
            case .string: roles.append(.text)
            }
        }
        self.roles = roles
        if let c = closeAlias, roles[c] == .numeric(storedName: "close") {
            warnings.append("'\(names[c])' stored as close (the file has no close column)")
        }
        if !roles.contains(.numeric(storedName: "close")) {
            warnings.append("no 'close' column: backtests, evaluations and training need one (columns: \(names.joined(separator: ", ")))")
        }
        self.warnings = warnings
    }

    /// Index columns are dropped silently by pandas too; list them for the report.
    var droppedIndexColumns: [String] { zip(names, roles).filter { $0.1 == .index }.map { $0.0 } }

    /// The stored numeric columns: (source index, stored name, whether it holds datetimes).
    var storedColumns: [(index: Int, name: String, isDatetime: Bool)] {
        roles.enumerated().compactMap { i, role in
            switch role {
            case .numeric(let name): return (i, name, false)
            case .datetime(let name): return (i, name, true)
            default: return nil
            }
        }
    }

    /// Source columns holding text.
    var textColumns: [Int] { roles.indices.filter { roles[$0] == .text } }

    /// The type name the summary reports for column `i`.
    func typeName(_ i: Int) -> String {
        switch roles[i] {
        case .timestamp, .datetime: return "datetime"
        case .timeOfDay: return "time"
        case .symbol, .text: return "string"
        case .index: return "int64"
        case .numeric:
            switch kinds[i] {
            case .int: return "int64"
            case .bool: return "bool"
            default: return "float64"
            }
        }
    }

    /// A short description of column `i` for the summary.
    func describe(_ i: Int) -> String {
        let name = names[i].lowercased()
        switch roles[i] {
        case .timestamp: return "Bar time, stored as int64 nanoseconds since 1970-01-01 UTC"
        case .timeOfDay: return "Time of day, added to the date on the time axis"
        case .symbol: return "Symbol; one HDF5 group per value"
        case .text: return "Text column (kept as an attribute when constant, otherwise dropped)"
        case .datetime: return "Date/time, stored as float64 seconds since 1970-01-01 UTC"
        case .index: return "pandas index column (dropped)"
        case .numeric:
            switch name {
            case "open": return "Opening price"
            case "high": return "Highest price"
            case "low": return "Lowest price"
            case "close": return "Closing price"
            case "adjcp": return "Adjusted closing price"
            case "volume": return "Traded volume"
            case "zopen", "zhigh", "zlow", "zadjcp", "zclose": return "TradeMaster feature: price relative to close, minus 1"
            default: return name.hasPrefix("zd_") ? "TradeMaster feature: moving average over \(name.dropFirst(3)) bars relative to price, minus 1" : ""
            }
        }
    }
}
