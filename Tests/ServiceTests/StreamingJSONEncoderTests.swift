import Foundation
@testable import Service
import Testing

/// The service's one response encoder against Foundation's JSONEncoder (the independent
/// reference, with `.convertToSnakeCase` and `.iso8601`): the same values for random nested
/// records, the same snake_case spellings, and the conventions where the two differ on purpose
/// (nil as null, dictionary keys kept, raw JSON copied).
@Suite struct StreamingJSONEncoderTests {
    struct Leaf: Codable, Equatable {
        var shortName: String
        var sharpeRatio: Double
        var isActive: Bool
        var ownerID: Int
    }

    struct Record: Codable, Equatable {
        var id: Int
        var displayName: String
        var createdAt: Date
        var totalReturn: Double
        var lotSize: Int64
        var ratio: Float
        var tags: [String]
        var leaves: [Leaf]
        var bestLeaf: Leaf
        var matrix: [[Int]]
        var status: StrategyStatus
        var maybeCount: Int?
        var maybeLeaf: Leaf?
    }

    static func randomString(_ rng: inout SplitMix) -> String {
        let alphabet = Array("ab\"\\/\n\t\u{01}é€😀 zQ")
        return String((0..<Int.random(in: 0...10, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func randomLeaf(_ rng: inout SplitMix) -> Leaf {
        Leaf(shortName: randomString(&rng), sharpeRatio: Double.random(in: -5...5, using: &rng) * pow(10, Double(Int.random(in: -6...6, using: &rng))),
             isActive: Bool.random(using: &rng), ownerID: Int.random(in: -1_000_000...1_000_000, using: &rng))
    }

    static func randomRecord(_ rng: inout SplitMix) -> Record {
        Record(id: Int.random(in: 0...Int.max, using: &rng), displayName: randomString(&rng),
               createdAt: Date(timeIntervalSince1970: Double(Int.random(in: 0...4_000_000_000, using: &rng))),
               totalReturn: [Double.random(in: -1e9...1e9, using: &rng), 3.0, -0.0, 1e-300, 123456789012345680][Int.random(in: 0...4, using: &rng)],
               lotSize: Int64.random(in: Int64.min...Int64.max, using: &rng), ratio: Float.random(in: -10...10, using: &rng),
               tags: (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomString(&rng) },
               leaves: (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomLeaf(&rng) }, bestLeaf: randomLeaf(&rng),
               matrix: (0..<Int.random(in: 0...3, using: &rng)).map { _ in (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: -9...9, using: &rng) } },
               status: StrategyStatus.allCases.randomElement(using: &rng)!,
               maybeCount: Bool.random(using: &rng) ? Int.random(in: 0...9, using: &rng) : nil,
               maybeLeaf: Bool.random(using: &rng) ? randomLeaf(&rng) : nil)
    }

    static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// Foundation leaves nil optionals out; ours writes them as null. Drops the nulls of `value`
    /// so the two compare as values.
    static func withoutNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.filter { $0.value != .null }.mapValues(withoutNulls))
        case .array(let items): .array(items.map(withoutNulls))
        default: value
        }
    }

    @Test func randomRecordsEncodeAsFoundationEncodesThem() throws {
        var rng = SplitMix(seed: 20261203)
        for _ in 0..<300 {
            let record = Self.randomRecord(&rng)
            let text = try StreamingJSONEncoder().text(record)
            let ours = try JSONValue.parse(text)
            let reference = try JSONValue.parse(bytes: Array(try Self.foundation.encode(record)))
            // Floats: Foundation writes a Float through Double's digits; compare as Floats.
            var oursObject = Self.withoutNulls(ours).objectValue!, referenceObject = reference.objectValue!
            #expect(Float(oursObject.removeValue(forKey: "ratio")!.numberValue!) == Float(referenceObject.removeValue(forKey: "ratio")!.numberValue!))
            #expect(JSONValue.object(oursObject) == JSONValue.object(referenceObject), "\(text)")
            // Every key is present, null or not.
            #expect(ours.objectValue?["maybe_count"] != nil && ours.objectValue?["maybe_leaf"] != nil)
        }
    }

