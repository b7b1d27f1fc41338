import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of the whole API, served at `/api/v1/openapi.json` and checked in
/// as `Sources/QuantForgeClient/openapi.json`, which the typed client is generated from (`make
/// openapi` writes it; a test keeps the two equal).
/// It is generated from the code: the operations below, the record schemas in `APISchemas`, the
/// request schemas in `RequestSchemas`, the list endpoints' `ListParameters` and the status enums.
/// Tests compare the operations with the routes the router registers and validate every response
/// the HTTP tests receive against it.
public enum OpenAPIDocument {
    public static let operations: [APIOperation] = health + auth + users + strategies + logs + datasets + training + evaluations

    /// Each operation's id, the generated client's method name.
    static let operationIDs: [String: String] = [
        "get /healthz": "getHealth", "get /readyz": "getReadiness", "get /metrics": "getMetrics", "get /api/v1/openapi.json": "getOpenAPIDocument",
        "post /api/v1/auth/register": "register", "post /api/v1/auth/login": "login", "post /api/v1/auth/refresh": "refreshSession",
        "post /api/v1/auth/logout": "logout", "get /api/v1/users/me": "getCurrentUser", "put /api/v1/users/me": "updateCurrentUser",
        "get /api/v1/strategies": "listStrategies", "post /api/v1/strategies": "createStrategy", "get /api/v1/strategies/{id}": "getStrategy",
        "put /api/v1/strategies/{id}": "updateStrategy", "delete /api/v1/strategies/{id}": "deleteStrategy",
        "post /api/v1/strategies/{id}/start": "startStrategy", "post /api/v1/strategies/{id}/stop": "stopStrategy",
        "post /api/v1/strategies/{id}/clone": "cloneStrategy", "get /api/v1/strategies/{id}/versions": "listStrategyVersions",
        "post /api/v1/strategies/{id}/versions/{version}/activate": "activateStrategyVersion",
        "post /api/v1/data/upload": "uploadDataset", "get /api/v1/data/datasets": "listDatasets", "get /api/v1/data/datasets/{id}": "getDataset",
        "post /api/v1/data/datasets/{id}/preprocess": "preprocessDataset", "delete /api/v1/data/datasets/{id}": "deleteDataset",
        "post /api/v1/training/jobs": "createTrainingJob", "get /api/v1/training/jobs": "listTrainingJobs", "get /api/v1/training/jobs/{id}": "getTrainingJob",
        "delete /api/v1/training/jobs/{id}": "deleteTrainingJob", "get /api/v1/training/jobs/{id}/model": "downloadModel",
        "post /api/v1/training/jobs/{id}/cancel": "cancelTrainingJob", "get /api/v1/training/jobs/{id}/metrics": "getTrainingMetrics",
        "post /api/v1/evaluations": "createEvaluation", "get /api/v1/evaluations": "listEvaluations", "get /api/v1/evaluations/{id}": "getEvaluation",
        "delete /api/v1/evaluations/{id}": "deleteEvaluation", "get /api/v1/evaluations/{id}/report": "getEvaluationReport",
        "get /api/v1/logs": "listLogs",
    ]

    static let health: [APIOperation] = [
        .init("get", "/healthz", "The process answers", authenticated: false,
              responses: [200: .ok("Up", .object(["status": .string(cases: ["ok"])]))]),
        .init("get", "/readyz", "The database answers and every migration is applied", authenticated: false,
              responses: [200: .ok("Ready", .object(["database": .string(cases: ["ok"]), "migrations": .string(cases: ["current"])])),
                          503: .error("Database unreachable or migrations pending")]),
        .init("get", "/metrics", "Request counts and latencies by route and status, queue and pool gauges (Prometheus text)", authenticated: false,
              responses: [200: .init(description: "Prometheus exposition format", content: .media(["text/plain": .string()]))]),
        .init("get", "/api/v1/openapi.json", "This document", authenticated: false,
              responses: [200: .init(description: "The OpenAPI 3.1 document", content: .media(["application/json": .freeObject]))]),
    ]

