/// Errors raised by Ingest, each saying what is wrong and where.
public enum IngestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file at the path.
    case notFound(String)
    /// A file does not have the expected layout; the message names the object.
    case layout(String)
    /// Input data is invalid; the message names file, line, column and value.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file"
        case .layout(let message): return message
        case .invalidInput(let message): return message
        }
    }
}
