/// The value of an HDF5 attribute as QuantForge writes and reads them: a UTF-8 string, a 64-bit
/// integer or a float64 (scalars), or a float64 array.
public enum HDF5AttributeValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case double(Double)
    case doubles([Double])

    public var description: String {
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .doubles(let values): return "[\(values.map { String($0) }.joined(separator: ", "))]"
        }
    }

    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, if this is one.
    public var integerValue: Int64? { if case .integer(let i) = self { return i } else { return nil } }
}