    @Test func keysAreSpelledAsFoundationSpellsThem() throws {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        struct Named: Encodable {
            let names: [String]
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                for name in names { try container.encode(1, forKey: Key(stringValue: name)) }
            }
        }
        // Swift property names (lowerCamelCase). Foundation splits a name that starts with an
        // acronym oddly ("URLString" → "u_rl_string"); ours reads it as "url_string".
        let names = ["id", "ownerID", "avatarURL", "myHTTPServer", "p99Latency", "isSuperuser", "celeryTaskID", "a",
                     "already_snake", "x2Y", "parentStrategyID", "shardsTotal", "myURLProperty"]
        for name in names {
            let ours = try JSONValue.parse(bytes: try StreamingJSONEncoder().encode(Named(names: [name]))).objectValue!.keys.first!
            let reference = try JSONValue.parse(bytes: Array(try Self.foundation.encode(Named(names: [name])))).objectValue!.keys.first!
            #expect(ours == reference, "\(name)")
        }
        #expect(try StreamingJSONEncoder().text(Named(names: ["URLString", "ABC"])) == #"{"url_string":1,"abc":1}"#)
        // A key that needs escaping is escaped, converted or not.
        #expect(try StreamingJSONEncoder().text(Named(names: ["say\"Hi\"\n", "q\"\u{1}"])) == #"{"say\"hi\"\n":1,"q\"\u0001":1}"#)
    }

    @Test func dictionaryKeysAreDataAndRawJSONIsCopied() throws {
        struct Holder: Encodable {
            var perSymbol: [String: Int]
            var settings: JSONValue
            var config: RawJSON
        }
        let holder = Holder(perSymbol: ["BTCUsdt": 2, "ethUSD": 1], settings: .object(["fastPeriod": .int(3), "b": .array([.int(1), .double(2.5), .null])]),
                            config: RawJSON(#"{"entry":"close > sma(close, {n})","n":5}"#))
        #expect(try StreamingJSONEncoder().text(holder) ==
                #"{"per_symbol":{"BTCUsdt":2,"ethUSD":1},"settings":{"b":[1,2.5,null],"fastPeriod":3},"config":{"entry":"close > sma(close, {n})","n":5}}"#)
        // Another encoder gets the raw text as the value it holds.
        let viaFoundation = try JSONValue.parse(bytes: Array(try JSONEncoder().encode(["config": holder.config])))
        #expect(viaFoundation == .object(["config": .object(["entry": .string("close > sma(close, {n})"), "n": .int(5)])]))
    }

    @Test func nestedContainersCloseInOrder() throws {
        struct Nested: Encodable {
            enum Keys: CodingKey { case first, range, list, last }
            enum RangeKeys: CodingKey { case start, end }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(1, forKey: .first)
                var range = c.nestedContainer(keyedBy: RangeKeys.self, forKey: .range)
                try range.encodeNil(forKey: .start)
                try range.encode("z", forKey: .end)
                var list = c.nestedUnkeyedContainer(forKey: .list)
                var inner = list.nestedUnkeyedContainer()
                try inner.encode(true)
                try list.encode(2)
                // A second request for the top container continues the same object.
                var again = encoder.container(keyedBy: Keys.self)
                try again.encode([3.5] as [Double], forKey: .last)
            }
        }
        struct Empty: Encodable { func encode(to encoder: any Encoder) throws {} }
        #expect(try StreamingJSONEncoder().text([Nested(), Nested()]) ==
                #"[{"first":1,"range":{"start":null,"end":"z"},"list":[[true],2],"last":[3.5]},{"first":1,"range":{"start":null,"end":"z"},"list":[[true],2],"last":[3.5]}]"#)
        #expect(try StreamingJSONEncoder().text(Empty()) == "{}")
        #expect(try StreamingJSONEncoder().text([Int?.none, 4]) == "[null,4]")
    }

    @Test func prettyOutputReadsBackAsTheSameValue() throws {
        var rng = SplitMix(seed: 7)
        let records = (0..<5).map { _ in Self.randomRecord(&rng) }
        let compact = try StreamingJSONEncoder().encode(records)
        let pretty = try StreamingJSONEncoder(indent: 2).encode(records)
        #expect(try JSONValue.parse(bytes: pretty) == (try JSONValue.parse(bytes: compact)))
        let text = String(decoding: pretty, as: UTF8.self)
        #expect(text.hasPrefix("[\n  {\n    \"id\": "))
        #expect(try StreamingJSONEncoder(indent: 2).text(["a": [Int](), "b": [1]]) == "{\n  \"a\": [],\n  \"b\": [\n    1\n  ]\n}")
        // Foundation reads it too.
        #expect((try? JSONSerialization.jsonObject(with: Data(pretty))) != nil)
    }
}
