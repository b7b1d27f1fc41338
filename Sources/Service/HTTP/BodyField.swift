/// One field of a JSON request body: its name and what it takes, with the limits the route
/// enforces. A request type reads each of its fields through one of these, and the API document
/// states the same field from it, so what is checked and what is documented are one thing.
public struct BodyField: Sendable {
    /// What the field holds.
    public enum Kind: Sendable {
        /// Text of at most `maxLength` Unicode scalars (counted as sent), trimmed unless `trim` is
        /// false; `rule`, when given, is a further rule the request type checks, stated in the
        /// document as a pattern and minimum length.
        case text(maxLength: Int, trim: Bool = true, rule: TextRule? = nil)
        /// A row id.
        case id
        case bool
        /// A JSON object, free-form here (its contents are checked by what reads it).
        case object
        /// An array of distinct non-blank strings.
        case strings(maxCount: Int, maxLength: Int)
        /// One of these words.
        case choice([String])
        /// A value the request type reads itself, stated by `schema`.
        case custom(JSONSchema)
    }

    /// A text rule beyond length, as the document states it.
    public struct TextRule: Sendable {
        public var minLength: Int?
        public var pattern: String?

        public init(minLength: Int? = nil, pattern: String? = nil) {
            self.minLength = minLength
            self.pattern = pattern
        }
    }

    public let name: String
    public let kind: Kind
    /// Absent (or null) is a 400.
    public let required: Bool
    /// Null is taken (as absent, or to clear the value); objects never take null.
    public let nullable: Bool
    public let description: String?

    public init(_ name: String, _ kind: Kind, required: Bool = false, nullable: Bool? = nil, description: String? = nil) {
        self.name = name
        self.kind = kind
        self.required = required
        if case .object = kind { self.nullable = false } else { self.nullable = nullable ?? !required }
        self.description = description
    }

    /// White space as Foundation trims it (Unicode's Zs, tab, and U+000A–U+000D, U+0085, U+2028,
    /// U+2029), spelled out for a regex character class: `\s` means something else in each regex
    /// dialect (Python's takes U+001C–U+001F too).
    public static let whiteSpace = "\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
    /// Text with a character that is not white space.
    public static let notBlank = "[^\(whiteSpace)]"

    /// The field's schema in the API document.
    public var schema: JSONSchema {
        var schema: JSONSchema
        switch kind {
        case .text(let maxLength, let trim, let rule):
            // A required trimmed field must hold more than white space.
            let pattern = rule?.pattern ?? (required && trim ? Self.notBlank : nil)
            schema = .string(minLength: rule?.minLength ?? (required ? 1 : nil), maxLength: maxLength, pattern: pattern)
        case .id:
            schema = .id
        case .bool:
            schema = .boolean
        case .object:
            schema = .freeObject
        case .strings(let maxCount, let maxLength):
            schema = .array(.string(minLength: 1, maxLength: maxLength, pattern: Self.notBlank), maxItems: maxCount)
        case .choice(let words):
            schema = .string(cases: words)
        case .custom(let custom):
            schema = custom
        }
        if nullable { schema = schema.nullable }
        return description.map(schema.described) ?? schema
    }
}

/// A request body type: `Decodable` from the request's JSON (through `APIRequestDecoder`, or any
/// decoder), its fields read together from the object so that every problem is reported at once.
public protocol RequestFields: Decodable {
    /// The fields the body takes: what is read, and what the document states.
    static var fields: [BodyField] { get }
    /// Whether an empty body stands for `{}` (every field optional).
    static var acceptsEmptyBody: Bool { get }
    /// Reads the fields, throwing a 400 that lists every problem.
    init(_ body: RequestBody) throws
}

extension RequestFields {
    public static var acceptsEmptyBody: Bool { false }

    public init(from decoder: any Decoder) throws {
        try self.init(try RequestBody(try decoder.singleValueContainer().decode(JSONValue.self)))
    }

    /// The body's schema: exactly these fields, the required ones required.
    public static var schema: JSONSchema {
        .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.schema) }), required: fields.filter(\.required).map(\.name))
    }

    /// The field names, for `RequestBody.allowOnly`.
    static var fieldNames: Set<String> { Set(fields.map(\.name)) }
}

extension RequestBody {
    /// A text field (nil when absent or null).
    public mutating func text(_ field: BodyField) -> String? {
        guard case .text(let maxLength, let trim, _) = field.kind else { preconditionFailure("\(field.name) is not text") }
        if !field.nullable, fields[field.name] == .null { fail(field.name, "must not be null"); return nil }
        return string(field.name, required: field.required, maxLength: maxLength, trim: trim)
    }

    /// An id field.
    public mutating func id(_ field: BodyField) -> Int? {
        id(field.name, required: field.required)
    }

    /// A boolean field.
    public mutating func bool(_ field: BodyField) -> Bool? {
        if field.required, fields[field.name] == nil || fields[field.name] == .null { fail(field.name, "is required"); return nil }
        return bool(field.name)
    }

    /// An object field.
    public mutating func object(_ field: BodyField) -> JSONValue? {
        if field.required, fields[field.name] == nil { fail(field.name, "is required"); return nil }
        return object(field.name)
    }

    /// A list of strings.
    public mutating func strings(_ field: BodyField) -> [String]? {
        guard case .strings(let maxCount, let maxLength) = field.kind else { preconditionFailure("\(field.name) is not a list of strings") }
        return strings(field.name, maxCount: maxCount, maxLength: maxLength)
    }

    /// One of the field's words, exactly as listed.
    public mutating func choice(_ field: BodyField) -> String? {
        guard case .choice(let words) = field.kind else { preconditionFailure("\(field.name) is not a choice") }
        switch fields[field.name] {
        case .none, .some(.null):
            if field.required || (!field.nullable && fields[field.name] == .null) { fail(field.name, "is required") }
            return nil
        case .some(.string(let word)) where words.contains(word):
            return word
        default:
            fail(field.name, "one of \(words.joined(separator: ", "))")
            return nil
        }
    }
}