    static let auth: [APIOperation] = [
        .init("post", "/api/v1/auth/register", "Create an account", authenticated: false, body: .json(RequestSchemas.register, required: true),
              responses: [201: .ok("The new user", .ref("User")), 400: .error("A field fails validation (named in details)"),
                          409: .error("Username or email taken (named in details)")]),
        .init("post", "/api/v1/auth/login", "Sign in: an access token, a refresh token and the user", authenticated: false,
              body: .json(RequestSchemas.login, required: true),
              responses: [200: .ok("Tokens and user", .ref("Tokens")), 400: .error("Missing fields"), 401: .error("Wrong username or password"),
                          403: .error("Account deactivated"), 429: .error("Too many failed logins (Retry-After)")]),
        .init("post", "/api/v1/auth/refresh", "Rotate the refresh token (sent as the bearer token) for a new pair",
              responses: [200: .ok("New access and refresh tokens", .ref("Tokens")),
                          401: .error("Unknown, expired or reused refresh token (reuse revokes the session)")]),
        .init("post", "/api/v1/auth/logout", "Revoke this session",
              responses: [200: .ok("Revoked", .object(["revoked": JSONSchema(["const": true])]))]),
    ]

    static let users: [APIOperation] = [
        .init("get", "/api/v1/users/me", "The signed-in user", responses: [200: .ok("The user", .ref("User"))]),
        .init("put", "/api/v1/users/me", "Change full_name, avatar_url or settings", body: .json(RequestSchemas.updateUser, required: true),
              responses: [200: .ok("The updated user", .ref("User")), 400: .error("A field fails validation")]),
    ]

    static let strategies: [APIOperation] = {
        let base = "/api/v1/strategies", one = "\(base)/{id}"
        let missing: APIOperation.Response = .error("No such strategy among the caller's (another user's id included)")
        let strategy = JSONSchema.ref("Strategy")
        return [
            .init("get", base, "List the caller's strategies (all, for a superuser)", parameters: StrategyRoutes.listing.documented,
                  responses: [200: .ok("A page of strategies", APISchemas.page(of: strategy)), 400: .error("A bad query parameter (named in details)")]),
            .init("post", base, "Create a strategy (draft, version 1.0.0)", body: .json(RequestSchemas.createStrategy, required: true),
                  responses: [201: .ok("The strategy", strategy), 400: .error("A field fails validation"), 404: .error("config.dataset_id is not the caller's dataset")]),
            .init("get", one, "One strategy", responses: [200: .ok("The strategy", strategy), 404: missing]),
            .init("put", one, "Change fields; a config or parameters change makes a new version", body: .json(RequestSchemas.updateStrategy, required: true),
                  responses: [200: .ok("The strategy", strategy), 400: .error("A field fails validation"), 404: missing]),
            .init("delete", one, "Delete a strategy that is not active",
                  responses: [200: .ok("Deleted", .ref("Deleted")), 404: missing, 409: .error("The strategy is active")]),
            .init("post", "\(one)/start", "draft, paused, stopped or error → active",
                  responses: [200: .ok("The strategy", strategy), 404: missing, 409: .error("Not allowed from the current status")]),
            .init("post", "\(one)/stop", "active or paused → stopped",
                  responses: [200: .ok("The strategy", strategy), 404: missing, 409: .error("Not allowed from the current status")]),
            .init("post", "\(one)/clone", "A draft copy owned by the caller", body: .json(RequestSchemas.cloneStrategy, required: false),
                  responses: [201: .ok("The copy", strategy), 400: .error("A field fails validation"), 404: missing]),
            .init("get", "\(one)/versions", "The strategy's versions, newest first", parameters: StrategyRoutes.versionListing.documented,
                  responses: [200: .ok("A page of versions", APISchemas.page(of: .ref("StrategyVersion"))), 400: .error("A bad query parameter"), 404: missing]),
            .init("post", "\(one)/versions/{version}/activate", "Make an earlier version's config and parameters current",
                  responses: [200: .ok("The strategy", strategy), 400: .error("Not a MAJOR.MINOR.PATCH version"), 404: .error("No such strategy or version")]),
        ]
    }()

