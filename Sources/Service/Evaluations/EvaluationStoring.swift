import Logging

/// Where evaluations and their shards' results are kept: what the evaluation routes and the
/// shard and merge handlers need. `EvaluationStore` (PostgreSQL) is the implementation.
public protocol EvaluationStoring: Sendable {
    func create(_ evaluation: EvaluationStore.NewEvaluation, logger: Logger) async throws -> (id: Int, taskID: String)
    func list(for user: AuthenticatedUser, status: String?, type: String?, strategyID: Int?, query: ListQuery, logger: Logger) async throws -> Page<EvaluationRecord>
    /// One of `user`'s evaluations, or any when `user` is nil (a worker's view).
    func find(_ id: Int, for user: AuthenticatedUser?, reading freshness: ReadFreshness, logger: Logger) async throws -> EvaluationRecord
    func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> EvaluationRecord
    func markRunning(_ id: Int, claim: ClaimedTask.Key, logger: Logger) async throws
    /// Records a shard's results; true when it was the last shard.
    func recordShard(_ id: Int, shard: Int, results: JSONValue, claim: ClaimedTask.Key, logger: Logger) async throws -> Bool
    func shardResults(_ id: Int, logger: Logger) async throws -> [Int: JSONValue]
    func complete(_ id: Int, results: JSONValue, charts: JSONValue, reportPath: String?, claim: ClaimedTask.Key, logger: Logger) async throws
    func fail(_ id: Int, message: String, claim: ClaimedTask.Key, logger: Logger) async throws
}

extension EvaluationStoring {
    /// From any replica.
    public func find(_ id: Int, for user: AuthenticatedUser?, logger: Logger) async throws -> EvaluationRecord {
        try await find(id, for: user, reading: .anyReplica, logger: logger)
    }
}

extension EvaluationStore: EvaluationStoring {}
