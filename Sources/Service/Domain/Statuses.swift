/// The life of each kind of object, as the schema's enums spell them (`dataset_status`,
/// `training_status`, `evaluation_status`, `strategy_status`): the raw values are the database's
/// and the API's words, so a typo is a compile error rather than a branch never taken.

/// `datasets.status`: an upload is ingested by a worker, then ready (and never changes again) or in error.
public enum DatasetStatus: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case uploading, processing, ready, error
    public var description: String { rawValue }
}

/// `training_jobs.status`.
public enum TrainingStatus: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case pending, running, completed, failed, cancelled
    public var description: String { rawValue }
    /// Still to run or running: cancellable, and a worker may take it.
    public var isLive: Bool { self == .pending || self == .running }
}

/// `evaluations.status`; `completed` ones never change again.
public enum EvaluationStatus: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case pending, running, completed, failed
    public var description: String { rawValue }
    /// Still to run or running.
    public var isLive: Bool { self == .pending || self == .running }
}

/// `strategies.status`.
public enum StrategyStatus: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case draft, active, paused, stopped, error
    public var description: String { rawValue }
}

/// A database value outside its enum (a schema newer than this code): an error naming both.
public struct UnknownStatus: Error, CustomStringConvertible {
    public var column: String
    public var value: String
    public var description: String { "\(column) holds '\(value)', which this version does not know" }
}

extension RawRepresentable where RawValue == String {
    /// The case for a database text, or `UnknownStatus` naming `column`.
    static func decoding(_ text: String, column: String) throws -> Self {
        guard let value = Self(rawValue: text) else { throw UnknownStatus(column: column, value: text) }
        return value
    }
}

/// What a queued task works on (`celery_tasks.related_type`): the queue cancels and settles a
/// task through the row it names.
public enum RelatedObject: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case dataset, evaluation, strategy
    case trainingJob = "training_job"
    public var description: String { rawValue }
}

/// The tasks the service queues (`celery_tasks.task_name`), each run by one handler.
public enum TaskName: String, Sendable, CaseIterable {
    case ingestDataset = "ingest_dataset"
    case preprocessDataset = "preprocess_dataset"
    case train
    case paperTrade = "paper_trade"
    case evaluateShard = "evaluate_shard"
    case finishEvaluation = "finish_evaluation"
    /// Does nothing: a probe of the queue itself (health checks, `qf bench queue`).
    case noop
}

/// `celery_tasks.status` (the schema's `task_status`, Celery's words).
public enum TaskStatus: String, Sendable, CaseIterable {
    case pending = "PENDING", started = "STARTED", success = "SUCCESS", failure = "FAILURE", retry = "RETRY", revoked = "REVOKED"
}
