import Foundation
@testable import Service

/// Checks a response against the API document the server serves: the operation for the method
/// and path, the status (or `default`), the media type, and the body against the schema — a
/// JSON Schema validator of its own (the keywords the document uses), written for the tests
/// apart from the code that builds the document.
struct OpenAPIValidator: Sendable {
    let document: JSONValue
    /// Path templates split into segments, with their path item.
    let templates: [(segments: [String], item: [String: JSONValue])]

    static let shared: OpenAPIValidator = {
        let document = try! JSONValue.parse(bytes: Array(try! OpenAPIDocument.json()))
        return OpenAPIValidator(document: document)
    }()

    init(document: JSONValue) {
        self.document = document
        let paths = document.objectValue?["paths"]?.objectValue ?? [:]
        templates = paths.map { (String($0.key).split(separator: "/").map(String.init), $0.value.objectValue ?? [:]) }
    }

    /// The problems with a response; empty when it conforms.
    func problems(method: String, uri: String, status: Int, contentType: String?, body: [UInt8]) -> [String] {
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        let segments = path.split(separator: "/").map(String.init)
        // A literal segment beats a parameter (`/users/me` is not `/users/{id}`).
        let matches = templates.filter { template in
            template.segments.count == segments.count && zip(template.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.sorted { $0.segments.filter { $0.hasPrefix("{") }.count < $1.segments.filter { $0.hasPrefix("{") }.count }
        // CORS preflights are answered by the CORS middleware, not by an operation.
        if method == "OPTIONS" { return [] }
        guard let item = matches.first?.item else {
            // Unrouted paths (and the routes a test adds for itself) fail in the error envelope.
            return status >= 400 ? envelopeProblems(contentType: contentType, body: body, schema: .object(["$ref": "#/components/schemas/ErrorEnvelope"]))
                : ["\(method) \(path): no such path in the document, yet answered \(status)"]
        }
        guard let operation = item[method.lowercased()]?.objectValue else {
            // Hummingbird answers an unrouted method with 404 or 405.
            return status == 404 || status == 405 ? [] : ["\(method) \(path): no such operation in the document, yet answered \(status)"]
        }
        let responses = operation["responses"]?.objectValue ?? [:]
        guard let response = (responses[String(status)] ?? responses["default"])?.objectValue else {
            return ["\(method) \(path): status \(status) is not documented"]
        }
        if status < 300, responses[String(status)] == nil { return ["\(method) \(path): success status \(status) is not documented"] }
        guard let content = response["content"]?.objectValue else {
            return body.isEmpty ? [] : ["\(method) \(path) \(status): documented without a body, yet sent \(body.count) bytes"]
        }
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let media = content[mediaType]?.objectValue else {
            return ["\(method) \(path) \(status): content type '\(contentType ?? "none")' is not one of \(content.keys.sorted())"]
        }
        guard mediaType == "application/json", let schema = media["schema"] else { return [] }
        return envelopeProblems(contentType: contentType, body: body, schema: schema).map { "\(method) \(path) \(status): \($0)" }
    }

    func envelopeProblems(contentType: String?, body: [UInt8], schema: JSONValue) -> [String] {
        guard let value = try? JSONValue.parse(bytes: body) else { return ["the body is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))"] }
        var problems: [String] = []
        validate(value, against: schema, at: "$", into: &problems)
        return problems
    }

    /// Validates `value` against `schema`, appending what is wrong at `path`.
    func validate(_ value: JSONValue, against schema: JSONValue, at path: String, into problems: inout [String]) {
        guard let keywords = schema.objectValue else { return }
        if case .string(let reference)? = keywords["$ref"] {
            guard let target = resolve(reference) else { problems.append("\(path): unresolvable \(reference)"); return }
            return validate(value, against: target, at: path, into: &problems)
        }
        if case .array(let options)? = keywords["anyOf"] {
            if !options.contains(where: { conforms(value, $0, at: path) }) { problems.append("\(path): matches none of anyOf (\(brief(value)))") }
        }
        if case .array(let options)? = keywords["oneOf"] {
            let count = options.filter { conforms(value, $0, at: path) }.count
            if count != 1 { problems.append("\(path): matches \(count) of oneOf (\(brief(value)))") }
        }
        if let expected = keywords["const"], expected != value { problems.append("\(path): \(brief(value)) is not \(brief(expected))") }
        if case .array(let cases)? = keywords["enum"], !cases.contains(value) { problems.append("\(path): \(brief(value)) is not one of \(cases.map(brief))") }
        if let type = keywords["type"] {
            let allowed: [String] = switch type { case .string(let one): [one]; case .array(let many): many.compactMap(\.stringValue); default: [] }
            guard allowed.contains(where: { Self.has(value, type: $0) }) else {
                problems.append("\(path): \(brief(value)) is not of type \(allowed.joined(separator: " or "))")
                return
            }
        }
        switch value {
        case .string(let text):
            let length = text.unicodeScalars.count
            if case .int(let minimum)? = keywords["minLength"], length < minimum { problems.append("\(path): shorter than \(minimum)") }
            if case .int(let maximum)? = keywords["maxLength"], length > maximum { problems.append("\(path): longer than \(maximum)") }
            if case .string(let pattern)? = keywords["pattern"] {
                let regex = try? NSRegularExpression(pattern: pattern)
                if regex?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { problems.append("\(path): '\(text.prefix(80))' does not match \(pattern)") }
            }
            if keywords["format"] == "date-time", Self.dateTime.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(path): '\(text)' is not an RFC 3339 date-time")
            }
        case .int, .double:
            let number = value.numberValue!
            if let minimum = keywords["minimum"]?.numberValue, number < minimum { problems.append("\(path): \(number) < minimum \(minimum)") }
            if let maximum = keywords["maximum"]?.numberValue, number > maximum { problems.append("\(path): \(number) > maximum \(maximum)") }
        case .array(let items):
            if case .int(let minimum)? = keywords["minItems"], items.count < minimum { problems.append("\(path): fewer than \(minimum) items") }
            if case .int(let maximum)? = keywords["maxItems"], items.count > maximum { problems.append("\(path): more than \(maximum) items") }
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() { validate(item, against: itemSchema, at: "\(path)[\(index)]", into: &problems) }
            }
        case .object(let members):
            let properties = keywords["properties"]?.objectValue ?? [:]
            if case .array(let required)? = keywords["required"] {
                for case .string(let name) in required where members[name] == nil { problems.append("\(path): missing required '\(name)'") }
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    validate(member, against: propertySchema, at: "\(path).\(name)", into: &problems)
                } else if keywords["additionalProperties"] == .bool(false) {
                    problems.append("\(path): '\(name)' is not in the schema")
                } else if let additional = keywords["additionalProperties"], case .object = additional {
                    validate(member, against: additional, at: "\(path).\(name)", into: &problems)
                }
            }
        default:
            break
        }
    }

    func conforms(_ value: JSONValue, _ schema: JSONValue, at path: String) -> Bool {
        var problems: [String] = []
        validate(value, against: schema, at: path, into: &problems)
        return problems.isEmpty
    }

    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node?.objectValue?[String(part)] }
        return node
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("integer", .int), ("number", .int), ("number", .double): true
        case ("integer", .double(let number)): number == number.rounded()
        default: false
        }
    }

    static let dateTime = try! NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#)

    func brief(_ value: JSONValue) -> String { String(value.jsonText.prefix(80)) }
}
