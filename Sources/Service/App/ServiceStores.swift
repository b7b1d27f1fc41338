/// The stores the routes and the task handlers work through, built once by the composition root
/// (`ServiceDependencies`); the PostgreSQL stores are the implementations and hold all the SQL.
public struct ServiceStores: Sendable {
    public var strategies: any StrategyStoring
    public var datasets: any DatasetStoring
    public var trainingJobs: any TrainingJobStoring
    public var evaluations: any EvaluationStoring
    public var logs: any LogStoring
    var searches: any TrainingSearchStoring

    /// The PostgreSQL stores over `database`.
    public init(database: Database) {
        strategies = StrategyStore(database: database)
        datasets = DatasetStore(database: database)
        trainingJobs = TrainingJobStore(database: database)
        evaluations = EvaluationStore(database: database)
        logs = LogStore(database: database)
        searches = TrainingSearchStore(database: database)
    }
}
