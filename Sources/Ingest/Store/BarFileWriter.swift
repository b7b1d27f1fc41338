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
    // Background appends: one serial queue, at most two batches in flight (memory stays bounded),
    // the first error kept and reported by the next call.
    private let appendQueue = DispatchQueue(label: "quantforge.bars.append")
    private let appendSlots = DispatchSemaphore(value: 2)
    private let appendFailure = AppendFailure()

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
        appendQueue.sync {}  // no append may run once the file closes
        if let file {
            closeAll(file)
            unlink(temporaryPath)
        }
    }

    /// Closes every dataset, then the file, so the file is really closed (and its lock released)
    /// now, not whenever the last Swift reference to a column goes away.
    private func closeAll(_ file: HDF5File) {
        for writer in symbolWriters {
            writer.timestamps.close()
            for column in writer.columns { column.close() }
        }
        symbolWriters = []
        file.close()
        self.file = nil
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

    /// Runs `work` on the background queue once one of the two in-flight slots is free (blocking
    /// until then), recording its error for a later call; throws an earlier job's error first.
    private func enqueue(_ work: @escaping @Sendable () throws -> Void) throws {
        if let error = appendFailure.error { throw error }
        appendSlots.wait()
        let slots = appendSlots, failure = appendFailure
        appendQueue.async {
            defer { slots.signal() }
            do { try work() } catch { failure.record(error) }
        }
    }

    /// Appends rows to `symbol` on a background queue, so that compressing and writing them
    /// overlaps with whatever the caller does next (parsing the next rows). Blocks while two
    /// batches are already waiting. Errors surface on a later call or in `waitForAppends()`.
    /// `alsoRun`, when given, runs on the same queue after the append (e.g. statistics over the
    /// batch), keeping that work off the caller's thread too.
    public func appendInBackground(to symbol: SymbolWriter, timestamps: [Int64], columns: [[Double]],
                                   alsoRun extra: (@Sendable ([[Double]]) -> Void)? = nil) throws {
        let work = UncheckedSendable(value: (symbol, timestamps, columns))
        try enqueue {
            defer { extra?(work.value.2) }
            try work.value.0.append(timestamps: work.value.1, columns: work.value.2)
        }
    }

    /// Whether columns are compressed (and `appendChunkInBackground` can be used).
    public var isCompressed: Bool { compressionLevel != nil }
    /// Elements per chunk.
    public var chunkElements: Int { chunkLength }

    /// Like `appendInBackground`, for exactly one chunk of rows (fewer only for a symbol's last
    /// batch): every column's chunk is shuffled and deflated on all cores at once, then written
    /// with `H5Dwrite_chunk`, readable by HDF5's own filters. Falls back to the plain path
    /// when the file is uncompressed or the symbol does not end on a chunk boundary.
    public func appendChunkInBackground(to symbol: SymbolWriter, timestamps: [Int64], columns: [[Double]],
                                        alsoRun extra: (@Sendable ([[Double]]) -> Void)? = nil) throws {
        guard let level = compressionLevel, timestamps.count <= chunkLength, symbol.rowCount % chunkLength == 0 else {
            return try appendInBackground(to: symbol, timestamps: timestamps, columns: columns, alsoRun: extra)
        }
        let work = UncheckedSendable(value: (symbol, timestamps, columns))
        let chunk = chunkLength
        try enqueue {
            let (symbol, timestamps, columns) = work.value
            defer { extra?(columns) }
            let rows = timestamps.count
            let encoded = UncheckedSendable(value: UnsafeMutablePointer<[UInt8]>.allocate(capacity: columns.count + 1))
            encoded.value.initialize(repeating: [], count: columns.count + 1)
            defer { encoded.value.deinitialize(count: columns.count + 1); encoded.value.deallocate() }
            // HDF5 stores whole chunks: the last, partial one is padded with zeros.
            @Sendable func encodePadded(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
                let full = UnsafeMutableRawPointer.allocate(byteCount: chunk * 8, alignment: 64)
                defer { full.deallocate() }
                full.initializeMemory(as: UInt8.self, repeating: 0, count: chunk * 8)
                full.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
                return ChunkCodec.encode(full, elementSize: 8, count: chunk, level: level)
            }
            DispatchQueue.concurrentPerform(iterations: columns.count + 1) { k in
                encoded.value[k] = k == 0 ? timestamps.withUnsafeBytes(encodePadded) : columns[k - 1].withUnsafeBytes(encodePadded)
            }
            try symbol.timestamps.appendEncodedChunks([encoded.value[0]], rows: rows, chunkLength: chunk)
            for (k, column) in symbol.columns.enumerated() {
                try column.appendEncodedChunks([encoded.value[k + 1]], rows: rows, chunkLength: chunk)
            }
        }
    }

    /// Waits until every background append has been written; rethrows the first failure.
    public func waitForAppends() throws {
        appendQueue.sync {}
        if let error = appendFailure.error { throw error }
    }

    /// Flushes, closes and renames the file into place.
    public func commit() throws {
        try waitForAppends()
        guard let file else { throw IngestError.layout("\(path): writer already committed") }
        try file.flush()
        closeAll(file)
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw IngestError.layout("cannot move the new file into \(path): \(reason)")
        }
    }
}

/// The first error of the background appends, shared with the queue.
final class AppendFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error)?

    var error: (any Error)? { lock.withLock { first } }

    func record(_ error: any Error) {
        lock.withLock { if first == nil { first = error } }
    }
}

/// Carries a value the caller hands over to another thread for good (it keeps no reference).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
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
