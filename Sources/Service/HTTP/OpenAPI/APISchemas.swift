/// The shapes of the API's records as the OpenAPI document names them (`#/components/schemas/…`).
/// Each mirrors a record's `Encodable` form; the HTTP tests validate every response they receive
/// against these, so a key added, dropped or retyped in one place and not the other fails a test.
public enum APISchemas {
    static let nullableString = JSONSchema.string().nullable
    static let nullableDate = JSONSchema.dateTime.nullable
    static let nullableID = JSONSchema.id.nullable
    static let nullableInteger = JSONSchema.integer().nullable
    static let nullableNumber = JSONSchema.number().nullable
    /// A progress figure: 0…100 per cent.
    static let progress = JSONSchema.number(minimum: 0, maximum: 100)

    /// The success envelope around `data`.
    static func successEnvelope(_ data: JSONSchema) -> JSONSchema {
        .object([
            "success": JSONSchema(["const": true]),
            "data": data,
            "message": .string(),
            "code": .integer(minimum: 100, maximum: 599),
            "timestamp": JSONSchema.integer().described("Unix seconds"),
            "request_id": .string(),
        ])
    }

    /// The seed's page: `{items, total, page, size, pages}`.
    static func page(of item: JSONSchema) -> JSONSchema {
        .object(["items": .array(item), "total": .integer(minimum: 0), "page": .integer(minimum: 1),
                 "size": .integer(minimum: 1, maximum: Int64(ListQuery.maximumSize)), "pages": .integer(minimum: 0)])
    }

    static let errorEnvelope = JSONSchema.object([
        "success": JSONSchema(["const": false]),
        "error": .object([
            "code": .integer(minimum: 400, maximum: 599),
            "message": .string(),
            "type": JSONSchema.string().described("A stable word for the kind of error: validation_error, not_found, conflict, …"),
            "details": .array(.object(["field": .string(), "message": .string()])),
        ]),
        "timestamp": .integer(),
        "request_id": .string(),
    ])

    static let user = JSONSchema.object([
        "id": .id, "username": .string(), "email": .string(), "full_name": nullableString, "avatar_url": nullableString,
        "is_active": .boolean, "is_superuser": .boolean, "is_verified": .boolean, "last_login_at": nullableDate,
        "login_count": .integer(minimum: 0), "settings": .freeObject, "created_at": nullableDate, "updated_at": nullableDate,
    ])

    static let tokens = JSONSchema.object([
        "access_token": .string(), "refresh_token": .string(), "token_type": .string(cases: ["bearer"]),
        "expires_in": JSONSchema.integer(minimum: 1).described("Seconds the access token lives"), "user": .ref("User"),
    ], required: ["access_token", "refresh_token", "token_type", "expires_in"])

    static let strategyPerformance = JSONSchema.object([
        "total_return": nullableNumber, "sharpe_ratio": nullableNumber, "max_drawdown": nullableNumber, "win_rate": nullableNumber,
    ])

    static let strategy = JSONSchema.object([
        "id": .id, "name": .string(), "description": nullableString, "strategy_type": .string(cases: StrategyLifecycle.types),
        "status": .cases(of: StrategyStatus.self), "version": .string(pattern: SemanticVersion.pattern), "config": .freeObject,
        "parameters": .freeObject, "performance": .ref("StrategyPerformance"), "owner_id": nullableID, "parent_strategy_id": nullableID,
        "tags": .array(.string()), "category": nullableString, "created_at": nullableDate, "updated_at": nullableDate, "last_run_at": nullableDate,
    ])

    static let strategyVersion = JSONSchema.object([
        "id": .id, "strategy_id": .id, "version": .string(pattern: SemanticVersion.pattern), "config": .freeObject, "parameters": .freeObject,
        "changelog": nullableString, "is_active": .boolean, "created_by": nullableID, "created_at": nullableDate,
    ])

    static let datasetSummaryProperties: [String: JSONSchema] = [
        "id": .id, "name": .string(), "description": nullableString, "file_size": nullableInteger, "file_type": nullableString,
        "row_count": nullableInteger, "column_count": nullableInteger, "status": .cases(of: DatasetStatus.self), "error_message": nullableString,
        "owner_id": nullableID, "created_at": nullableDate, "updated_at": nullableDate, "processed_at": nullableDate,
    ]
    static let datasetSummary = JSONSchema.object(datasetSummaryProperties)
    static let dataset = JSONSchema.object(datasetSummaryProperties.merging([
        "columns": JSONSchema.anyValue.described("The columns with their types (null until ingested)"),
        "statistics": JSONSchema.anyValue.described("Per-column statistics (null until ingested)"),
        "sample_data": JSONSchema.anyValue.described("The first rows (null until ingested)"),
    ]) { $1 })