    static let datasets: [APIOperation] = {
        let missing: APIOperation.Response = .error("No such dataset among the caller's")
        return [
            .init("post", "/api/v1/data/upload", "Upload a CSV (multipart: file, name, description); ingestion is queued",
                  body: .multipart(RequestSchemas.upload),
                  responses: [201: .ok("The dataset, processing", .ref("DatasetQueued")), 400: .error("Not multipart, no file part, or not a .csv file"),
                              413: .error("Larger than the upload limit")]),
            .init("get", "/api/v1/data/datasets", "The caller's datasets (all, for a superuser)", parameters: DatasetRoutes.listing.documented,
                  responses: [200: .ok("A page of datasets", APISchemas.page(of: .ref("DatasetSummary"))), 400: .error("A bad query parameter")]),
            .init("get", "/api/v1/data/datasets/{id}", "One dataset with its columns, statistics and sample rows",
                  responses: [200: .ok("The dataset", .ref("Dataset")), 404: missing]),
            .init("post", "/api/v1/data/datasets/{id}/preprocess", "Derive a new dataset by preprocessing operations (queued)",
                  body: .json(RequestSchemas.preprocess, required: true),
                  responses: [201: .ok("The new dataset, processing", .ref("DatasetQueued")), 400: .error("An operation fails validation (named as operations[i])"),
                              404: missing, 409: .error("The source is not ready")]),
            .init("delete", "/api/v1/data/datasets/{id}", "Delete a dataset and its files",
                  responses: [200: .ok("Deleted", .ref("Deleted")), 404: missing, 409: .error("Used by training jobs or evaluations")]),
        ]
    }()

    static let training: [APIOperation] = {
        let base = "/api/v1/training/jobs"
        let missing: APIOperation.Response = .error("No such training job among the caller's")
        return [
            .init("post", base, "Queue a training job (TradeMaster-style config and hyperparameters); with search, a hyperparameter search whose trials are child jobs",
                  body: .json(RequestSchemas.createTrainingJob, required: true),
                  responses: [201: .ok("The job, pending, with its task id (a search: its trial and child-job counts)", .ref("TrainingJobQueued")),
                              400: .error("A field fails validation or a name does not resolve"), 404: .error("Strategy or dataset not the caller's"),
                              409: .error("Dataset not ready")]),
            .init("get", base, "The caller's training jobs", parameters: TrainingRoutes.listing.documented,
                  responses: [200: .ok("A page of jobs", APISchemas.page(of: .ref("TrainingJob"))), 400: .error("A bad query parameter")]),
            .init("get", "\(base)/{id}", "A job: status, progress, epochs, metrics, log tail, times",
                  responses: [200: .ok("The job", .ref("TrainingJob")), 404: missing]),
            .init("delete", "\(base)/{id}", "Delete a job with its metrics and files (a pending or running one is cancelled first)",
                  responses: [200: .ok("The deleted job's id", .ref("Deleted")), 404: missing]),
            .init("get", "\(base)/{id}/model", "The trained weights (the best epoch's, safetensors)",
                  responses: [200: .init(description: "The safetensors file", content: .media(["application/octet-stream": .string(format: "binary")])),
                              404: .error("No such training job among the caller's, or not completed")]),
            .init("post", "\(base)/{id}/cancel", "Cancel: pending at once, running at the next safe point",
                  responses: [200: .ok("The job", .ref("TrainingJob")), 404: missing, 409: .error("Already finished")]),
            .init("get", "\(base)/{id}/metrics", "Per-epoch metrics",
                  parameters: [.init("start_epoch", .integer(minimum: 0, maximum: Int64(Int32.max)), "The first epoch"),
                               .init("end_epoch", .integer(minimum: 0, maximum: Int64(Int32.max)), "The last epoch")],
                  responses: [200: .ok("The epochs", .ref("EpochMetricsList")), 400: .error("A bad bound"), 404: missing]),
        ]
    }()

