/// The type inferred for a CSV column from its values.
public enum ColumnKind: String, Codable, Sendable {
    case int, float, bool, datetime, string
    /// Only empty or missing values.
    case empty

    /// The kind of one non-missing field.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> ColumnKind {
        if NumberParser.int64(bytes) != nil { return .int }
        if NumberParser.double(bytes) != nil { return .float }
        if BoolParser.parse(bytes) != nil { return .bool }
        if TimestampParser.isDateEitherWay(bytes) { return .datetime }  // out-of-range dates too: reported per line
        return .string
    }
}

/// Counts the kinds of a column's inspected values and decides by majority, so that a few bad
/// values in a numeric or date column are reported as errors at ingest instead of silently turning
/// the whole column into text.
struct ColumnKindVote {
    private var counts: [ColumnKind: Int] = [:]

    mutating func add(_ kind: ColumnKind) { counts[kind, default: 0] += 1 }

    /// How many values were counted.
    var total: Int { counts.values.reduce(0, +) }

    /// Numbers if at least half the values are numbers (float if any is), else dates, else
    /// booleans under the same rule, else text; `.empty` when nothing was seen.
    var decision: ColumnKind {
        let total = self.total
        guard total > 0 else { return .empty }
        let ints = counts[.int, default: 0], floats = counts[.float, default: 0]
        if (ints + floats) * 2 >= total { return floats > 0 ? .float : .int }
        if counts[.datetime, default: 0] * 2 >= total { return .datetime }
        if counts[.bool, default: 0] * 2 >= total { return .bool }
        return .string
    }
}

/// true/false in the spellings pandas accepts.
enum BoolParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch String(decoding: bytes, as: UTF8.self) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
}

/// Spellings of a missing value (pandas' defaults that can occur in market data), compared as
/// bytes: this runs for every field of every row.
enum MissingValue {
    private static let spellings: [[UInt8]] = ["NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-nan"].map { Array($0.utf8) }

    @inline(__always)
    static func isMissing(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.isEmpty { return true }
        // Every spelling starts with N, n or -, and is at most 4 bytes long.
        guard bytes.count <= 4, bytes[0] == 0x4E || bytes[0] == 0x6E || bytes[0] == 0x2D else { return false }
        return spellings.contains { $0.elementsEqual(bytes) }
    }
}