    static let datasetQueued = JSONSchema.object([
        "id": .id, "name": .string(), "celery_task_id": .string(), "status": .string(cases: [DatasetStatus.processing.rawValue]),
        "upload_progress": .integer(minimum: 0, maximum: 100), "processing_progress": .integer(minimum: 0, maximum: 100),
    ])

    static let trainingJob = JSONSchema.object([
        "id": .id, "name": .string(), "description": nullableString, "status": .cases(of: TrainingStatus.self), "progress": progress,
        "current_epoch": .integer(minimum: 0), "total_epochs": nullableInteger, "config": .freeObject, "hyperparameters": .freeObject,
        "metrics": .freeObject, "best_metrics": .freeObject,
        "model_path": JSONSchema.string().nullable.described("Where to download the trained weights, once there are some"),
        "logs": JSONSchema.string().nullable.described("The log's last 50 lines"), "error_message": nullableString,
        "strategy_id": nullableID, "dataset_id": nullableID, "user_id": nullableID, "parent_job_id": nullableID,
        "estimated_duration": nullableInteger, "actual_duration": nullableInteger, "cpu_usage": nullableNumber, "memory_usage": nullableNumber,
        "celery_task_id": nullableString, "estimated_completion": nullableDate,
        "created_at": nullableDate, "updated_at": nullableDate, "started_at": nullableDate, "completed_at": nullableDate,
    ])

    static let trainingJobQueued = JSONSchema.object([
        "id": .id, "name": .string(), "celery_task_id": nullableString, "status": .string(cases: [TrainingStatus.pending.rawValue]),
        "estimated_duration": nullableInteger,
        "trials": JSONSchema.integer(minimum: 1).described("A search's trial count"),
        "child_jobs": JSONSchema.integer(minimum: 0).described("A search's trial jobs queued now"),
    ], required: ["id", "name", "celery_task_id", "status", "estimated_duration"])

    static let epochMetrics = JSONSchema.object([
        "epoch": .integer(minimum: 0), "step": nullableInteger, "metrics": .freeObject, "recorded_at": nullableDate,
    ])

    static let epochMetricsList = JSONSchema.object(["job_id": .id, "items": .array(.ref("EpochMetrics")), "total": .integer(minimum: 0)])

    static let evaluationProperties: [String: JSONSchema] = [
        "id": .id, "name": .string(), "evaluation_type": .cases(of: EvaluationPlan.Kind.self), "status": .cases(of: EvaluationStatus.self),
        "config": .freeObject, "results": .freeObject, "progress": progress,
        "shards_total": .integer(minimum: 0), "shards_done": .integer(minimum: 0), "error_message": nullableString,
        "report_url": JSONSchema.string().nullable.described("The HTML report, once written"),
        "time_range": .object(["start": nullableDate, "end": nullableDate]),
        "strategy_id": nullableID, "dataset_id": nullableID, "user_id": nullableID,
        "created_at": nullableDate, "updated_at": nullableDate, "started_at": nullableDate, "completed_at": nullableDate,
    ]
    static let evaluation = JSONSchema.object(evaluationProperties.merging(["charts": .array(.freeObject)]) { $1 },
                                              required: evaluationProperties.keys.sorted())

    static let evaluationQueued = JSONSchema.object([
        "id": .id, "name": .string(), "celery_task_id": .string(), "status": .string(cases: [EvaluationStatus.pending.rawValue]),
        "shards_total": .integer(minimum: 1),
    ])

    static let logRecord = JSONSchema.object([
        "id": .integer(minimum: 1), "level": .string(cases: LogRoutes.levels), "message": .string(), "module": nullableString,
        "function_name": nullableString, "user_id": nullableID, "request_id": nullableString, "ip_address": nullableString,
        "user_agent": nullableString, "session_id": nullableString, "stack_trace": nullableString, "metadata": .anyValue,
        "created_at": nullableDate,
    ])

    static let deleted = JSONSchema.object(["id": .id])

    /// Every named schema.
    static let components: [String: JSONSchema] = [
        "ErrorEnvelope": errorEnvelope, "User": user, "Tokens": tokens, "Strategy": strategy, "StrategyPerformance": strategyPerformance,
        "StrategyVersion": strategyVersion, "Dataset": dataset, "DatasetSummary": datasetSummary, "DatasetQueued": datasetQueued,
        "TrainingJob": trainingJob, "TrainingJobQueued": trainingJobQueued, "EpochMetrics": epochMetrics, "EpochMetricsList": epochMetricsList,
        "Evaluation": evaluation, "EvaluationQueued": evaluationQueued, "LogRecord": logRecord, "Deleted": deleted,
    ]
}
