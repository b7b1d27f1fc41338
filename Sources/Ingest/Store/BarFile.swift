/// A QuantForge bar file opened for reading: one group per symbol under `/symbols`, each holding a
/// `timestamp` column (int64 ns since the Unix epoch, UTC) and float64 columns of equal length.
public final class BarFile {
    let file: HDF5File
    /// The file's path.
    public var path: String { file.path }
    /// Root attributes.
    public let metadata: BarFileMetadata
    /// Symbols in name order.
    public let symbols: [String]

    /// Opens `path` and checks its layout.
    /// - Throws: `IngestError.notFound`, or `.layout` naming what is missing.
    public init(path: String) throws {
        file = try HDF5File.open(path)
        metadata = try BarFileMetadata(attributes: try file.attributes(of: "/"), path: path)
        guard file.exists("/symbols") else { throw IngestError.layout("\(path) has no /symbols group") }
        symbols = try file.children(of: "/symbols")
    }

    /// Symbol names: letters, digits and . _ - ^ = (tickers such as BRK.B, ^DJI, EURUSD=X).
    static func validateSymbol(_ symbol: String) throws {
        let allowed = symbol.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-^=".unicodeScalars.contains($0) }
        guard !symbol.isEmpty, symbol.count <= 64, allowed else {
            throw IngestError.invalidInput("invalid symbol name '\(symbol)' (letters, digits and . _ - ^ = only, at most 64)")
        }
    }

    private func group(_ symbol: String) throws -> String {
        guard symbols.contains(symbol) else {
            throw IngestError.invalidInput("\(path) has no symbol '\(symbol)' (it has \(symbols.prefix(10).joined(separator: ", "))\(symbols.count > 10 ? ", …" : ""))")
        }
        return "/symbols/\(symbol)"
    }

    /// The numeric column names of `symbol`, in name order, without `timestamp`.
    public func columns(of symbol: String) throws -> [String] {
        try file.children(of: try group(symbol)).filter { $0 != "timestamp" }
    }

    /// Number of rows of `symbol`.
    public func rowCount(of symbol: String) throws -> Int {
        try file.column("\(try group(symbol))/timestamp", of: Int64.self).count
    }

    /// The whole timestamp column of `symbol`.
    public func timestamps(of symbol: String) throws -> [Int64] {
        try file.column("\(try group(symbol))/timestamp", of: Int64.self).readAll()
    }

    /// The whole column `name` of `symbol`.
    public func column(_ name: String, of symbol: String) throws -> [Double] {
        try openColumn(name, of: symbol).readAll()
    }

    /// Column `name` of `symbol` as a handle, for reading into caller buffers or by row range.
    public func openColumn(_ name: String, of symbol: String) throws -> HDF5Column<Double> {
        let g = try group(symbol)
        guard file.exists("\(g)/\(name)") else {
            throw IngestError.invalidInput("\(path): symbol \(symbol) has no column '\(name)' (it has \(try columns(of: symbol).joined(separator: ", ")))")
        }
        return try file.column("\(g)/\(name)", of: Double.self)
    }

    /// Attributes of a column (units, description) or of the symbol group when `column` is nil.
    public func attributes(of symbol: String, column: String? = nil) throws -> [String: HDF5AttributeValue] {
        let g = try group(symbol)
        return try file.attributes(of: column.map { "\(g)/\($0)" } ?? g)
    }

    /// The first and last timestamp of `symbol` (two values read, not the column); nil when it has no rows.
    public func timeSpan(of symbol: String) throws -> ClosedRange<Int64>? {
        let timestamps = try file.column("\(try group(symbol))/timestamp", of: Int64.self)
        guard timestamps.count > 0 else { return nil }
        var first: Int64 = 0, last: Int64 = 0
        try withUnsafeMutablePointer(to: &first) { try timestamps.read(0..<1, into: UnsafeMutableBufferPointer(start: $0, count: 1)) }
        try withUnsafeMutablePointer(to: &last) { try timestamps.read((timestamps.count - 1)..<timestamps.count, into: UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return first...max(first, last)
    }

    /// The rows of `symbol` whose timestamps lie in `range` (inclusive), found by binary search
    /// that reads single timestamps, so only the chunks probed and the chunks of the range itself
    /// are decompressed.
    public func rows(of symbol: String, in range: ClosedRange<Int64>) throws -> Range<Int> {
        let timestamps = try file.column("\(try group(symbol))/timestamp", of: Int64.self)
        var probe: Int64 = 0
        func value(at index: Int) throws -> Int64 {
            try withUnsafeMutablePointer(to: &probe) { try timestamps.read(index..<(index + 1), into: UnsafeMutableBufferPointer(start: $0, count: 1)) }
            return probe
        }
        func firstIndex(where predicate: (Int64) -> Bool) throws -> Int {
            var low = 0, high = timestamps.count
            while low < high {
                let mid = (low + high) / 2
                if predicate(try value(at: mid)) { high = mid } else { low = mid + 1 }
            }
            return low
        }
        let start = try firstIndex { $0 >= range.lowerBound }
        let end = try firstIndex { $0 > range.upperBound }
        return start..<max(start, end)
    }

    /// Timestamps and the named columns of `symbol` within a time range, reading only those rows.
    public func read(_ names: [String], of symbol: String, in range: ClosedRange<Int64>) throws -> (timestamps: [Int64], columns: [[Double]]) {
        let rows = try self.rows(of: symbol, in: range)
        let t = try file.column("\(try group(symbol))/timestamp", of: Int64.self)
        let timestamps = try [Int64](unsafeUninitializedCapacity: rows.count) { buffer, n in try t.read(rows, into: buffer); n = rows.count }
        let columns = try names.map { name -> [Double] in
            let c = try openColumn(name, of: symbol)
            return try [Double](unsafeUninitializedCapacity: rows.count) { buffer, n in try c.read(rows, into: buffer); n = rows.count }
        }
        return (timestamps, columns)
    }
}
