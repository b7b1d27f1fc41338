import Foundation

/// Writes JSON straight into bytes: the one writer behind every response (`StreamingJSONEncoder`
/// drives it for `Encodable` values) and every JSON text the service stores. Foundation's
/// JSONEncoder goes through boxed containers and formats dates with a formatter; a profile of
/// `GET /api/v1/strategies` once showed 27% of the server's CPU in it.
///
/// Output is compact unless `indent` is set, with each object's keys in the order written.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    var needsComma = false
    /// Spaces per level when pretty-printing (0: compact).
    let indent: Int
    var depth = 0
    /// Whether the container just opened is still empty (pretty output writes `{}` and `[]` whole).
    var containerIsEmpty = false
    /// A key was just written: its value follows on the same line, without a comma.
    var afterKey = false

    public init(capacity: Int = 1024, indent: Int = 0) {
        bytes.reserveCapacity(capacity)
        self.indent = indent
    }

    /// The comma before a value or key (and, pretty, the line break and indentation).
    @inline(__always) mutating func separate() {
        if afterKey {
            afterKey = false
            needsComma = true
            return
        }
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        if indent > 0, depth > 0 {
            newline()
            containerIsEmpty = false
        }
    }

    mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * indent))
    }

    /// Opens an object; members follow as `key(_:)` then a value, and `endObject()` closes it.
    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    /// Opens an array; elements follow, and `endArray()` closes it.
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
        depth += 1
        containerIsEmpty = true
    }

    mutating func close(_ bracket: UInt8) {
        depth -= 1
        if indent > 0, !containerIsEmpty { newline() }
        bytes.append(bracket)
        needsComma = true
        containerIsEmpty = false
    }

    /// A value that is already JSON text from a trusted writer (PostgreSQL's `jsonb` output, a
    /// cached response), copied as it is.
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
    }

    /// A member's key; the next value written is its value.
    public mutating func key(_ key: String) {
        separate()
        writeString(key)
        keyWritten()
    }

    /// A member's key given in Swift's camelCase, written in snake_case (`ownerID` → `owner_id`,
    /// `avatarURL` → `avatar_url`, as Foundation's `.convertToSnakeCase` spells them), byte by
    /// byte without building a string.
    public mutating func snakeCaseKey(_ key: String) {
        separate()
        var key = key
        key.withUTF8 { utf8 in
            // `"key": ` written in a buffer on the stack (room for every byte escaped as
            // \u00XX), then appended at once.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: utf8.count * 6 + 4) { out in
                var count = 0
                func put(_ byte: UInt8) { out[count] = byte; count += 1 }
                put(UInt8(ascii: "\""))
                for index in utf8.indices {
                    let byte = utf8[index]
                    switch byte {
                    case 65...90:
                        if index > 0 {
                            let previous = utf8[index - 1]
                            let endsAcronym = Self.isUpper(previous) && index + 1 < utf8.count && Self.isLower(utf8[index + 1])
                            if Self.isLower(previous) || Self.isDigit(previous) || endsAcronym { put(UInt8(ascii: "_")) }
                        }
                        put(byte + 32)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(92); put(byte)
                    case 0x0A: put(92); put(UInt8(ascii: "n"))
                    case 0x0D: put(92); put(UInt8(ascii: "r"))
                    case 0x09: put(92); put(UInt8(ascii: "t"))
                    case 0..<0x20: for b in [92, UInt8(ascii: "u"), 48, 48, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 15)]] { put(b) }
                    default: put(byte)
                    }
                }
                put(UInt8(ascii: "\""))
                put(UInt8(ascii: ":"))
                if indent > 0 { put(UInt8(ascii: " ")) }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: out[..<count]))
            }
        }
        afterKey = true
    }

    @inline(__always) mutating func keyWritten() {
        bytes.append(UInt8(ascii: ":"))
        if indent > 0 { bytes.append(UInt8(ascii: " ")) }
        afterKey = true
    }

    static func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 97 && byte <= 122 }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func int(_ value: Int) { separate(); bytes.append(contentsOf: String(value).utf8) }
    public mutating func int(_ value: Int64) { separate(); bytes.append(contentsOf: String(value).utf8) }
    public mutating func unsigned(_ value: UInt64) { separate(); bytes.append(contentsOf: String(value).utf8) }

    /// A finite number in the shortest form that reads back exactly; NaN and infinities as null.
    public mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        if value == value.rounded(), abs(value) < 1e15 { bytes.append(contentsOf: String(Int64(value)).utf8) } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func string(_ value: String) { separate(); writeString(value) }
    /// A Float in its own shortest form (`0.1`, not the Double `0.10000000149011612`).
    public mutating func float(_ value: Float) {
        guard value.isFinite else { return null() }
        separate()
        bytes.append(contentsOf: value.description.utf8)
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC, as the JSONEncoder path writes dates.
    public mutating func date(_ value: Date) {
        separate()
        var seconds = time_t(value.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) { bytes.append(UInt8(48 + n / 10)); bytes.append(UInt8(48 + n % 10)) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(parts.tm_year + 1900).utf8)
        bytes.append(UInt8(ascii: "-")); two(parts.tm_mon + 1)
        bytes.append(UInt8(ascii: "-")); two(parts.tm_mday)
        bytes.append(UInt8(ascii: "T")); two(parts.tm_hour)
        bytes.append(UInt8(ascii: ":")); two(parts.tm_min)
        bytes.append(UInt8(ascii: ":")); two(parts.tm_sec)
        bytes.append(contentsOf: "Z\"".utf8)
    }

    // Optionals as null.
    public mutating func string(_ value: String?) { if let value { string(value) } else { null() } }
    public mutating func int(_ value: Int?) { if let value { int(value) } else { null() } }
    public mutating func double(_ value: Double?) { if let value { double(value) } else { null() } }
    public mutating func date(_ value: Date?) { if let value { date(value) } else { null() } }

    static let hex = Array("0123456789abcdef".utf8)

    mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Copy the runs that need no escape whole, escaping only what JSON requires.
            var start = 0
            for index in utf8.indices where utf8[index] < 0x20 || utf8[index] == UInt8(ascii: "\"") || utf8[index] == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscaped(utf8[index])
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// One byte of a string's UTF-8, escaped where JSON requires it (multi-byte characters pass
    /// through whole, byte by byte).
    @inline(__always) mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
        case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
        case 0..<0x20:
            bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 15)]])
        default: bytes.append(byte)
        }
    }
}

extension JSONValue {
    /// Writes the value, each object's keys sorted (so equal values give equal text).
    func writeJSON(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .int(let value): writer.int(value)
        case .double(let value): writer.double(value)
        case .string(let value): writer.string(value)
        case .array(let values):
            writer.beginArray()
            for value in values { value.writeJSON(to: &writer) }
            writer.endArray()
        case .object(let members):
            writer.beginObject()
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                writer.key(key)
                value.writeJSON(to: &writer)
            }
            writer.endObject()
        }
    }
}
