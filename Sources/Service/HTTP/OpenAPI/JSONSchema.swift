/// A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), built in Swift beside the type it
/// describes, so that the API document is generated from the code rather than kept beside it.
/// Enumerations come from the Swift enums' cases and limits from the validators' own constants.
public struct JSONSchema: Sendable {
    /// The schema's keywords, as they are written into the document.
    public private(set) var keywords: [String: JSONValue]

    public init(_ keywords: [String: JSONValue] = [:]) {
        self.keywords = keywords
    }

    /// Any JSON value (free-form fields such as a strategy's `config`).
    public static let anyValue = JSONSchema()
    public static let boolean = JSONSchema(["type": "boolean"])

    /// A string, optionally bounded in length, matching `pattern`, of a `format`, or one of `cases`.
    public static func string(minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil, format: String? = nil,
                              cases: [String]? = nil) -> JSONSchema {
        var keywords: [String: JSONValue] = ["type": "string"]
        if let minLength { keywords["minLength"] = .int(Int64(minLength)) }
        if let maxLength { keywords["maxLength"] = .int(Int64(maxLength)) }
        if let pattern { keywords["pattern"] = .string(pattern) }
        if let format { keywords["format"] = .string(format) }
        if let cases { keywords["enum"] = .array(cases.map(JSONValue.string)) }
        return JSONSchema(keywords)
    }

    /// One of a Swift enum's raw values.
    public static func cases<E: CaseIterable & RawRepresentable>(of type: E.Type) -> JSONSchema where E.RawValue == String {
        string(cases: type.allCases.map(\.rawValue))
    }

    /// An ISO 8601 timestamp as the API writes it.
    public static let dateTime = string(format: "date-time")

    /// A whole number, optionally bounded.
    public static func integer(minimum: Int64? = nil, maximum: Int64? = nil) -> JSONSchema {
        var keywords: [String: JSONValue] = ["type": "integer"]
        if let minimum { keywords["minimum"] = .int(minimum) }
        if let maximum { keywords["maximum"] = .int(maximum) }
        return JSONSchema(keywords)
    }

    /// A row id: 1…2³¹−1, the range of the schema's `SERIAL` columns.
    public static let id = integer(minimum: 1, maximum: Int64(Int32.max))

    /// Any number, optionally bounded.
    public static func number(minimum: Double? = nil, maximum: Double? = nil) -> JSONSchema {
        var keywords: [String: JSONValue] = ["type": "number"]
        if let minimum { keywords["minimum"] = .double(minimum) }
        if let maximum { keywords["maximum"] = .double(maximum) }
        return JSONSchema(keywords)
    }

    /// An array of `items`.
    public static func array(_ items: JSONSchema, minItems: Int? = nil, maxItems: Int? = nil, uniqueItems: Bool = false) -> JSONSchema {
        var keywords: [String: JSONValue] = ["type": "array", "items": items.json]
        if let minItems { keywords["minItems"] = .int(Int64(minItems)) }
        if let maxItems { keywords["maxItems"] = .int(Int64(maxItems)) }
        if uniqueItems { keywords["uniqueItems"] = true }
        return JSONSchema(keywords)
    }

    /// An object with exactly `properties`; `required` nil means every property is (the API
    /// writes every key of a record, null or not).
    public static func object(_ properties: [String: JSONSchema], required: [String]? = nil, minProperties: Int? = nil) -> JSONSchema {
        var keywords: [String: JSONValue] = [
            "type": "object",
            "properties": .object(properties.mapValues(\.json)),
            "required": .array((required ?? properties.keys.sorted()).sorted().map(JSONValue.string)),
            "additionalProperties": false,
        ]
        if let minProperties { keywords["minProperties"] = .int(Int64(minProperties)) }
        return JSONSchema(keywords)
    }

    /// Any JSON object (free-form, such as `settings` or a job's `metrics`).
    public static let freeObject = JSONSchema(["type": "object"])

    /// An object whose every value is `values`.
    public static func map(_ values: JSONSchema) -> JSONSchema {
        JSONSchema(["type": "object", "additionalProperties": values.json])
    }

    /// A component schema by name (`#/components/schemas/<name>`).
    public static func ref(_ name: String) -> JSONSchema {
        JSONSchema(["$ref": .string("#/components/schemas/\(name)")])
    }

    /// One of `schemas`.
    public static func oneOf(_ schemas: [JSONSchema]) -> JSONSchema {
        JSONSchema(["oneOf": .array(schemas.map(\.json))])
    }

    /// This schema or null.
    public var nullable: JSONSchema {
        if case .string(let type)? = keywords["type"] {
            var copy = self
            copy.keywords["type"] = .array([.string(type), "null"])
            if case .array(let cases)? = keywords["enum"] { copy.keywords["enum"] = .array(cases + [.null]) }
            return copy
        }
        return JSONSchema(["anyOf": .array([json, ["type": "null"]])])
    }

    /// This schema with a description.
    public func described(_ text: String) -> JSONSchema {
        var copy = self
        copy.keywords["description"] = .string(text)
        return copy
    }

    /// This schema with a default value.
    public func defaulting(_ value: JSONValue) -> JSONSchema {
        var copy = self
        copy.keywords["default"] = value
        return copy
    }

    /// The schema as a JSON value.
    public var json: JSONValue { .object(keywords) }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}
