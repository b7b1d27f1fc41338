/// `POST /api/v1/strategies`' body (the expressions and dataset reference are checked by the
/// route, which needs the database).
struct CreateStrategyRequest: RequestFields {
    static let strategyType = BodyField("strategy_type", .choice(StrategyLifecycle.types), required: true)
    static let fields = [StrategyFields.name, StrategyFields.description, strategyType, StrategyFields.config, StrategyFields.parameters,
                         StrategyFields.tags, StrategyFields.category]

    var name: String
    var description: String?
    var strategyType: String
    var config: JSONValue
    var parameters: JSONValue
    var tags: [String]
    var category: String?

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames, hints: StrategyFields.managed)
        let name = body.text(StrategyFields.name), type = body.choice(Self.strategyType)
        description = body.text(StrategyFields.description)
        config = body.object(StrategyFields.config) ?? .object([:])
        parameters = body.object(StrategyFields.parameters) ?? .object([:])
        tags = body.strings(StrategyFields.tags) ?? []
        category = body.text(StrategyFields.category)
        try body.validate()
        guard let name, let type else { throw APIError.internalError }
        (self.name, strategyType) = (name, type)
    }
}
