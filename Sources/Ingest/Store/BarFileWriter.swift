import Foundation

/// Writes a bar file atomically: everything goes to a temporary file in the destination folder,
/// which `commit()` flushes and renames over the destination. A writer released without
/// `commit()` (an error, a crash of the ingest) removes its temporary file, so a failed write
/// leaves no file behind and never damages an existing one.
public final class BarFileWriter {
    /// The final path.
    public let path: String
    let temporaryPath: String
    private var file: HDF5File?
    private var symbolWriters: [SymbolWriter] = []
    private let chunkLength: Int
    private let compressionLevel: Int?

    /// Starts a file at `path` with `metadata`; columns are chunked by `chunkLength` values and
    /// compressed with shuffle + deflate at `compressionLevel` (nil: uncompressed).
    public init(path: String, metadata: BarFileMetadata, chunkLength: Int = 65_536, compressionLevel: Int? = 4) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        self.chunkLength = chunkLength
        self.compressionLevel = compressionLevel
        let file = try HDF5File.create(temporaryPath)
        self.file = file
        for (name, value) in metadata.attributes { try file.setAttribute(name, value) }
        try file.createGroup("/symbols")
    }

    deinit {
        if file != nil {
            file = nil
            symbolWriters = []
            unlink(temporaryPath)
        }
    }

    /// Starts the group of `symbol` with a `timestamp` column and the given numeric columns.
    public func addSymbol(_ symbol: String, columns: [ColumnSpec], attributes: [String: HDF5AttributeValue] = [:]) throws -> SymbolWriter {
        guard let file else { throw IngestError.layout("\(path): writer already committed") }
        try BarFile.validateSymbol(symbol)
        let group = "/symbols/\(symbol)"
        guard !file.exists(group) else { throw IngestError.invalidInput("\(path): symbol \(symbol) added twice") }
        try file.createGroup(group)
        for (name, value) in attributes { try file.setAttribute(name, value, on: group) }
        let timestamps = try file.createColumn("\(group)/timestamp", of: Int64.self, chunkLength: chunkLength, compressionLevel: compressionLevel)
        try file.setAttribute("units", .string("ns since 1970-01-01T00:00:00Z"), on: "\(group)/timestamp")
        var numeric: [HDF5Column<Double>] = []
        for spec in columns {
            guard spec.name != "timestamp", !spec.name.contains("/"), !spec.name.isEmpty else {
                throw IngestError.invalidInput("\(path): invalid column name '\(spec.name)' for \(symbol)")
            }
            let column = try file.createColumn("\(group)/\(spec.name)", of: Double.self, chunkLength: chunkLength, compressionLevel: compressionLevel)
            for (name, value) in spec.attributes { try file.setAttribute(name, value, on: "\(group)/\(spec.name)") }
            numeric.append(column)
        }
        let writer = SymbolWriter(symbol: symbol, names: columns.map(\.name), timestamps: timestamps, columns: numeric)
        symbolWriters.append(writer)
        return writer
    }

    /// Sets a root attribute (lineage, parameters) before committing.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on objectPath: String = "/") throws {
        guard let file else { throw IngestError.layout("\(path): writer already committed") }
        try file.setAttribute(name, value, on: objectPath)
    }

    /// Flushes, closes and renames the file into place.
    public func commit() throws {
        guard let file else { throw IngestError.layout("\(path): writer already committed") }
        try file.flush()
        symbolWriters = []
        self.file = nil  // closes every handle of the file
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw IngestError.layout("cannot move the new file into \(path): \(reason)")
        }
    }
}

/// Appends rows to one symbol's columns.
public final class SymbolWriter {
    public let symbol: String
    /// Numeric column names, in the order `append` takes them.
    public let columnNames: [String]
    let timestamps: HDF5Column<Int64>
    let columns: [HDF5Column<Double>]

    init(symbol: String, names: [String], timestamps: HDF5Column<Int64>, columns: [HDF5Column<Double>]) {
        self.symbol = symbol
        columnNames = names
        self.timestamps = timestamps
        self.columns = columns
    }

    /// Rows written so far.
    public var rowCount: Int { timestamps.count }

    /// Appends rows: `timestamps` and one buffer per column, all of the same length.
    public func append(timestamps values: UnsafeBufferPointer<Int64>, columns data: [UnsafeBufferPointer<Double>]) throws {
        precondition(data.count == columns.count, "append: \(data.count) column buffers for \(columns.count) columns")
        for buffer in data { precondition(buffer.count == values.count, "append: ragged column buffers") }
        try timestamps.append(values)
        for (column, buffer) in zip(columns, data) { try column.append(buffer) }
    }

    /// Appends rows from arrays.
    public func append(timestamps values: [Int64], columns data: [[Double]]) throws {
        try values.withUnsafeBufferPointer { t in
            var pointers: [UnsafeBufferPointer<Double>] = []
            func recurse(_ index: Int) throws {
                if index == data.count { return try append(timestamps: t, columns: pointers) }
                try data[index].withUnsafeBufferPointer { pointers.append($0); try recurse(index + 1) }
            }
            try recurse(0)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