    static let evaluations: [APIOperation] = {
        let base = "/api/v1/evaluations"
        let missing: APIOperation.Response = .error("No such evaluation among the caller's")
        return [
            .init("post", base, "Queue an evaluation (backtest, performance, risk or comparison), split into shard tasks",
                  body: .json(RequestSchemas.createEvaluation, required: true),
                  responses: [201: .ok("The evaluation, pending, with its first task id and shard count", .ref("EvaluationQueued")),
                              400: .error("A field or config field fails validation"), 404: .error("Strategy, dataset or training job not the caller's"),
                              409: .error("Dataset not ready or training job not completed")]),
            .init("get", base, "The caller's evaluations (without charts)", parameters: EvaluationRoutes.listing.documented,
                  responses: [200: .ok("A page of evaluations", APISchemas.page(of: .ref("Evaluation"))), 400: .error("A bad query parameter")]),
            .init("get", "\(base)/{id}", "An evaluation: status, progress, results, charts, report_url",
                  responses: [200: .ok("The evaluation", .ref("Evaluation")), 404: missing]),
            .init("delete", "\(base)/{id}", "Delete an evaluation with its shards and report (running tasks are stopped first)",
                  responses: [200: .ok("The deleted evaluation's id", .ref("Deleted")), 404: missing]),
            .init("get", "\(base)/{id}/report", "The HTML report (format=csv: a grid's whole ranked table); the token may come as ?token=",
                  parameters: [.init("format", .string(cases: ["html", "csv"]), "html (the default) or csv"),
                               .init("token", .string(), "The access token, for a report opened from a link")],
                  responses: [200: .init(description: "The report", content: .media(["text/html": .string(), "text/csv": .string()])),
                              404: .error("No such evaluation among the caller's, or no report yet")]),
        ]
    }()

    static let logs: [APIOperation] = [
        .init("get", "/api/v1/logs", "System logs (superusers)", parameters: LogRoutes.listing.documented,
              responses: [200: .ok("A page of log records", APISchemas.page(of: .ref("LogRecord"))), 400: .error("A bad query parameter"),
                          403: .error("Not a superuser")]),
    ]

    /// The document as a JSON value.
    public static var document: JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var item = paths[operation.path]?.objectValue ?? [:]
            item[operation.method] = operation.json
            paths[operation.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "QuantForge API", "version": "1.0.0",
                     "description": """
                        Training and backtest jobs over REST. Every JSON response uses the success or the error envelope and carries \
                        X-Request-ID. No text anywhere may hold U+0000 (PostgreSQL's text cannot): such a request is a 400 naming the field. \
                        Lengths count Unicode scalar values, as PostgreSQL's varchar does.
                        """],
            "paths": .object(paths),
            "components": ["schemas": .object(APISchemas.components.merging(RequestSchemas.components) { $1 }.mapValues(\.json)),
                           "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]]],
        ]
    }

    /// The document as pretty-printed JSON with sorted keys (as checked in).
    public static func json() throws -> Data {
        var writer = JSONWriter(capacity: 256 * 1024, indent: 2)
        document.writeJSON(to: &writer)
        return Data(writer.bytes + [UInt8(ascii: "\n")])
    }

    /// Registers the document's own route, which serves the document built once (it is the same
    /// for the life of the process; building it costs a 170 KB serialisation).
    public static func register(on router: Router<APIContext>) {
        let document = Result { ByteBuffer(bytes: try json()) }
        router.get("/api/v1/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: try document.get()))
        }
    }
}
