import NIOCore

/// Reads RESP2 values from bytes as they arrive: `next(from:)` returns a whole value, or nil
/// (consuming nothing) while the value is still incomplete. Anything that is not RESP — an
/// unknown type byte, a length that is not a number, a line without CRLF within
/// `maximumLineLength`, a bulk string over `maximumBulkLength`, nesting over `maximumDepth` — is a
/// `RedisError.protocolViolation`, never a crash, so a confused or hostile peer only loses its
/// connection.
public struct RESPParser: Sendable {
    public var maximumLineLength = 64 * 1024
    public var maximumBulkLength = 512 * 1024 * 1024
    public var maximumArrayLength = 16 * 1024 * 1024
    public var maximumDepth = 64

    public init() {}

    /// The next complete value in `buffer`, advancing its reader index past it.
    public func next(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var cursor = buffer
        guard let value = try parse(&cursor, depth: 0) else { return nil }
        buffer = cursor
        return value
    }

    private func parse(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth <= maximumDepth else { throw RedisError.protocolViolation("arrays nested deeper than \(maximumDepth)") }
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let line = try readLine(&buffer, skipping: 1) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(try number(line, what: "integer"))
        case UInt8(ascii: "$"):
            let length = try number(line, what: "bulk string length")
            if length == -1 { return .bulkString(nil) }
            guard length >= 0, length <= maximumBulkLength else { throw RedisError.protocolViolation("bulk string length \(length)") }
            guard buffer.readableBytes >= Int(length) + 2 else { return nil }
            let bytes = buffer.readBytes(length: Int(length))!
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RedisError.protocolViolation("bulk string not ended by CRLF") }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            let count = try number(line, what: "array length")
            if count == -1 { return .array(nil) }
            guard count >= 0, count <= maximumArrayLength else { throw RedisError.protocolViolation("array length \(count)") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(Int(count), 1024))
            for _ in 0..<count {
                guard let element = try parse(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RedisError.protocolViolation("unknown type byte 0x\(String(type, radix: 16))")
        }
    }

    /// The bytes up to CRLF after `skipping` bytes, consuming the line and its CRLF.
    private func readLine(_ buffer: inout ByteBuffer, skipping: Int) throws -> [UInt8]? {
        let view = buffer.readableBytesView
        let start = view.startIndex + skipping
        guard start <= view.endIndex else { return nil }
        guard let carriage = view[start...].firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > maximumLineLength { throw RedisError.protocolViolation("line longer than \(maximumLineLength) bytes") }
            return nil
        }
        guard carriage - start <= maximumLineLength else { throw RedisError.protocolViolation("line longer than \(maximumLineLength) bytes") }
        guard carriage + 1 < view.endIndex else { return nil }
        guard view[carriage + 1] == UInt8(ascii: "\n") else { throw RedisError.protocolViolation("CR not followed by LF") }
        let line = Array(view[start..<carriage])
        buffer.moveReaderIndex(forwardBy: carriage + 2 - view.startIndex)
        return line
    }

    private func number(_ line: [UInt8], what: String) throws -> Int64 {
        guard let value = Int64(String(decoding: line, as: UTF8.self)) else {
            throw RedisError.protocolViolation("\(what) '\(String(decoding: line.prefix(40), as: UTF8.self))' is not a number")
        }
        return value
    }
}
