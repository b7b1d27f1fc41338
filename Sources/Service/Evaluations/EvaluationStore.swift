import Foundation
import Logging
import PostgresNIO

/// The SQL behind evaluations: the API's side (create with one task per shard in one
/// transaction, list, detail), scoped to the caller like strategies, and the worker's side
/// (running, a shard's results — the last one queues the merge — completed, failed), every write
/// guarded by the claim of the task doing it.
public struct EvaluationStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static func scope(_ user: AuthenticatedUser, into conditions: inout SQLConditions) {
        if !user.isSuperuser { conditions.add(user.id) { "e.user_id = \($0)" } }
    }

    /// What a new evaluation is.
    public struct NewEvaluation: Sendable {
        public var name: String
        public var kind: EvaluationPlan.Kind
        public var config: JSONValue
        public var strategyID: Int?
        public var datasetID: Int?
        public var plan: EvaluationPlan
        public var userID: Int?
    }

    /// Inserts the evaluation and queues its shards, in one transaction; returns its id and the
    /// first shard's task id.
    public func create(_ e: NewEvaluation, logger: Logger) async throws -> (id: Int, taskID: String) {
        let plan = try e.plan.jsonText()
        // Through whole microseconds: ns / 1e9 in a Double would round the last instant of a day up into the next.
        let start = e.plan.start.map { Date(timeIntervalSince1970: Double($0 / 1_000) / 1e6) }, end = e.plan.end.map { Date(timeIntervalSince1970: Double($0 / 1_000) / 1e6) }
        return try await database.transaction(logger: logger) { connection in
            let insert: PostgresQuery = """
                INSERT INTO evaluations (name, evaluation_type, status, config, time_range, strategy_id, dataset_id, user_id, plan, shards_total)
                VALUES (\(e.name), \(e.kind.rawValue)::evaluation_type, 'pending', \(e.config.jsonText)::jsonb,
                        CASE WHEN \(start)::timestamp IS NULL AND \(end)::timestamp IS NULL THEN NULL ELSE tsrange(\(start)::timestamp, \(end)::timestamp, '[]') END,
                        \(e.strategyID), \(e.datasetID), \(e.userID), \(plan)::jsonb, \(e.plan.shards.count))
                RETURNING id
                """
            var id = 0
            for try await value in try await connection.query(insert, logger: logger).decode(Int.self) { id = value }
            var first = ""
            for shard in e.plan.shards.indices {
                let taskID = try await TaskQueue.enqueue(NewTask(name: EvaluationShardHandler.taskName,
                                                                 kwargs: .object(["evaluation_id": .int(Int64(id)), "shard": .int(Int64(shard))]),
                                                                 queue: TaskQueues.evaluation, maxRetries: 3, userID: e.userID,
                                                                 relatedType: .evaluation, relatedID: id),
                                                         on: connection, logger: logger)
                if shard == 0 { first = taskID }
            }
            return (id, first)
        }
    }

    public func list(for user: AuthenticatedUser, status: String?, type: String?, strategyID: Int?, query: ListQuery, logger: Logger) async throws -> Page<EvaluationRecord> {
        var conditions = SQLConditions()
        Self.scope(user, into: &conditions)
        if let status { conditions.add(status) { "e.status = \($0)::evaluation_status" } }
        if let type { conditions.add(type) { "e.evaluation_type = \($0)::evaluation_type" } }
        if let strategyID { conditions.add(strategyID) { "e.strategy_id = \($0)" } }
        if let search = query.search { conditions.add(SQLConditions.containsPattern(search)) { "e.name ILIKE \($0)" } }
        return try await database.page(of: "evaluations", alias: "e", columns: EvaluationRecord.columns(charts: false), conditions: conditions,
                                       query: query, logger: logger, decode: EvaluationRecord.all)
    }

    /// One evaluation (the caller's, unless `user` is nil: the worker's view).
    public func find(_ id: Int, for user: AuthenticatedUser?, reading freshness: ReadFreshness = .anyReplica, logger: Logger) async throws -> EvaluationRecord {
        var conditions = SQLConditions()
        conditions.add(id) { "e.id = \($0)" }
        if let user { Self.scope(user, into: &conditions) }
        let query = PostgresQuery(unsafeSQL: "SELECT \(EvaluationRecord.columns(charts: true)) FROM evaluations e \(conditions.whereClause)", binds: conditions.binds)
        guard let record = try await EvaluationRecord.all((freshness == .latest ? database.primary : database.reader).query(query, logger: logger)).first else {
            throw StoreError.notFound("Evaluation \(id) not found")
        }
        return record
    }

    /// Deletes one of `user`'s evaluations with its shards: its live tasks are revoked or asked
    /// to stop first (a shard finishing meanwhile finds the row gone and records nothing).
    public func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> EvaluationRecord {
        let record = try await find(id, for: user, reading: .latest, logger: logger)
        try await database.transaction(logger: logger) { connection in
            _ = try await TaskQueue(client: database.primary).requestCancel(relatedType: .evaluation, relatedID: id, on: connection, logger: logger)
            try await connection.query("DELETE FROM evaluations WHERE id = \(id)", logger: logger)
        }
        return record
    }

    // MARK: - The worker's side

    public func markRunning(_ id: Int, claim: ClaimedTask.Key, logger: Logger) async throws {
        try await database.primary.query("""
            UPDATE evaluations SET status = 'running', started_at = coalesce(started_at, CURRENT_TIMESTAMP)
            WHERE id = \(id) AND status IN ('pending', 'running')
              AND \(claimHeld: claim)
            """, logger: logger)
    }

    /// Stores a shard's results (a re-run shard overwrites its row) and counts the finished
    /// shards; the shard that finds all of them done queues the merge, once. The evaluation row
    /// is locked meanwhile, so two last shards finishing together cannot both miss it or both
    /// queue it. False when the claim is no longer this worker's.
    public func recordShard(_ id: Int, shard: Int, results: JSONValue, claim: ClaimedTask.Key, logger: Logger) async throws -> Bool {
        try await database.transaction(logger: logger) { connection in
            var holds = false
            for try await _ in try await connection.query("""
                SELECT 1 FROM celery_tasks c WHERE \(claimOf: claim, alias: "c")
                FOR UPDATE
                """, logger: logger).decode(Int.self) { holds = true }
            guard holds else { return false }
            var total = 0, status = ""
            for try await (n, s) in try await connection.query("SELECT shards_total, status::text FROM evaluations WHERE id = \(id) FOR UPDATE",
                                                               logger: logger).decode((Int, String).self) { (total, status) = (n, s) }
            guard status == "running" || status == "pending" else { return true }
            try await connection.query("""
                INSERT INTO evaluation_shards (evaluation_id, shard, results, worker_name) VALUES (\(id), \(shard), \(results.jsonText)::jsonb, \(claim.worker))
                ON CONFLICT (evaluation_id, shard) DO UPDATE SET results = EXCLUDED.results, worker_name = EXCLUDED.worker_name, completed_at = CURRENT_TIMESTAMP
                """, logger: logger)
            var done = 0
            for try await n in try await connection.query("SELECT count(*)::int8 FROM evaluation_shards WHERE evaluation_id = \(id)",
                                                          logger: logger).decode(Int64.self) { done = Int(n) }
            // Shards are 95% of the work; the merge (charts, report) the rest.
            try await connection.query("""
                UPDATE evaluations SET shards_done = \(done), progress = \(Double(done) / Double(max(total, 1)) * 95) WHERE id = \(id)
                """, logger: logger)
            if done == total {
                var queued = false
                for try await _ in try await connection.query("""
                    SELECT 1 FROM celery_tasks WHERE related_type = 'evaluation' AND related_id = \(id) AND task_name = \(EvaluationFinishHandler.taskName)
                    """, logger: logger).decode(Int.self) { queued = true }
                if !queued {
                    _ = try await TaskQueue.enqueue(NewTask(name: EvaluationFinishHandler.taskName, kwargs: .object(["evaluation_id": .int(Int64(id))]),
                                                            queue: TaskQueues.evaluation, priority: 1, maxRetries: 3, relatedType: .evaluation, relatedID: id),
                                                    on: connection, logger: logger)
                }
            }
            return true
        }
    }

    /// The merged shard results, by shard.
    public func shardResults(_ id: Int, logger: Logger) async throws -> [Int: JSONValue] {
        var out: [Int: JSONValue] = [:]
        for try await (shard, text) in try await database.primary.query("""
            SELECT shard, results::text FROM evaluation_shards WHERE evaluation_id = \(id)
            """, logger: logger).decode((Int, String).self) {
            out[shard] = try JSONValue.parse(text)
        }
        return out
    }

    /// Completed, with results, charts and the report; the shards' rows go (the merged results
    /// and the table's CSV hold everything they did), in the same transaction.
    public func complete(_ id: Int, results: JSONValue, charts: JSONValue, reportPath: String?, claim: ClaimedTask.Key, logger: Logger) async throws {
        try await database.transaction(logger: logger) { connection in
            var completed = false
            for try await _ in try await connection.query("""
                UPDATE evaluations SET status = 'completed', progress = 100, results = \(results.jsonText)::jsonb, charts = \(charts.jsonText)::jsonb,
                    report_path = \(reportPath), completed_at = CURRENT_TIMESTAMP, error_message = NULL
                WHERE id = \(id) AND \(claimHeld: claim)
                RETURNING 1
                """, logger: logger).decode(Int.self) { completed = true }
            if completed { try await connection.query("DELETE FROM evaluation_shards WHERE evaluation_id = \(id)", logger: logger) }
        }
    }

    /// Failed, saying why.
    public func fail(_ id: Int, message raw: String, claim: ClaimedTask.Key, logger: Logger) async throws {
        let message = TextRules.withoutPaths(raw)
        try await database.primary.query("""
            UPDATE evaluations SET status = 'failed', error_message = \(message), completed_at = CURRENT_TIMESTAMP
            WHERE id = \(id) AND status IN ('pending', 'running')
              AND \(claimHeld: claim)
            """, logger: logger)
    }
}
