/// The type inferred for a CSV column from its values.
public enum ColumnKind: String, Codable, Sendable {
    case int, float, bool, datetime, string
    /// Only empty or missing values.
    case empty

    /// The narrowest kind that holds both.
    func merged(with other: ColumnKind) -> ColumnKind {
        if self == other || other == .empty { return self }
        if self == .empty { return other }
        if (self == .int && other == .float) || (self == .float && other == .int) { return .float }
        return .string
    }

    /// The kind of one non-missing field.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> ColumnKind {
        if NumberParser.int64(bytes) != nil { return .int }
        if NumberParser.double(bytes) != nil { return .float }
        if BoolParser.parse(bytes) != nil { return .bool }
        if TimestampParser.parse(bytes) != nil { return .datetime }
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

/// Spellings of a missing value (pandas' defaults that can occur in market data).
enum MissingValue {
    static func isMissing(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.isEmpty { return true }
        if bytes.count > 4 { return false }
        switch String(decoding: bytes, as: UTF8.self) {
        case "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-nan", "": return true
        default: return false
        }
    }
}
