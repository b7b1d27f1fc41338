import Foundation
@testable import Service
import Testing

/// The decoder over parsed JSON against Foundation's JSONDecoder (the independent reference):
/// random records read back equal through both, and bad input names the field it is about.
@Suite struct JSONValueDecoderTests {
    typealias Record = StreamingJSONEncoderTests.Record

    @Test func randomRecordsDecodeAsFoundationDecodesThem() throws {
        var rng = SplitMix(seed: 41)
        for _ in 0..<300 {
            let record = StreamingJSONEncoderTests.randomRecord(&rng)
            let text = try JSONEncoder().encode(record)
            let ours = try JSONValueDecoder().decode(Record.self, from: try JSONValue.parse(bytes: Array(text)))
            let reference = try JSONDecoder().decode(Record.self, from: text)
            #expect(ours == reference)
            #expect(ours == record)
        }
    }

    /// The record as JSON with `change` applied to its object.
    static func mutated(_ change: (inout [String: JSONValue]) -> Void) throws -> JSONValue {
        var rng = SplitMix(seed: 5)
        var record = StreamingJSONEncoderTests.randomRecord(&rng)
        record.leaves = [StreamingJSONEncoderTests.randomLeaf(&rng), StreamingJSONEncoderTests.randomLeaf(&rng)]
        var object = try JSONValue.parse(bytes: Array(try JSONEncoder().encode(record))).objectValue!
        change(&object)
        return .object(object)
    }

    static func failure(_ value: JSONValue) -> DecodingError? {
        do {
            _ = try JSONValueDecoder().decode(Record.self, from: value)
            return nil
        } catch {
            return error as? DecodingError
        }
    }

    @Test func badInputNamesTheField() throws {
        let wrongType = Self.failure(try Self.mutated { object in
            var leaves = object["leaves"]!
            if case .array(var items) = leaves, case .object(var leaf) = items[1] {
                leaf["ownerID"] = .string("seven")
                items[1] = .object(leaf)
                leaves = .array(items)
            }
            object["leaves"] = leaves
        })
        #expect(wrongType?.fieldPath == "leaves[1].ownerID" && wrongType?.reason == "expected an integer, found a string")

        let missing = Self.failure(try Self.mutated { $0["displayName"] = nil })
        #expect(missing?.fieldPath == "displayName" && missing?.reason == "is required")

        let null = Self.failure(try Self.mutated { $0["bestLeaf"] = .null })
        #expect(null?.fieldPath == "bestLeaf" && null?.reason == "must not be null")

        let fraction = Self.failure(try Self.mutated { $0["id"] = .double(1.5) })
        #expect(fraction?.fieldPath == "id")

        let badEnum = Self.failure(try Self.mutated { $0["status"] = .string("sleeping") })
        #expect(badEnum?.fieldPath == "status")

        let notObject = Self.failure(.array([]))
        #expect(notObject?.fieldPath == "body" && notObject?.reason == "expected an object, found an array")

        // Optionals: absent and null are both nil.
        let absent = try JSONValueDecoder().decode(Record.self, from: try Self.mutated { $0["maybeLeaf"] = nil; $0["maybeCount"] = .null })
        #expect(absent.maybeLeaf == nil && absent.maybeCount == nil)
    }
}
