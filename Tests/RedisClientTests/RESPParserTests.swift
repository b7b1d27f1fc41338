import NIOCore
import Testing
@testable import RedisClient

/// The parser against an encoder written here from the protocol's description (not the client's
/// own code), whole and fed in pieces, and against garbage.
@Suite struct RESPParserTests {
    /// RESP2's encoding of `value`, written independently of the parser.
    static func encode(_ value: RESPValue) -> [UInt8] {
        switch value {
        case .simpleString(let text): Array("+\(text)\r\n".utf8)
        case .error(let text): Array("-\(text)\r\n".utf8)
        case .integer(let number): Array(":\(number)\r\n".utf8)
        case .bulkString(nil): Array("$-1\r\n".utf8)
        case .bulkString(let bytes?): Array("$\(bytes.count)\r\n".utf8) + bytes + [13, 10]
        case .array(nil): Array("*-1\r\n".utf8)
        case .array(let elements?): Array("*\(elements.count)\r\n".utf8) + elements.flatMap(encode)
        }
    }

    static func randomValue(depth: Int, using generator: inout some RandomNumberGenerator) -> RESPValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
        case 0: return .simpleString(String((0..<Int.random(in: 0...20, using: &generator)).map { _ in "abcXYZ 09-_:".randomElement(using: &generator)! }))
        case 1: return .error("ERR " + String(repeating: "e", count: Int.random(in: 0...10, using: &generator)))
        case 2: return .integer(Int64.random(in: Int64.min...Int64.max, using: &generator))
        case 3: return .bulkString((0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case 4: return Bool.random(using: &generator) ? .bulkString(nil) : .array(nil)
        default: return .array((0..<Int.random(in: 0...6, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        }
    }

    @Test func everyKindOfValueParsesBack() throws {
        var generator = SplitMix(seed: 7)
        for _ in 0..<500 {
            let value = Self.randomValue(depth: 0, using: &generator)
            var buffer = ByteBuffer(bytes: Self.encode(value) + Array("+next\r\n".utf8))
            let parsed = try RESPParser().next(from: &buffer)
            #expect(parsed == value)
            #expect(try RESPParser().next(from: &buffer) == .simpleString("next"))
            #expect(buffer.readableBytes == 0)
        }
    }

    /// A reply split anywhere is incomplete (and consumes nothing) until its last byte arrives.
    @Test func aValueCutAnywhereWaitsForTheRest() throws {
        var generator = SplitMix(seed: 11)
        for _ in 0..<60 {
            let value = RESPValue.array([Self.randomValue(depth: 1, using: &generator), .bulkString(Array("a\r\nb".utf8)), .integer(-5)])
            let bytes = Self.encode(value)
            for cut in 0..<bytes.count {
                var partial = ByteBuffer(bytes: bytes[..<cut])
                #expect(try RESPParser().next(from: &partial) == nil)
                #expect(partial.readableBytes == cut)
            }
        }
    }

    @Test func garbageIsAProtocolViolationNamingWhatWasWrong() {
        let cases: [(String, String)] = [("!oops\r\n", "unknown type byte"), (":12a\r\n", "not a number"), ("$abc\r\n", "not a number"),
                                         ("$3\r\nabcXY", "not ended by CRLF"), ("*-7\r\n", "array length"), ("+ok\rX", "CR not followed by LF"),
                                         ("$-2\r\n", "bulk string length")]
        for (input, expected) in cases {
            var buffer = ByteBuffer(string: input)
            #expect {
                _ = try RESPParser().next(from: &buffer)
            } throws: { error in
                guard case RedisError.protocolViolation(let detail) = error else { return false }
                return detail.contains(expected)
            }
        }
    }

    @Test func limitsHoldAgainstHostileLengthsAndNesting() {
        var parser = RESPParser()
        parser.maximumLineLength = 100
        var long = ByteBuffer(string: "+" + String(repeating: "x", count: 200))
        #expect(throws: RedisError.self) { _ = try parser.next(from: &long) }
        var huge = ByteBuffer(string: "$99999999999\r\n")
        #expect(throws: RedisError.self) { _ = try RESPParser().next(from: &huge) }
        var deep = ByteBuffer(string: String(repeating: "*1\r\n", count: 100) + ":1\r\n")
        #expect(throws: RedisError.self) { _ = try RESPParser().next(from: &deep) }
    }

    /// Random bytes: a value, an error or "incomplete", never a crash.
    @Test func randomBytesNeverCrashTheParser() {
        var generator = SplitMix(seed: 3)
        let alphabet = Array("+-:$*\r\n0123456789-abc".utf8)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                Bool.random(using: &generator) ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            var buffer = ByteBuffer(bytes: bytes)
            _ = try? RESPParser().next(from: &buffer)
        }
    }

    @Test func commandsAreArraysOfBulkStrings() throws {
        var buffer = ByteBuffer()
        RESPCommand.encode(["SET", "k", "a\r\nb", "é"], into: &buffer)
        #expect(String(buffer: buffer) == "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$2\r\né\r\n")
    }
}

/// A seeded generator, so a failure can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
