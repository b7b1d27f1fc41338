import Foundation

/// Writes JSON straight into bytes, for the response bodies the API serves most: Foundation's
/// JSONEncoder goes through Codable's boxed containers and spent more time per list request than
/// the database did (a profile of `GET /api/v1/strategies` showed 27% of the server's CPU in it).
/// Output is compact, with each object's keys in the order written — callers write them sorted,
/// as the JSONEncoder path does.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    var needsComma = false

    public init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    /// An object: `body` writes its members with `key(_:)` then a value.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// An array: `body` writes its elements.
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A value that is already JSON text from a trusted writer (PostgreSQL's `jsonb` output),
    /// copied as it is.
    public mutating func raw(_ json: String) {
        separate()
        bytes.append(contentsOf: json.utf8)
    }

    /// A member's key; the next value written is its value.
    public mutating func key(_ key: String) {
        separate()
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func int(_ value: Int) { separate(); bytes.append(contentsOf: String(value).utf8) }
    public mutating func int(_ value: Int64) { separate(); bytes.append(contentsOf: String(value).utf8) }

    /// A finite number in the shortest form that reads back exactly; NaN and infinities as null.
    public mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        if value == value.rounded(), abs(value) < 1e15 { bytes.append(contentsOf: String(Int64(value)).utf8) } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func string(_ value: String) { separate(); writeString(value) }

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

    /// A value that writes itself.
    public mutating func value(_ value: some JSONWritable) { value.writeJSON(to: &self) }

    static let hex = Array("0123456789abcdef".utf8)

    mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
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
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A type the API writes with `JSONWriter` instead of JSONEncoder (the hot response types).
public protocol JSONWritable: Sendable {
    func writeJSON(to writer: inout JSONWriter)
}

extension JSONValue: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .int(let value): writer.int(value)
        case .double(let value): writer.double(value)
        case .string(let value): writer.string(value)
        case .array(let values): writer.array { w in for value in values { value.writeJSON(to: &w) } }
        case .object(let members):
            writer.object { w in
                for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                    w.key(key)
                    value.writeJSON(to: &w)
                }
            }
        }
    }
}

extension Page: JSONWritable where Item: JSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("items"); w.array { a in for item in items { item.writeJSON(to: &a) } }
            w.key("page"); w.int(page)
            w.key("pages"); w.int(pages)
            w.key("size"); w.int(size)
            w.key("total"); w.int(total)
        }
    }
}
