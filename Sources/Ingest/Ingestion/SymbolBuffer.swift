/// Column statistics, updated on the writer's background queue batch by batch and read once all
/// appends have finished.
final class StatisticsAccumulator: @unchecked Sendable {
    var columns: [ColumnStatistics]

    init(count: Int, exactLimit: Int) { columns = Array(repeating: ColumnStatistics(exactLimit: exactLimit), count: count) }

    func add(_ batch: [[Double]]) {
        for k in batch.indices { columns[k].add(contentsOf: batch[k]) }
    }
}

/// Rows of one symbol waiting to be appended to its columns, in raw per-column storage (a
/// row costs one store per column, with no array bookkeeping).
final class SymbolBuffer {
    let symbol: String
    let file: BarFileWriter
    let writer: SymbolWriter
    let statistics: StatisticsAccumulator
    let capacity: Int
    let width: Int
    private let times: UnsafeMutablePointer<Int64>
    private let values: UnsafeMutablePointer<Double>   // column k occupies [k·capacity, (k+1)·capacity)
    private(set) var buffered = 0
    var lastTimestamp: Int64?
    var lastLine = 0
    /// Rows handed to the writer so far.
    private(set) var flushedRows = 0
    /// The first 1000 timestamps, kept for frequency inference.
    var firstTimestamps: [Int64] = []

    /// Whether each flush is one whole chunk, compressed on all cores.
    let wholeChunks: Bool
    /// Whether rows arrive newest first: they are held, row after row, until the file has been
    /// read, then appended oldest first (the file's order cannot be streamed into columns that
    /// must ascend).
    let holdsRows: Bool
    private var heldTimes: [Int64] = []
    private var heldValues: [Double] = []

    init(symbol: String, file: BarFileWriter, writer: SymbolWriter, statistics: StatisticsAccumulator, columns: Int, capacity: Int, wholeChunks: Bool,
         holdsRows: Bool = false) {
        self.wholeChunks = wholeChunks
        self.holdsRows = holdsRows
        self.symbol = symbol
        self.file = file
        self.writer = writer
        self.statistics = statistics
        self.capacity = capacity
        width = columns
        times = .allocate(capacity: capacity)
        values = .allocate(capacity: max(capacity * columns, 1))
    }

    deinit {
        times.deallocate()
        values.deallocate()
    }

    var rowCount: Int { flushedRows + buffered + heldTimes.count }

    /// Stores one row; flushes when the buffer is full.
    @inline(__always)
    func append(_ t: Int64, _ row: UnsafePointer<Double>) throws {
        if holdsRows {
            heldTimes.append(t)
            heldValues.append(contentsOf: UnsafeBufferPointer(start: row, count: width))
            return
        }
        try buffer(t, row)
    }

    /// Appends the held rows of a newest-first file, oldest first.
    func appendHeldRowsOldestFirst() throws {
        let times = heldTimes, values = heldValues
        heldTimes = []
        heldValues = []
        try values.withUnsafeBufferPointer { rows in
            for i in times.indices.reversed() { try buffer(times[i], rows.baseAddress! + i * width) }
        }
    }

    @inline(__always)
    private func buffer(_ t: Int64, _ row: UnsafePointer<Double>) throws {
        times[buffered] = t
        for k in 0..<width { values[k * capacity + buffered] = row[k] }
        buffered += 1
        if buffered == capacity { try flush() }
    }

    /// Hands the buffered rows to the file's background appender, statistics included.
    func flush() throws {
        guard buffered > 0 else { return }
        let timestamps = Array(UnsafeBufferPointer(start: times, count: buffered))
        let columns = (0..<width).map { Array(UnsafeBufferPointer(start: values + $0 * capacity, count: buffered)) }
        if firstTimestamps.count < 1000 { firstTimestamps += timestamps.prefix(1000 - firstTimestamps.count) }
        flushedRows += buffered
        buffered = 0
        let statistics = self.statistics
        if wholeChunks {
            try file.appendChunkInBackground(to: writer, timestamps: timestamps, columns: columns) { statistics.add($0) }
        } else {
            try file.appendInBackground(to: writer, timestamps: timestamps, columns: columns) { statistics.add($0) }
        }
    }
}
