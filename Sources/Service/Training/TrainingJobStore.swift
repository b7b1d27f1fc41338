import Foundation
import Logging
import PostgresNIO

/// The SQL behind training jobs: the API's side (create with its task in one transaction, list,
/// detail, cancel, metrics), scoped to the caller like strategies, and the worker's side
/// (running, one metrics row per epoch — an upsert, so a re-run epoch overwrites — completed,
/// failed, back to pending, cancelled).
public struct TrainingJobStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static func scope(_ user: AuthenticatedUser, into conditions: inout SQLConditions) {
        if !user.isSuperuser { conditions.add(user.id) { "j.user_id = \($0)" } }
    }

    /// What a new job is.
    public struct NewJob: Sendable {
        public var name: String
        public var description: String?
        /// nil for a search submitted by an operator (`qf tune --distributed`).
        public var strategyID: Int?
        public var datasetID: Int?
        public var config: JSONValue
        public var hyperparameters: JSONValue
        public var totalEpochs: Int
        public var estimatedDuration: Int?
    }

    /// Inserts the job and queues its training task, in one transaction.
    public func create(_ job: NewJob, for user: AuthenticatedUser, logger: Logger) async throws -> (id: Int, taskID: String) {
        try await database.transaction(logger: logger) { connection in
            let insert: PostgresQuery = """
                INSERT INTO training_jobs (name, description, status, total_epochs, config, hyperparameters, strategy_id, dataset_id, user_id, estimated_duration)
                VALUES (\(job.name), \(job.description), 'pending', \(job.totalEpochs), \(job.config.jsonText)::jsonb, \(job.hyperparameters.jsonText)::jsonb,
                        \(job.strategyID), \(job.datasetID), \(user.id), \(job.estimatedDuration))
                RETURNING id
                """
            var id = 0
            for try await value in try await connection.query(insert, logger: logger).decode(Int.self) { id = value }
            let taskID = try await TaskQueue.enqueue(NewTask(name: TrainTaskHandler.taskName, kwargs: .object(["job_id": .int(Int64(id))]),
                                                             queue: TaskQueues.training, maxRetries: 3, userID: user.id,
                                                             relatedType: .trainingJob, relatedID: id),
                                                     on: connection, logger: logger)
            return (id, taskID)
        }
    }

    public func list(for user: AuthenticatedUser, status: String?, strategyID: Int?, query: ListQuery, logger: Logger) async throws -> Page<TrainingJobRecord> {
        var conditions = SQLConditions()
        Self.scope(user, into: &conditions)
        if let status { conditions.add(status) { "j.status = \($0)::training_status" } }
        if let strategyID { conditions.add(strategyID) { "j.strategy_id = \($0)" } }
        if let search = query.search { conditions.add(SQLConditions.containsPattern(search)) { "j.name ILIKE \($0)" } }
        return try await database.page(of: "training_jobs", alias: "j", columns: TrainingJobRecord.columns, conditions: conditions, query: query,
                                       logger: logger, decode: TrainingJobRecord.all)
    }

    public func find(_ id: Int, for user: AuthenticatedUser?, reading freshness: ReadFreshness = .anyReplica, logger: Logger) async throws -> TrainingJobRecord {
        var conditions = SQLConditions()
        conditions.add(id) { "j.id = \($0)" }
        if let user { Self.scope(user, into: &conditions) }
        let query = PostgresQuery(unsafeSQL: "SELECT \(TrainingJobRecord.columns) FROM training_jobs j \(conditions.whereClause)", binds: conditions.binds)
        guard let record = try await TrainingJobRecord.all((freshness == .latest ? database.primary : database.reader).query(query, logger: logger)).first else {
            throw StoreError.notFound("Training job \(id) not found")
        }
        return record
    }

    /// Cancels: a pending job at once (its task revoked), a running one at its next safe point.
    public func cancel(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> TrainingJobRecord {
        let job = try await find(id, for: user, reading: .latest, logger: logger)
        guard job.status.isLive else {
            throw StoreError.conflict("Training job \(id) is \(job.status); only pending and running jobs can be cancelled", field: "status")
        }
        try await database.transaction(logger: logger) { connection in
            let outcomes = try await TaskQueue(client: database.primary).requestCancel(relatedType: .trainingJob, relatedID: id, on: connection, logger: logger)
            if !outcomes.contains(.requested) {
                try await connection.query("""
                    UPDATE training_jobs SET status = 'cancelled', completed_at = CURRENT_TIMESTAMP WHERE id = \(id) AND status IN ('pending', 'running')
                    """, logger: logger)
                try await Events.notify(Events.payload(channel: "training_job", id: id, userID: nil, type: "status",
                                                       data: .object(["job_id": .int(Int64(id)), "status": .string("cancelled")])),
                                        on: connection, logger: logger)
            }
        }
        return try await find(id, for: user, reading: .latest, logger: logger)
    }

    /// Deletes one of `user`'s jobs with its metrics rows: a pending or running job's task is
    /// revoked or asked to stop first (a worker still finishing an epoch then writes nothing, its
    /// writes being guarded by a claim on a row that is gone). Returns the deleted record.
    public func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> TrainingJobRecord {
        let job = try await find(id, for: user, reading: .latest, logger: logger)
        try await database.transaction(logger: logger) { connection in
            _ = try await TaskQueue(client: database.primary).requestCancel(relatedType: .trainingJob, relatedID: id, on: connection, logger: logger)
            // Trials of a search outlive their parent as jobs of their own.
            try await connection.query("UPDATE training_jobs SET parent_job_id = NULL WHERE parent_job_id = \(id)", logger: logger)
            try await connection.query("DELETE FROM training_jobs WHERE id = \(id)", logger: logger)
        }
        return job
    }

    public func metrics(of id: Int, for user: AuthenticatedUser, from start: Int?, to end: Int?, logger: Logger) async throws -> EpochMetricsList {
        _ = try await find(id, for: user, logger: logger)
        let query: PostgresQuery = """
            SELECT epoch, step, metrics::text, recorded_at FROM training_metrics
            WHERE training_job_id = \(id) AND epoch >= \(start ?? Int(Int32.min)) AND epoch <= \(end ?? Int(Int32.max)) ORDER BY epoch
            """
        var items: [EpochMetricsRecord] = []
        for try await (epoch, step, metrics, recorded) in try await database.reader.query(query, logger: logger).decode((Int, Int?, String, Date?).self) {
            items.append(EpochMetricsRecord(epoch: epoch, step: step, metrics: try JSONValue.parse(metrics), recordedAt: recorded))
        }
        return EpochMetricsList(jobID: id, items: items)
    }

    // MARK: - The worker's side
    //
    // Every write below is guarded by the claim: it happens only while the task is STARTED under
    // the writing worker's name and attempt, so a worker that was frozen past its lease and
    // thawed after another finished the job cannot roll its progress back.

    public func markRunning(_ id: Int, totalEpochs: Int, logLine: String, claim: ClaimedTask.Key, logger: Logger) async throws {
        try await database.primary.query("""
            UPDATE training_jobs SET status = 'running', started_at = coalesce(started_at, CURRENT_TIMESTAMP), total_epochs = \(totalEpochs),
                error_message = NULL, logs = coalesce(logs, '') || \(logLine + "\n") WHERE id = \(id) AND \(claimHeld: claim)
            """, logger: logger)
        try await announce(id, status: .running, logger: logger)
    }

    /// One epoch: its metrics row (an upsert) and the job's progress, metrics and log.
    public func recordEpoch(_ id: Int, epoch: Int, step: Int, metrics: JSONValue, best: JSONValue?, totalEpochs: Int, logLine: String,
                            claim: ClaimedTask.Key, logger: Logger) async throws {
        try await database.transaction(logger: logger) { connection in
            try await connection.query("""
                INSERT INTO training_metrics (training_job_id, epoch, step, metrics)
                SELECT \(id), \(epoch), \(step), \(metrics.jsonText)::jsonb WHERE \(claimHeld: claim)
                ON CONFLICT (training_job_id, epoch) DO UPDATE SET step = EXCLUDED.step, metrics = EXCLUDED.metrics, recorded_at = CURRENT_TIMESTAMP
                """, logger: logger)
            let progress = min(100, Double(epoch) / Double(max(1, totalEpochs)) * 100)
            try await connection.query("""
                UPDATE training_jobs SET current_epoch = \(epoch), progress = \(progress), metrics = \(metrics.jsonText)::jsonb,
                    best_metrics = coalesce(\(best?.jsonText)::jsonb, best_metrics), logs = coalesce(logs, '') || \(logLine + "\n")
                WHERE id = \(id) AND \(claimHeld: claim)
                """, logger: logger)
            let data: JSONValue = .object(["job_id": .int(Int64(id)), "progress": .double(progress), "current_epoch": .int(Int64(epoch)),
                                           "total_epochs": .int(Int64(totalEpochs)), "metrics": metrics])
            try await Events.notify(Events.payload(channel: "training_job", id: id, userID: nil, type: "training_progress", data: data),
                                    on: connection, logger: logger)
        }
    }

    /// Writes the rows of `epochs` that are missing (an outage kept them from being written as
    /// they ended), under the claim, and checks that the job now has exactly these epochs' rows;
    /// throws when it cannot (the task then fails and is retried, never completed short).
    public func recordMissingEpochs(_ id: Int, _ epochs: [(epoch: Int, metrics: JSONValue)], claim: ClaimedTask.Key, logger: Logger) async throws {
        let numbers = epochs.map { Int64($0.epoch) }, texts = epochs.map { $0.metrics.jsonText }
        var rows = 0
        for try await n in try await database.primary.query("""
            WITH written AS (
                INSERT INTO training_metrics (training_job_id, epoch, step, metrics)
                SELECT \(id), x.epoch, x.epoch, x.metrics::jsonb FROM unnest(\(numbers)::int8[], \(texts)::text[]) AS x(epoch, metrics)
                WHERE \(claimHeld: claim)
                ON CONFLICT (training_job_id, epoch) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM training_metrics WHERE training_job_id = \(id) AND epoch = ANY(\(numbers)::int8[])) + (SELECT count(*) FROM written)
            """, logger: logger).decode(Int64.self) { rows = Int(n) }
        guard rows == epochs.count else {
            throw EpochRowsMissing(description: "training job \(id) has \(rows) of its \(epochs.count) epoch rows")
        }
    }

    /// The model folder of the strategy's latest completed training job (its `model_path`).
    public func latestModelPath(ofStrategy strategyID: Int, logger: Logger) async throws -> String? {
        for try await path in try await database.primary.query("""
            SELECT model_path FROM training_jobs WHERE strategy_id = \(strategyID) AND status = 'completed' AND model_path IS NOT NULL
            ORDER BY completed_at DESC NULLS LAST, id DESC LIMIT 1
            """, logger: logger).decode(String.self) { return path }
        return nil
    }

    /// The stored metrics of one epoch of a job (the best epoch's, for `best_metrics`).
    public func storedMetrics(of id: Int, epoch: Int?, logger: Logger) async throws -> JSONValue? {
        guard let epoch else { return nil }
        for try await text in try await database.primary.query("""
            SELECT metrics::text FROM training_metrics WHERE training_job_id = \(id) AND epoch = \(epoch)
            """, logger: logger).decode(String.self) {
            return try JSONValue.parse(text)
        }
        return nil
    }

    /// The strategy's most recently completed training job.
    public func latestCompleted(ofStrategy strategyID: Int, logger: Logger) async throws -> Int? {
        for try await id in try await database.primary.query("""
            SELECT id FROM training_jobs WHERE strategy_id = \(strategyID) AND status = 'completed' ORDER BY completed_at DESC NULLS LAST, id DESC LIMIT 1
            """, logger: logger).decode(Int.self) { return id }
        return nil
    }

    /// Seconds per epoch that completed jobs of this task and agent took on average (nil without history).
    public func averageSecondsPerEpoch(task: String, agent: String, logger: Logger) async throws -> Double? {
        let query: PostgresQuery = """
            SELECT avg(actual_duration::float8 / total_epochs) FROM training_jobs
            WHERE status = 'completed' AND total_epochs > 0 AND actual_duration IS NOT NULL
              AND config->>'task_name' = \(task) AND config->>'agent_name' = \(agent)
            """
        for try await perEpoch in try await database.reader.query(query, logger: logger).decode(Double?.self) { return perEpoch }
        return nil
    }

    /// Announces a job's new status to WebSocket subscribers.
    func announce(_ id: Int, status: TrainingStatus, logger: Logger) async throws {
        try await Events.notify(Events.payload(channel: "training_job", id: id, userID: nil, type: "status",
                                               data: .object(["job_id": .int(Int64(id)), "status": .string(status.rawValue)])),
                                database: database, logger: logger)
    }

    /// What a finished job records.
    public struct Completion: Sendable {
        public var metrics: JSONValue
        public var best: JSONValue
        public var modelPath: String
        /// Epochs trained (the job's final `current_epoch`).
        public var epochs: Int
        public var cpuUsage: Double?
        public var memoryUsage: Double?
        public var performance: StrategyRecord.Performance
        public var strategyID: Int?
    }

    /// Completed: the job's results and the strategy's performance fields, in one transaction.
    public func markCompleted(_ id: Int, _ c: Completion, logLine: String, claim: ClaimedTask.Key, logger: Logger) async throws {
        let recorded = try await database.transaction(logger: logger) { connection -> Bool in
            var holds = false
            let lock: PostgresQuery = """
                SELECT 1 FROM celery_tasks c WHERE \(claimOf: claim, alias: "c")
                FOR UPDATE
                """
            for try await _ in try await connection.query(lock, logger: logger).decode(Int.self) {
                holds = true
            }
            guard holds else { return false }
            try await connection.query("""
                UPDATE training_jobs SET status = 'completed', progress = 100, metrics = \(c.metrics.jsonText)::jsonb, best_metrics = \(c.best.jsonText)::jsonb,
                    model_path = \(c.modelPath), current_epoch = \(c.epochs), completed_at = CURRENT_TIMESTAMP,
                    actual_duration = extract(epoch FROM CURRENT_TIMESTAMP - started_at)::int, cpu_usage = \(c.cpuUsage), memory_usage = \(c.memoryUsage),
                    logs = coalesce(logs, '') || \(logLine + "\n")
                WHERE id = \(id)
                """, logger: logger)
            if let strategyID = c.strategyID {
                try await connection.query(c.performance.update(strategyID: strategyID), logger: logger)
            }
            return true
        }
        if recorded { try await announce(id, status: .completed, logger: logger) }
    }

    /// A search's trial paused at its rung: pending with no task until the rung is decided.
    public func markPaused(_ id: Int, epoch: Int, logLine: String, claim: ClaimedTask.Key, logger: Logger) async throws {
        try await database.primary.query("""
            UPDATE training_jobs SET status = 'pending', current_epoch = \(epoch), logs = coalesce(logs, '') || \(logLine + "\n")
            WHERE id = \(id) AND \(claimHeld: claim)
            """, logger: logger)
        try await announce(id, status: .pending, logger: logger)
    }

    public func markStatus(_ id: Int, status: TrainingStatus, error: String? = nil, finished: Bool, claim: ClaimedTask.Key, logger: Logger) async throws {
        try await database.primary.query("""
            UPDATE training_jobs SET status = \(status.rawValue)::training_status, error_message = coalesce(\(error), error_message),
                completed_at = CASE WHEN \(finished) THEN CURRENT_TIMESTAMP ELSE NULL END
            WHERE id = \(id) AND \(claimHeld: claim)
            """, logger: logger)
        try await announce(id, status: status, logger: logger)
    }
}

/// A job's epoch rows could not all be written: the attempt must not complete.
struct EpochRowsMissing: Error, CustomStringConvertible {
    var description: String
}
