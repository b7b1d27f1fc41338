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
        /// Text: kept as a group attribute when constant, otherwise dropped with a warning.
        case text
    }

    var names: [String]
    var kinds: [ColumnKind]
    var roles: [Role]
    /// The timestamp column; nil when the file has none and rows are numbered instead.
    var timestampIndex: Int?
    var symbolIndex: Int?
    /// Columns whose inspected values were mostly negative (features such as z-scores, not prices).
    var mostlyNegative: Set<Int> = []

    /// The name reported for the time axis.
    var timeName: String { timestampIndex.map { names[$0] } ?? "row" }

    static let timestampNames = ["date", "time", "timestamp", "datetime", "system_time"]
    static let symbolNames = ["tic", "symbol", "ticker"]
    static let canonicalNames = ["open", "high", "low", "close", "adjcp", "volume"]

    /// Builds the schema; `names` are the header's (or generated) names.
    init(names rawNames: [String], kinds: [ColumnKind], options: IngestOptions, path: String) throws {
        // Duplicate names get ".1", ".2" suffixes, as pandas does.
        var seen: [String: Int] = [:]
        let names = rawNames.map { raw in
            let name = raw.trimmingCharacters(in: .whitespaces)
            if let n = seen[name] { seen[name] = n + 1; return "\(name).\(n + 1)" }
            seen[name] = 0
            return name
        }
        self.names = names
        self.kinds = kinds
        let lower = names.map { $0.lowercased() }
        func find(_ wanted: String?, defaults: [String], what: String) throws -> Int? {
            if let wanted {
                guard let i = lower.firstIndex(of: wanted.lowercased()) else {
                    throw IngestError.invalidInput("\(path): no column named '\(wanted)' for the \(what) (columns: \(names.joined(separator: ", ")))")
                }
                return i
            }
            for candidate in defaults { if let i = lower.firstIndex(of: candidate) { return i } }
            return nil
        }
        let t = try find(options.timestampColumn, defaults: Self.timestampNames, what: "timestamp")
        if let t, ![.datetime, .int].contains(kinds[t]) {
            throw IngestError.invalidInput("\(path): timestamp column '\(names[t])' holds \(kinds[t].rawValue) values, not dates or epoch integers")
        }
        timestampIndex = t
        symbolIndex = try find(options.symbolColumn, defaults: Self.symbolNames, what: "symbol")
        var roles: [Role] = []
        for (i, name) in names.enumerated() {
            if i == t { roles.append(.timestamp); continue }
            if i == symbolIndex { roles.append(.symbol); continue }
            if name.isEmpty || name.range(of: #"^Unnamed: \d+(\.\d+)?$"#, options: .regularExpression) != nil { roles.append(.index); continue }
            let stored = Self.canonicalNames.contains(lower[i]) ? lower[i] : name
            guard !stored.contains("/"), stored != "timestamp" else {
                throw IngestError.invalidInput("\(path): column name '\(name)' cannot be stored (no '/', and 'timestamp' is reserved)")
            }
            switch kinds[i] {
            case .int, .float, .bool, .empty: roles.append(.numeric(storedName: stored))
            case .datetime: roles.append(.datetime(storedName: stored))
            case .string: roles.append(.text)
            }
        }
        self.roles = roles
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
