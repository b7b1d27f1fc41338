import NIOCore

/// One value of RESP2, the protocol Redis speaks: what a reply is made of.
public enum RESPValue: Sendable, Equatable {
    /// `+OK`: a short status line.
    case simpleString(String)
    /// `-ERR …`: the server refused the command; the text says why.
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$5\r\nhello`: binary-safe bytes; nil is RESP's null bulk string (`$-1`), a missing key.
    case bulkString([UInt8]?)
    /// `*2\r\n…`: nil is the null array (`*-1`), e.g. a timed-out blocking read.
    case array([RESPValue]?)

    /// The bytes of a bulk or simple string as UTF-8 text, nil for anything else or a null.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// An integer reply, or a string reply that spells one (Redis returns numbers either way).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes?): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of a non-null array.
    public var elements: [RESPValue]? {
        if case .array(let values?) = self { values } else { nil }
    }

    /// Whether this is the null bulk string or the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }
}
