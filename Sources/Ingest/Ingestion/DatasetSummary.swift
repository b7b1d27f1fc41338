/// What an ingest learned about a dataset, in the shape of the seed's `datasets` columns
/// (`row_count`, `column_count`, `columns`, `statistics`, `sample_data`). Encoded with
/// `JSONEncoder` it is the JSON the service stores unchanged.
public struct DatasetSummary: Codable, Sendable, Equatable {
    /// One column of the source as ingested.
    public struct Column: Codable, Sendable, Equatable {
        public var name: String
        /// float64, int64, bool, datetime or string.
        public var type: String
        public var description: String
    }

    /// pandas `describe()` of one numeric column; values absent (null) where pandas gives NaN.
    public struct NumericalSummary: Codable, Sendable, Equatable {
        public var count: Int
        public var mean: Double?
        public var std: Double?
        public var min: Double?
        public var p25: Double?
        public var p50: Double?
        public var p75: Double?
        public var max: Double?
        /// False when the quartiles were estimated from a sample (very long columns).
        public var exactQuantiles: Bool

        enum CodingKeys: String, CodingKey {
            case count, mean, std, min, max
            case p25 = "25%", p50 = "50%", p75 = "75%"
            case exactQuantiles = "exact_quantiles"
        }
    }

    public struct Statistics: Codable, Sendable, Equatable {
        public var numericalSummary: [String: NumericalSummary]
        public var missingValues: [String: Int]
        public var dataTypes: [String: String]

        enum CodingKeys: String, CodingKey {
            case numericalSummary = "numerical_summary"
            case missingValues = "missing_values"
            case dataTypes = "data_types"
        }
    }

    /// A JSON scalar of a sample row.
    public enum Value: Codable, Sendable, Equatable {
        case number(Double)
        case text(String)
        case null

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let d) where d.isFinite: try c.encode(d)
            case .number, .null: try c.encodeNil()
            case .text(let s): try c.encode(s)
            }
        }
    }

    public var rowCount: Int
    public var columnCount: Int
    public var columns: [Column]
    public var statistics: Statistics
    public var sampleData: [[String: Value]]
    /// Symbols and their row counts.
    public var symbols: [String: Int]
    /// First and last timestamp, ISO 8601 UTC.
    public var timeRange: [String]
    /// Things the user should know (dropped columns, guessed units).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case rowCount = "row_count", columnCount = "column_count", columns, statistics
        case sampleData = "sample_data", symbols, timeRange = "time_range", warnings
    }
}
