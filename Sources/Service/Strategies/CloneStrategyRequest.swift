/// `POST /api/v1/strategies/{id}/clone`'s body, which may be empty.
struct CloneStrategyRequest: RequestFields {
    static let name = BodyField("name", .text(maxLength: 100), description: "Default: \"<name> (copy)\"")
    static let fields = [name]
    static let acceptsEmptyBody = true

    /// The copy's name, when one was given.
    var name: String?

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames)
        name = body.text(Self.name).flatMap { $0.isEmpty ? nil : $0 }
        try body.validate()
    }
}
