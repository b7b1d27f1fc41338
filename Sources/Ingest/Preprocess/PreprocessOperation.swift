/// One step of the seed's `POST /data/datasets/{id}/preprocess` operations, with the same JSON
/// shape: `{"type": "fill_missing", "method": "forward_fill", "columns": ["close"]}`.
public struct PreprocessOperation: Codable, Sendable, Equatable {
    /// What the step does.
    public enum Kind: String, Codable, Sendable {
        /// Fill missing values with `method`: forward_fill, backward_fill, mean, zero, linear.
        case fillMissing = "fill_missing"
        /// Rescale with `method`: min_max (to [0, 1]) or z_score (mean 0, population std 1).
        case normalize
        /// Drop rows where any of `columns` (all when absent) is missing.
        case dropMissing = "drop_missing"
        /// Add TradeMaster's feature columns (zopen … zd_30).
        case tradeMasterFeatures = "trademaster_features"
        /// Split rows into train/valid/test files by `boundaries` (two dates) or `fractions`
        /// (three numbers summing to 1); must be the last step.
        case split
    }

    public var type: Kind
    public var method: String?
    /// Columns the step applies to; absent means every numeric column.
    public var columns: [String]?
    /// For normalize: reuse the parameters stored in this earlier output (e.g. the train split),
    /// so later data is transformed exactly like the data the parameters were fitted on.
    public var fitFrom: String?
    /// For split by date: the first timestamp of valid and of test (ISO 8601).
    public var boundaries: [String]?
    /// For split by fraction: train, valid and test fractions.
    public var fractions: [Double]?

    enum CodingKeys: String, CodingKey {
        case type, method, columns, boundaries, fractions
        case fitFrom = "fit_from"
    }

    public init(type: Kind, method: String? = nil, columns: [String]? = nil, fitFrom: String? = nil,
                boundaries: [String]? = nil, fractions: [Double]? = nil) {
        self.type = type
        self.method = method
        self.columns = columns
        self.fitFrom = fitFrom
        self.boundaries = boundaries
        self.fractions = fractions
    }

    /// Checks the step's parameters and names the one that is wrong.
    public func validate(position: Int) throws {
        func fail(_ message: String) -> IngestError { .invalidInput("operations[\(position)] (\(type.rawValue)): \(message)") }
        switch type {
        case .fillMissing:
            guard let method, FillMethod(rawValue: method) != nil else {
                throw fail("method must be one of \(FillMethod.allCases.map(\.rawValue).joined(separator: ", ")), got \(method ?? "nothing")")
            }
        case .normalize:
            guard let method, NormalizeMethod(rawValue: method) != nil else {
                throw fail("method must be one of \(NormalizeMethod.allCases.map(\.rawValue).joined(separator: ", ")), got \(method ?? "nothing")")
            }
        case .split:
            if let boundaries {
                guard boundaries.count == 2, boundaries.allSatisfy({ Self.parseDate($0) != nil }) else { throw fail("boundaries must be two dates (valid start, test start)") }
            } else if let fractions {
                guard fractions.count == 3, fractions.allSatisfy({ $0 >= 0 }), abs(fractions.reduce(0, +) - 1) < 1e-9 else {
                    throw fail("fractions must be three non-negative numbers summing to 1")
                }
            } else {
                throw fail("give boundaries (two dates) or fractions (three numbers)")
            }
        case .dropMissing, .tradeMasterFeatures:
            break
        }
    }

    static func parseDate(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBufferPointer { TimestampParser.parse($0) }
    }
}

/// How `fill_missing` fills.
public enum FillMethod: String, CaseIterable, Sendable {
    case forwardFill = "forward_fill", backwardFill = "backward_fill", mean, zero, linear
}

/// How `normalize` rescales.
public enum NormalizeMethod: String, CaseIterable, Sendable {
    case minMax = "min_max", zScore = "z_score"
}
