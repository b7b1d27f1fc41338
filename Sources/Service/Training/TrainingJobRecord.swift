import Foundation
import PostgresNIO

/// A `training_jobs` row as the API shows it, with the task that runs it (`celery_task_id`) and
/// `estimated_completion` (start + elapsed per finished epoch × epochs, while running).
public struct TrainingJobRecord: Encodable, Sendable {
    public var id: Int
    public var name: String
    public var description: String?
    public var status: TrainingStatus
    public var progress: Double
    public var currentEpoch: Int
    public var totalEpochs: Int?
    public var config: JSONValue
    public var hyperparameters: JSONValue
    public var metrics: JSONValue
    public var bestMetrics: JSONValue
    public var modelPath: String?
    public var logs: String?
    public var errorMessage: String?
    public var strategyID: Int?
    public var datasetID: Int?
    public var userID: Int?
    public var estimatedDuration: Int?
    public var actualDuration: Int?
    public var cpuUsage: Double?
    public var memoryUsage: Double?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    public var taskID: String?
    /// Seconds the running job has been running, from the database clock.
    var elapsed: Double?
    /// A search's trial: the parent job (whose `metrics` hold the search's state).
    public var parentJobID: Int?

    static let columns = """
        j.id, j.name, j.description, coalesce(j.status::text, 'pending'), coalesce(j.progress, 0)::float8, coalesce(j.current_epoch, 0), j.total_epochs,
        j.config::text, coalesce(j.hyperparameters, '{}')::text, coalesce(j.metrics, '{}')::text, coalesce(j.best_metrics, '{}')::text,
        j.model_path, j.logs, j.error_message, j.strategy_id, j.dataset_id, j.user_id, j.estimated_duration, j.actual_duration,
        j.cpu_usage::float8, j.memory_usage::float8, j.created_at, j.updated_at, j.started_at, j.completed_at,
        (SELECT t.id FROM celery_tasks t WHERE t.related_type = 'training_job' AND t.related_id = j.id ORDER BY t.created_at DESC LIMIT 1),
        extract(epoch FROM CURRENT_TIMESTAMP - j.started_at)::float8, j.parent_job_id
        """

    init(row: PostgresRow) throws {
        var cells = RowCells(row)
        id = try cells.next(Int.self); name = try cells.next(String.self); description = try cells.next(String?.self); status = try .decoding(try cells.next(String.self), column: "training_jobs.status")
        progress = try cells.next(Double.self); currentEpoch = try cells.next(Int.self); totalEpochs = try cells.next(Int?.self)
        config = try JSONValue.parse(try cells.next(String.self)); hyperparameters = try JSONValue.parse(try cells.next(String.self))
        metrics = try JSONValue.parse(try cells.next(String.self)); bestMetrics = try JSONValue.parse(try cells.next(String.self))
        modelPath = try cells.next(String?.self); logs = try cells.next(String?.self); errorMessage = try cells.next(String?.self)
        strategyID = try cells.next(Int?.self); datasetID = try cells.next(Int?.self); userID = try cells.next(Int?.self)
        estimatedDuration = try cells.next(Int?.self); actualDuration = try cells.next(Int?.self)
        cpuUsage = try cells.next(Double?.self); memoryUsage = try cells.next(Double?.self)
        createdAt = try cells.next(Date?.self); updatedAt = try cells.next(Date?.self); startedAt = try cells.next(Date?.self); completedAt = try cells.next(Date?.self)
        taskID = try cells.next(String?.self); elapsed = try cells.next(Double?.self); parentJobID = try cells.next(Int?.self)
    }

    static func all(_ rows: PostgresRowSequence) async throws -> [TrainingJobRecord] {
        var records: [TrainingJobRecord] = []
        for try await row in rows { records.append(try TrainingJobRecord(row: row)) }
        return records
    }

    /// The last 50 lines of the log (the whole log stays in the row).
    var logsTail: String? {
        guard let logs else { return nil }
        return logs.split(separator: "\n", omittingEmptySubsequences: false).suffix(50).joined(separator: "\n")
    }

    var estimatedCompletion: Date? {
        guard status == .running, let startedAt, let elapsed, let totalEpochs, currentEpoch > 0 else { return nil }
        return startedAt.addingTimeInterval(elapsed / Double(currentEpoch) * Double(totalEpochs))
    }

    enum CodingKeys: CodingKey {
        case id, name, description, status, progress, currentEpoch, totalEpochs, config, hyperparameters, metrics, bestMetrics
        case modelPath, logs, errorMessage, strategyID, datasetID, userID, parentJobID, celeryTaskID
        case estimatedDuration, actualDuration, estimatedCompletion, cpuUsage, memoryUsage, createdAt, updatedAt, startedAt, completedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encode(status, forKey: .status)
        try c.encode(progress, forKey: .progress)
        try c.encode(currentEpoch, forKey: .currentEpoch)
        try c.encodeIfPresent(totalEpochs, forKey: .totalEpochs)
        try c.encode(config, forKey: .config)
        try c.encode(hyperparameters, forKey: .hyperparameters)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(bestMetrics, forKey: .bestMetrics)
        // Where to download the weights, not where the server keeps them.
        try c.encodeIfPresent(modelPath == nil ? nil : "/api/v1/training/jobs/\(id)/model", forKey: .modelPath)
        try c.encodeIfPresent(logsTail, forKey: .logs)
        try c.encodeIfPresent(errorMessage, forKey: .errorMessage)
        try c.encodeIfPresent(strategyID, forKey: .strategyID)
        try c.encodeIfPresent(datasetID, forKey: .datasetID)
        try c.encodeIfPresent(userID, forKey: .userID)
        try c.encodeIfPresent(parentJobID, forKey: .parentJobID)
        try c.encodeIfPresent(taskID, forKey: .celeryTaskID)
        try c.encodeIfPresent(estimatedDuration, forKey: .estimatedDuration)
        try c.encodeIfPresent(actualDuration, forKey: .actualDuration)
        try c.encodeIfPresent(estimatedCompletion, forKey: .estimatedCompletion)
        try c.encodeIfPresent(cpuUsage, forKey: .cpuUsage)
        try c.encodeIfPresent(memoryUsage, forKey: .memoryUsage)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(completedAt, forKey: .completedAt)
    }
}

/// One `training_metrics` row.
public struct EpochMetricsRecord: Encodable, Sendable {
    public var epoch: Int
    public var step: Int?
    public var metrics: JSONValue
    public var recordedAt: Date?
}

/// A list of epochs (the metrics endpoint's `data`).
public struct EpochMetricsList: Encodable, Sendable {
    public var jobID: Int
    public var items: [EpochMetricsRecord]
    public var total: Int { items.count }

    enum CodingKeys: CodingKey {
        case jobID, items, total
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(items, forKey: .items)
        try c.encode(total, forKey: .total)
    }
}
