/// `POST /api/v1/training/jobs`' body. The config's names are resolved, and the search block
/// read, by the route (`TrainingRoutes.problems`, `SearchRequest`).
struct CreateTrainingJobRequest: RequestFields {
    static let name = BodyField("name", .text(maxLength: 100), required: true)
    static let description = BodyField("description", .text(maxLength: 10_000))
    static let strategyID = BodyField("strategy_id", .id, required: true)
    static let datasetID = BodyField("dataset_id", .id, description: "An uploaded dataset of the caller's; without it, the config's dataset_name")
    static let config = BodyField("config", .object, required: true,
                                  description: "TradeMaster's names: task_name, dataset_name, agent_name, optimizer_name, loss_name (resolved by the agent registry)")
    static let hyperparameters = BodyField("hyperparameters", .object)
    static let search = BodyField("search", .custom(.freeObject),
                                  description: "A hyperparameter search: space, trials, seeds, scheduler, metric, max_epochs, min_epochs, reduction, sampling_seed")
    static let fields = [name, description, strategyID, datasetID, config, hyperparameters, search]

    var name: String
    var description: String?
    var strategyID: Int
    var datasetID: Int?
    var config: JSONValue
    var hyperparameters: JSONValue
    /// The search block as sent, read by `SearchRequest`.
    var search: JSONValue?

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames)
        search = body.fields[Self.search.name]
        let name = body.text(Self.name)
        description = body.text(Self.description)
        var config: JSONValue?
        if body.fields[Self.config.name] == nil {
            body.fail("config", "is required: {task_name, dataset_name, agent_name, optimizer_name, loss_name}")
        } else {
            config = body.object(Self.config)
        }
        hyperparameters = body.object(Self.hyperparameters) ?? .object([:])
        let strategyID = body.id(Self.strategyID)
        datasetID = body.id(Self.datasetID)
        try body.validate()
        guard let name, let config, let strategyID else { throw APIError.internalError }
        (self.name, self.config, self.strategyID) = (name, config, strategyID)
    }
}
