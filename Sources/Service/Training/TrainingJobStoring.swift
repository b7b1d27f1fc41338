import Logging

/// Where training jobs and their per-epoch metrics are kept: what the training and evaluation
/// routes and the train handler need. `TrainingJobStore` (PostgreSQL) is the implementation;
/// every write a worker makes carries its claim, and a stale claim's write is refused.
public protocol TrainingJobStoring: Sendable {
    func create(_ job: TrainingJobStore.NewJob, for user: AuthenticatedUser, logger: Logger) async throws -> (id: Int, taskID: String)
    func list(for user: AuthenticatedUser, status: String?, strategyID: Int?, query: ListQuery, logger: Logger) async throws -> Page<TrainingJobRecord>
    /// One of `user`'s jobs, or any job when `user` is nil (a worker's view).
    func find(_ id: Int, for user: AuthenticatedUser?, reading freshness: ReadFreshness, logger: Logger) async throws -> TrainingJobRecord
    func cancel(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> TrainingJobRecord
    func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> TrainingJobRecord
    func metrics(of id: Int, for user: AuthenticatedUser, from start: Int?, to end: Int?, logger: Logger) async throws -> EpochMetricsList
    func latestModelPath(ofStrategy strategyID: Int, logger: Logger) async throws -> String?
    func latestCompleted(ofStrategy strategyID: Int, logger: Logger) async throws -> Int?
    func averageSecondsPerEpoch(task: String, agent: String, logger: Logger) async throws -> Double?
    func storedMetrics(of id: Int, epoch: Int?, logger: Logger) async throws -> JSONValue?
    func markRunning(_ id: Int, totalEpochs: Int, logLine: String, claim: ClaimedTask.Key, logger: Logger) async throws
    func recordEpoch(_ id: Int, epoch: Int, step: Int, metrics: JSONValue, best: JSONValue?, totalEpochs: Int, logLine: String,
                     claim: ClaimedTask.Key, logger: Logger) async throws
    func recordMissingEpochs(_ id: Int, _ epochs: [(epoch: Int, metrics: JSONValue)], claim: ClaimedTask.Key, logger: Logger) async throws
    func markCompleted(_ id: Int, _ completion: TrainingJobStore.Completion, logLine: String, claim: ClaimedTask.Key, logger: Logger) async throws
    func markPaused(_ id: Int, epoch: Int, logLine: String, claim: ClaimedTask.Key, logger: Logger) async throws
    func markStatus(_ id: Int, status: TrainingStatus, error: String?, finished: Bool, claim: ClaimedTask.Key, logger: Logger) async throws
}

extension TrainingJobStoring {
    /// From any replica.
    public func find(_ id: Int, for user: AuthenticatedUser?, logger: Logger) async throws -> TrainingJobRecord {
        try await find(id, for: user, reading: .anyReplica, logger: logger)
    }

    /// A status without an error message.
    public func markStatus(_ id: Int, status: TrainingStatus, finished: Bool, claim: ClaimedTask.Key, logger: Logger) async throws {
        try await markStatus(id, status: status, error: nil, finished: finished, claim: claim, logger: logger)
    }
}

extension TrainingJobStore: TrainingJobStoring {}
