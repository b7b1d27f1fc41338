/// One operation of the API as the OpenAPI document describes it: its parameters with their types,
/// its request body's schema, and each response's content. The routes and this description are
/// checked against each other by tests: every registered route is documented, and every response
/// the HTTP tests receive is validated against its operation's schema.
public struct APIOperation: Sendable {
    /// A path or query parameter.
    public struct Parameter: Sendable {
        public enum Location: String, Sendable { case path, query }
        public var name: String
        public var location: Location
        public var schema: JSONSchema
        public var description: String?

        public init(_ name: String, in location: Location = .query, _ schema: JSONSchema, _ description: String? = nil) {
            self.name = name
            self.location = location
            self.schema = schema
            self.description = description
        }
    }

    /// What a response carries.
    public enum Content: Sendable {
        /// The success envelope with `data` of this schema.
        case envelope(JSONSchema)
        /// The error envelope.
        case error
        /// A body of its own media type (a report, a model file, Prometheus text).
        case media([String: JSONSchema])
        /// No body.
        case empty
    }

    /// One documented status.
    public struct Response: Sendable {
        public var description: String
        public var content: Content
    }

    /// A request body: JSON of `schema`, or a multipart form.
    public enum Body: Sendable {
        case json(JSONSchema, required: Bool)
        case multipart(JSONSchema)
    }

    public var method: String
    public var path: String
    public var summary: String
    public var authenticated: Bool
    public var parameters: [Parameter]
    public var body: Body?
    public var responses: [Int: Response]

    public init(_ method: String, _ path: String, _ summary: String, authenticated: Bool = true, parameters: [Parameter] = [],
                body: Body? = nil, responses: [Int: Response]) {
        self.method = method
        self.path = path
        self.summary = summary
        self.authenticated = authenticated
        // Path parameters are the `{name}` parts; ids are row ids.
        let pathParameters = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { part -> Parameter in
            let name = String(part.dropFirst().dropLast())
            return name == "id" ? Parameter(name, in: .path, .id, "The row id") : Parameter(name, in: .path, .string(pattern: SemanticVersion.pattern), "MAJOR.MINOR.PATCH")
        }
        self.parameters = pathParameters + parameters
        self.body = body
        self.responses = responses
        if authenticated {
            self.responses[401] = self.responses[401] ?? .init(description: "Missing, invalid, expired or revoked access token", content: .error)
        }
    }

    /// The operation's id, a verb and a noun (`getStrategy`): the generated client's method name.
    public var operationID: String {
        guard let id = OpenAPIDocument.operationIDs["\(method) \(path)"] else { preconditionFailure("\(method) \(path) has no operation id") }
        return id
    }

    /// The operation object of the document.
    var json: JSONValue {
        var entry: [String: JSONValue] = ["summary": .string(summary), "operationId": .string(operationID)]
        var responses: [String: JSONValue] = [:]
        for (status, response) in self.responses {
            responses[String(status)] = Self.json(response)
        }
        // Any other failure (a refused request head, a throttled client, an unavailable database)
        // still answers with the error envelope.
        responses["default"] = Self.json(.init(description: "Any other error, in the error envelope", content: .error))
        entry["responses"] = .object(responses)
        if !parameters.isEmpty {
            entry["parameters"] = .array(parameters.map { parameter in
                var object: [String: JSONValue] = ["name": .string(parameter.name), "in": .string(parameter.location.rawValue),
                                                   "required": .bool(parameter.location == .path), "schema": parameter.schema.json]
                if let description = parameter.description { object["description"] = .string(description) }
                return .object(object)
            })
        }
        if authenticated { entry["security"] = .array([["bearerAuth": .array([])]]) }
        switch body {
        case .json(let schema, let required)?:
            entry["requestBody"] = ["required": .bool(required), "content": ["application/json": ["schema": schema.json]]]
        case .multipart(let schema)?:
            entry["requestBody"] = ["required": true, "content": ["multipart/form-data": ["schema": schema.json]]]
        case nil:
            break
        }
        return .object(entry)
    }

    static func json(_ response: Response) -> JSONValue {
        var object: [String: JSONValue] = ["description": .string(response.description)]
        switch response.content {
        case .envelope(let data):
            object["content"] = ["application/json": ["schema": APISchemas.successEnvelope(data).json]]
        case .error:
            object["content"] = ["application/json": ["schema": JSONSchema.ref("ErrorEnvelope").json]]
        case .media(let types):
            object["content"] = .object(types.mapValues { ["schema": $0.json] })
        case .empty:
            break
        }
        return .object(object)
    }
}

extension APIOperation.Response {
    /// A success envelope around `data`.
    static func ok(_ description: String, _ data: JSONSchema) -> Self { .init(description: description, content: .envelope(data)) }
    /// The error envelope.
    static func error(_ description: String) -> Self { .init(description: description, content: .error) }
}

extension APIOperation {
    /// The names of the query parameters.
    public var query: [String] { parameters.filter { $0.location == .query }.map(\.name) }

    /// The fields of the JSON body, when it takes one.
    public var bodyFields: [String] {
        guard case .json(let schema, _)? = body, case .object(let properties)? = schema.keywords["properties"] else { return [] }
        return properties.keys.sorted()
    }
}
