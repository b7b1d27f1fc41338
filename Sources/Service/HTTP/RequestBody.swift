import Foundation
import Hummingbird

/// A JSON object request body read field by field, so that every problem — not an object, a
/// missing or mistyped field, a field the endpoint does not take — becomes a 400 validation error
/// naming the field, all problems of one request reported together.
public struct RequestBody: Sendable {
    public private(set) var fields: [String: JSONValue]
    public private(set) var problems: [APIError.Detail] = []

    /// The largest body an API endpoint reads (uploads have their own limit).
    public static let maximumBytes = 1 << 20

    /// Reads `request`'s body as one JSON value (an empty body is an empty object when
    /// `allowEmpty`): malformed JSON, and text holding U+0000, are 400s naming where.
    public static func json(_ request: Request, allowEmpty: Bool = false) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: maximumBytes)
        if buffer.readableBytes == 0 {
            guard allowEmpty else { throw APIError.validation([.init(field: "body", message: "a JSON object is required")]) }
            return .object([:])
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes: Array(buffer.readableBytesView))
        } catch let failure as JSONParser.Failure {
            throw APIError.validation([.init(field: "body", message: failure.reason)])
        } catch {
            throw APIError.validation([.init(field: "body", message: "not valid JSON")])
        }
        // PostgreSQL's text cannot hold U+0000: refuse it here, naming each field, rather than
        // let the INSERT fail as a 500.
        let withNUL = value.pathsContainingNUL()
        guard withNUL.isEmpty else {
            throw APIError.validation(withNUL.map { .init(field: $0, message: TextRules.nulMessage) })
        }
        return value
    }

    /// A body that is a JSON object, read field by field.
    public init(_ value: JSONValue) throws {
        guard case .object(let fields) = value else {
            throw APIError.validation([.init(field: "body", message: "must be a JSON object")])
        }
        self.init(fields: fields)
    }

    public init(fields: [String: JSONValue]) {
        self.fields = fields
    }

    /// Records a problem with `field`.
    public mutating func fail(_ field: String, _ message: String) {
        problems.append(.init(field: field, message: message))
    }

    /// Rejects fields outside `allowed` (with a hint for the ones the endpoint manages itself).
    public mutating func allowOnly(_ allowed: Set<String>, hints: [String: String] = [:]) {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            fail(key, hints[key] ?? "unknown field; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// A string field (nil when absent or null), trimmed, at most `maxLength` characters.
    public mutating func string(_ field: String, required: Bool = false, maxLength: Int, trim: Bool = true) -> String? {
        switch fields[field] {
        case .none, .some(.null):
            if required { fail(field, "is required") }
            return nil
        case .some(.string(let raw)):
            // The limit counts what was sent (before trimming), in characters as PostgreSQL's varchar
            // and the API document count them: Unicode scalars, not grapheme clusters ("é" written
            // as e + U+0301 is one Swift Character but two varchar characters).
            if raw.unicodeScalars.count > maxLength { fail(field, "at most \(maxLength) characters"); return nil }
            let value = trim ? raw.trimmingCharacters(in: .whitespacesAndNewlines) : raw
            if required && value.isEmpty { fail(field, "must not be empty"); return nil }
            return value
        default:
            fail(field, "must be a string")
            return nil
        }
    }

    /// A boolean field (nil when absent).
    public mutating func bool(_ field: String) -> Bool? {
        switch fields[field] {
        case .none, .some(.null): return nil
        case .some(.bool(let value)): return value
        default: fail(field, "must be true or false"); return nil
        }
    }

    /// A row id field (a whole number in 1…Int32.max; nil when absent, a problem when `required`).
    public mutating func id(_ field: String, required: Bool) -> Int? {
        switch fields[field] {
        case .some(.int(let value)) where value > 0 && value <= Int64(Int32.max): return Int(value)
        case .none, .some(.null): if required { fail(field, "is required") }; return nil
        default: fail(field, "must be an id"); return nil
        }
    }

    /// A JSON object field (nil when absent).
    public mutating func object(_ field: String) -> JSONValue? {
        switch fields[field] {
        case .none: return nil
        case .some(.object(let value)): return .object(value)
        default: fail(field, "must be a JSON object"); return nil
        }
    }

    /// An array of strings (nil when absent), each non-empty and at most `maxLength` characters.
    public mutating func strings(_ field: String, maxCount: Int, maxLength: Int) -> [String]? {
        switch fields[field] {
        case .none, .some(.null): return nil
        case .some(.array(let items)):
            var values: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let raw) = item else { fail("\(field)[\(index)]", "must be a string"); continue }
                let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if value.isEmpty || value.unicodeScalars.count > maxLength { fail("\(field)[\(index)]", "1 to \(maxLength) characters"); continue }
                if !values.contains(value) { values.append(value) }
            }
            // Counted as sent, before duplicates are dropped (as the document's maxItems counts).
            if items.count > maxCount { fail(field, "at most \(maxCount) items") }
            return values
        default:
            fail(field, "must be an array of strings")
            return nil
        }
    }

    /// Throws the collected problems, if any.
    public func validate() throws {
        if !problems.isEmpty { throw APIError.validation(problems) }
    }
}
