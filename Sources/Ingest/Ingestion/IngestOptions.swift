/// How `CSVIngestor` reads a file.
public struct IngestOptions: Sendable {
    /// What to do with a row that fails validation.
    public enum ErrorPolicy: String, Sendable, Codable, CaseIterable {
        /// Write nothing and report the problems (the default).
        case reject
        /// Leave such rows out, count them, and write the rest.
        case skip
    }

    /// Symbol for files without a tic/symbol/ticker column; default: the file name's stem.
    public var symbol: String?
    /// Name of the timestamp column; default: the first of date, time, timestamp, datetime,
    /// system_time (any case).
    public var timestampColumn: String?
    /// Name of the symbol column; default: tic, symbol or ticker (any case).
    public var symbolColumn: String?
    /// Field delimiter; default: detected among `,` `;` tab.
    public var delimiter: UInt8?
    /// Unit of an integer timestamp column; default: guessed from the first value's magnitude.
    public var epochUnit: TimestampParser.EpochUnit?
    /// Whether slash dates (`01/04/2024`) are day first; default (nil): decided by the values
    /// (`SlashDateOrder`), month first as pandas reads them when nothing tells.
    public var dayFirst: Bool?
    public var onError: ErrorPolicy = .reject
    /// Check prices (open, high, low, close, adjcp) for negatives and high ≥ low, and volume for
    /// negatives. A price column whose first rows are mostly negative holds features, not prices,
    /// and is exempt with a note.
    public var priceChecks = true
    /// How many problems the report lists (the total is always counted).
    public var reportLimit = 20
    /// Values per HDF5 chunk.
    public var chunkLength = 65_536
    /// Deflate level (0–9) applied after the shuffle filter; nil stores columns uncompressed.
    public var compressionLevel: Int? = 4
    /// Bytes read at a time; bounds the memory used by parsing.
    public var blockSize = 1 << 22
    /// Rows buffered per symbol before they are appended to the file.
    public var flushRows = 16_384
    /// Rows inspected to infer column types.
    public var inferenceRows = 1_000
    /// Values per column kept for exact quartiles; longer columns use a seeded reservoir of this size.
    public var statisticsSampleLimit = 1 << 20
    /// Rows kept in `sample_data`.
    public var sampleRows = 5

    public init() {}
}
