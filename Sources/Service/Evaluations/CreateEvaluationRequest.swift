/// `POST /api/v1/evaluations`' body; the config's options are read by `EvaluationOptions`, every
/// problem reported with the body's.
struct CreateEvaluationRequest: RequestFields {
    static let name = BodyField("name", .text(maxLength: 100), required: true)
    static let evaluationType = BodyField("evaluation_type", .choice(EvaluationPlan.Kind.allCases.map(\.rawValue)), required: true)
    static let strategyID = BodyField("strategy_id", .id, required: true)
    static let datasetID = BodyField("dataset_id", .id, description: "The dataset to run on; without it, the strategy's config.dataset_id")
    static let config = BodyField("config", .object, description: "The run: rule, parameters or grid, commission, time range, walk_forward, …")
    static let fields = [name, evaluationType, strategyID, datasetID, config]

    var name: String
    var kind: EvaluationPlan.Kind
    var strategyID: Int
    var datasetID: Int?
    var config: JSONValue
    var options: EvaluationOptions

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames)
        let name = body.text(Self.name)
        let kind = body.choice(Self.evaluationType).flatMap(EvaluationPlan.Kind.init(rawValue:))
        config = body.object(Self.config) ?? .object([:])
        let strategyID = body.id(Self.strategyID)
        datasetID = body.id(Self.datasetID)
        options = EvaluationOptions(config)
        for problem in options.problems { body.fail(problem.field, problem.message) }
        try body.validate()
        guard let name, let kind, let strategyID else { throw APIError.internalError }
        (self.name, self.kind, self.strategyID) = (name, kind, strategyID)
    }
}
