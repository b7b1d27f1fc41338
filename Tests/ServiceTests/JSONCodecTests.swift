import Foundation
@testable import Service
import Testing

/// The hand-written JSON parser and writer against Foundation's JSONSerialization (the independent
/// reference): the same values both ways, strictness on malformed input, escapes and Unicode.
@Suite struct JSONCodecTests {
    /// A random JSON value (seeded), nested up to `depth`.
    static func random(_ rng: inout some RandomNumberGenerator, depth: Int) -> Any {
        switch Int.random(in: 0...(depth > 0 ? 7 : 5), using: &rng) {
        case 0: return NSNull()
        case 1: return Bool.random(using: &rng)
        case 2: return Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng)
        case 3: return Double.random(in: -1e6...1e6, using: &rng) * pow(10, Double(Int.random(in: -8...8, using: &rng)))
        case 4, 5:
            let alphabet = Array("ab\"\\/\n\t\u{01}é€😀 z")
            return String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        case 6: return (0..<Int.random(in: 0...4, using: &rng)).map { _ in random(&rng, depth: depth - 1) }
        default:
            var object: [String: Any] = [:]
            for n in 0..<Int.random(in: 0...4, using: &rng) { object["k\(n)\(["", "é", "\"", "\n"].randomElement(using: &rng)!)"] = random(&rng, depth: depth - 1) }
            return object
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (is NSNull, is NSNull): return true
        case let (x as [Any], y as [Any]): return x.count == y.count && zip(x, y).allSatisfy(equal)
        case let (x as [String: Any], y as [String: Any]): return Set(x.keys) == Set(y.keys) && x.allSatisfy { equal($0.value, y[$0.key]!) }
        case let (x as String, y as String): return x == y
        case let (x as NSNumber, y as NSNumber): return x.doubleValue == y.doubleValue
        default: return false
        }
    }

    @Test func parserAndWriterAgreeWithFoundationOnRandomValues() throws {
        var seeded = SplitMix(seed: 20261130)
        for _ in 0..<500 {
            let original = ["v": Self.random(&seeded, depth: 4)]
            let reference = try JSONSerialization.data(withJSONObject: original)
            // Foundation's text → our parser → our writer → Foundation reads the same value back.
            let parsed = try JSONValue.parse(bytes: Array(reference))
            let written = parsed.jsonText
            let back = try JSONSerialization.jsonObject(with: Data(written.utf8))
            let expected = try JSONSerialization.jsonObject(with: reference)
            #expect(Self.equal(back, expected), "\(written)")
            #expect(try JSONValue.parse(written) == parsed, "our output parses back to the same value")
        }
    }

    @Test func malformedInputIsRefused() throws {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "tru", "nul", "\"\\x\"", "\"a", "{\"a\" 1}", "[1 2]",
                    "\"\u{01}\"", "1 2", "NaN", "Infinity", "1e999", "\"\\ud800\"", "// c\n1", String(repeating: "[", count: 300) + String(repeating: "]", count: 300)] {
            #expect(throws: (any Error).self, "\(bad.prefix(20))") { try JSONValue.parse(bad) }
        }
        #expect(try JSONValue.parse(" {\"a\" : [1, 2.5e1, -0, true, null, \"\\u00e9\\ud83d\\ude00\\n\"]} ") ==
                .object(["a": .array([.int(1), .double(25), .int(0), .bool(true), .null, .string("é😀\n")])]))
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808), "beyond Int64: a double")
    }

    @Test func theWriterEscapesAndFormats() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("s"); writer.string("q\"b\\n\n\t\u{1F}é")
        writer.key("d"); writer.double(0.1)
        writer.key("w"); writer.double(3.0)
        writer.key("n"); writer.double(Double.nan)
        writer.key("t"); writer.date(Date(timeIntervalSince1970: 1_796_034_633.9))
        writer.key("o"); writer.int(nil as Int?)
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) ==
                #"{"s":"q\"b\\n\n\t\u001fé","d":0.1,"w":3,"n":null,"t":"2026-11-30T10:30:33Z","o":null}"#)
    }
}

/// SplitMix64: a tiny seeded generator for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
