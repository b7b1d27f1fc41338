import Agents
import Logging

/// Where hyperparameter searches run as jobs are kept (a parent job and its trials' child jobs):
/// what the training routes and the train handler need. `TrainingSearchStore` (PostgreSQL) is the
/// implementation.
protocol TrainingSearchStoring: Sendable {
    /// The parent and its children, the first rung queued; the parent's id.
    func create(_ parent: TrainingJobStore.NewJob, search: SearchRequest, base: TrainingJobConfiguration, childConfig: JSONValue,
                for user: AuthenticatedUser?, logger: Logger) async throws -> Int
    /// The children still pending or running.
    func liveChildren(of parentID: Int, logger: Logger) async throws -> [Int]
    func markParentRunning(_ parentID: Int, logger: Logger) async throws
    /// A child reached `epoch` (its rung, or its end): decides the rung when it is the last.
    func report(parentID: Int, epoch: Int, logger: Logger) async throws
}

extension TrainingSearchStore: TrainingSearchStoring {}
