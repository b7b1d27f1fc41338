import Foundation
import Hummingbird

/// The OpenAPI 3.1 description of the whole API, served at `/api/v1/openapi.json`. Each route is
/// listed once in `operations`; a test compares the list with the routes the router registers,
/// so the document cannot drift from the code.
public enum OpenAPIDocument {
    /// One documented operation.
    public struct Operation: Sendable {
        public var method: String
        public var path: String
        public var summary: String
        /// Status code → description; 2xx use the success envelope, others the error envelope.
        public var responses: [Int: String]
        /// Needs `Authorization: Bearer <access token>`.
        public var authenticated = false
        /// Query parameters the operation reads.
        public var query: [String] = []
        /// Fields of the JSON request body, when it takes one.
        public var body: [String] = []
    }

    static let authErrors: [Int: String] = [401: "Missing, invalid, expired or revoked access token"]

    public static let operations: [Operation] = [
        Operation(method: "get", path: "/healthz", summary: "The process answers", responses: [200: "Up"]),
        Operation(method: "get", path: "/readyz", summary: "The database answers and every migration is applied",
                  responses: [200: "Ready", 503: "Database unreachable or migrations pending"]),
        Operation(method: "get", path: "/metrics", summary: "Request counts and latencies by route and status (Prometheus text)",
                  responses: [200: "Prometheus exposition format"]),
        Operation(method: "get", path: "/api/v1/openapi.json", summary: "This document", responses: [200: "The OpenAPI 3.1 document"]),
    ] + authOperations + userOperations + strategyOperations + logOperations + datasetOperations + trainingOperations + evaluationOperations

    static let authOperations: [Operation] = [
        Operation(method: "post", path: "/api/v1/auth/register", summary: "Create an account",
                  responses: [201: "The new user", 400: "A field fails validation (named in details)", 409: "Username or email taken (named in details)"],
                  body: ["username", "email", "password", "full_name"]),
        Operation(method: "post", path: "/api/v1/auth/login", summary: "Sign in: an access token, a refresh token and the user",
                  responses: [200: "Tokens and user", 400: "Missing fields", 401: "Wrong username or password", 403: "Account deactivated",
                              429: "Too many failed logins (Retry-After)"],
                  body: ["username", "password", "remember_me"]),
        Operation(method: "post", path: "/api/v1/auth/refresh", summary: "Rotate the refresh token (sent as the bearer token) for a new pair",
                  responses: [200: "New access and refresh tokens", 401: "Unknown, expired or reused refresh token (reuse revokes the session)"]),
        Operation(method: "post", path: "/api/v1/auth/logout", summary: "Revoke this session", responses: [200: "Revoked"].merging(authErrors) { $1 },
                  authenticated: true),
    ]

    static func authed(_ responses: [Int: String]) -> [Int: String] { responses.merging(authErrors) { $1 } }

    static let strategyOperations: [Operation] = {
        let base = "/api/v1/strategies"
        let one = "\(base)/{id}"
        let missing = [404: "No such strategy among the caller's (another user's id included)"]
        return [
            Operation(method: "get", path: base, summary: "List the caller's strategies (all, for a superuser)",
                      responses: authed([200: "A page of strategies", 400: "A bad query parameter (named in details)"]), authenticated: true,
                      query: ["page", "size", "type", "status", "tags", "category", "owner_id", "search", "sort"]),
            Operation(method: "post", path: base, summary: "Create a strategy (draft, version 1.0.0)",
                      responses: authed([201: "The strategy", 400: "A field fails validation"]), authenticated: true,
                      body: ["name", "description", "strategy_type", "config", "parameters", "tags", "category"]),
            Operation(method: "get", path: one, summary: "One strategy", responses: authed([200: "The strategy"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "put", path: one, summary: "Change fields; a config or parameters change makes a new version",
                      responses: authed([200: "The strategy", 400: "A field fails validation"].merging(missing) { $1 }), authenticated: true,
                      body: ["name", "description", "config", "parameters", "tags", "category", "changelog", "version_bump"]),
            Operation(method: "delete", path: one, summary: "Delete a strategy that is not active",
                      responses: authed([200: "Deleted", 409: "The strategy is active"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "post", path: "\(one)/start", summary: "draft, paused, stopped or error → active",
                      responses: authed([200: "The strategy", 409: "Not allowed from the current status"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "post", path: "\(one)/stop", summary: "active or paused → stopped",
                      responses: authed([200: "The strategy", 409: "Not allowed from the current status"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "post", path: "\(one)/clone", summary: "A draft copy owned by the caller",
                      responses: authed([201: "The copy"].merging(missing) { $1 }), authenticated: true, body: ["name"]),
            Operation(method: "get", path: "\(one)/versions", summary: "The strategy's versions, newest first",
                      responses: authed([200: "A page of versions"].merging(missing) { $1 }), authenticated: true, query: ["page", "size", "sort"]),
            Operation(method: "post", path: "\(one)/versions/{version}/activate", summary: "Make an earlier version's config and parameters current",
                      responses: authed([200: "The strategy", 400: "Not a MAJOR.MINOR.PATCH version"].merging(missing) { $1 }), authenticated: true),
        ]
    }()

    static let datasetOperations: [Operation] = [
        Operation(method: "post", path: "/api/v1/data/upload", summary: "Upload a CSV (multipart: file, name, description); ingestion is queued",
                  responses: authed([201: "The dataset, processing", 400: "Not multipart, no file part, or not a .csv file", 413: "Larger than the upload limit"]),
                  authenticated: true),
        Operation(method: "get", path: "/api/v1/data/datasets", summary: "The caller's datasets (all, for a superuser)",
                  responses: authed([200: "A page of datasets", 400: "A bad query parameter"]), authenticated: true,
                  query: ["page", "size", "status", "search", "sort"]),
        Operation(method: "get", path: "/api/v1/data/datasets/{id}", summary: "One dataset with its columns, statistics and sample rows",
                  responses: authed([200: "The dataset", 404: "No such dataset among the caller's"]), authenticated: true),
        Operation(method: "post", path: "/api/v1/data/datasets/{id}/preprocess", summary: "Derive a new dataset by preprocessing operations (queued)",
                  responses: authed([201: "The new dataset, processing", 400: "An operation fails validation (named as operations[i])",
                                     404: "No such dataset among the caller's", 409: "The source is not ready"]),
                  authenticated: true, body: ["operations", "name", "description"]),
        Operation(method: "delete", path: "/api/v1/data/datasets/{id}", summary: "Delete a dataset and its files",
                  responses: authed([200: "Deleted", 404: "No such dataset among the caller's", 409: "Used by training jobs or evaluations"]),
                  authenticated: true),
    ]

    static let trainingOperations: [Operation] = {
        let base = "/api/v1/training/jobs"
        let missing = [404: "No such training job among the caller's"]
        return [
            Operation(method: "post", path: base, summary: "Queue a training job (TradeMaster-style config and hyperparameters); with search, a hyperparameter search whose trials are child jobs",
                      responses: authed([201: "The job, pending, with its task id (a search: its trial and child-job counts)", 400: "A field fails validation or a name does not resolve",
                                         404: "Strategy or dataset not the caller's", 409: "Dataset not ready"]), authenticated: true,
                      body: ["name", "description", "strategy_id", "dataset_id", "config", "hyperparameters", "search"]),
            Operation(method: "get", path: base, summary: "The caller's training jobs", responses: authed([200: "A page of jobs", 400: "A bad query parameter"]),
                      authenticated: true, query: ["page", "size", "status", "strategy_id", "search", "sort"]),
            Operation(method: "get", path: "\(base)/{id}", summary: "A job: status, progress, epochs, metrics, log tail, times",
                      responses: authed([200: "The job"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "delete", path: "\(base)/{id}", summary: "Delete a job with its metrics and files (a pending or running one is cancelled first)",
                      responses: authed([200: "The deleted job's id"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "get", path: "\(base)/{id}/model", summary: "The trained weights (the best epoch's, safetensors)",
                      responses: authed([200: "The safetensors file", 404: "No such training job among the caller's, or not completed"]), authenticated: true),
            Operation(method: "post", path: "\(base)/{id}/cancel", summary: "Cancel: pending at once, running at the next safe point",
                      responses: authed([200: "The job", 409: "Already finished"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "get", path: "\(base)/{id}/metrics", summary: "Per-epoch metrics",
                      responses: authed([200: "The epochs", 400: "A bad bound"].merging(missing) { $1 }), authenticated: true,
                      query: ["start_epoch", "end_epoch"]),
        ]
    }()

    static let evaluationOperations: [Operation] = {
        let base = "/api/v1/evaluations"
        let missing = [404: "No such evaluation among the caller's"]
        return [
            Operation(method: "post", path: base, summary: "Queue an evaluation (backtest, performance, risk or comparison), split into shard tasks",
                      responses: authed([201: "The evaluation, pending, with its first task id and shard count", 400: "A field or config field fails validation",
                                         404: "Strategy, dataset or training job not the caller's", 409: "Dataset not ready or training job not completed"]),
                      authenticated: true, body: ["name", "evaluation_type", "strategy_id", "dataset_id", "config"]),
            Operation(method: "get", path: base, summary: "The caller's evaluations (without charts)",
                      responses: authed([200: "A page of evaluations", 400: "A bad query parameter"]), authenticated: true,
                      query: ["page", "size", "status", "evaluation_type", "strategy_id", "search", "sort"]),
            Operation(method: "get", path: "\(base)/{id}", summary: "An evaluation: status, progress, results, charts, report_url",
                      responses: authed([200: "The evaluation"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "delete", path: "\(base)/{id}", summary: "Delete an evaluation with its shards and report (running tasks are stopped first)",
                      responses: authed([200: "The deleted evaluation's id"].merging(missing) { $1 }), authenticated: true),
            Operation(method: "get", path: "\(base)/{id}/report", summary: "The HTML report (format=csv: a grid's whole ranked table)",
                      responses: authed([200: "The report", 404: "No such evaluation among the caller's, or no report yet"]), authenticated: true,
                      query: ["format", "token"]),
        ]
    }()

    static let logOperations: [Operation] = [
        Operation(method: "get", path: "/api/v1/logs", summary: "System logs (superusers)",
                  responses: authed([200: "A page of log records", 400: "A bad query parameter", 403: "Not a superuser"]), authenticated: true,
                  query: ["page", "size", "level", "min_level", "module", "user_id", "request_id", "start_time", "end_time", "search", "sort"]),
    ]

    static let userOperations: [Operation] = [
        Operation(method: "get", path: "/api/v1/users/me", summary: "The signed-in user", responses: [200: "The user"].merging(authErrors) { $1 },
                  authenticated: true),
        Operation(method: "put", path: "/api/v1/users/me", summary: "Change full_name, avatar_url or settings",
                  responses: [200: "The updated user", 400: "A field fails validation"].merging(authErrors) { $1 },
                  authenticated: true, body: ["full_name", "avatar_url", "settings"]),
    ]

    /// The document as JSON.
    public static func json() throws -> Data {
        var paths: [String: [String: Any]] = [:]
        for op in operations {
            var responses: [String: Any] = [:]
            for (status, description) in op.responses {
                let plain = op.path.hasSuffix("openapi.json") || op.path == "/metrics"
                let schema = plain && status == 200 ? ["type": op.path == "/metrics" ? "string" : "object"]
                    : ["$ref": status < 300 ? "#/components/schemas/SuccessEnvelope" : "#/components/schemas/ErrorEnvelope"]
                responses[String(status)] = ["description": description, "content": ["application/json": ["schema": schema]]]
            }
            var entry: [String: Any] = ["summary": op.summary, "operationId": operationID(op), "responses": responses]
            let parameters = op.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { part -> [String: Any] in
                ["name": String(part.dropFirst().dropLast()), "in": "path", "required": true, "schema": ["type": "string"]]
            }
            let queryParameters = op.query.map { name -> [String: Any] in ["name": name, "in": "query", "required": false, "schema": ["type": "string"]] }
            if !(parameters + queryParameters).isEmpty { entry["parameters"] = parameters + queryParameters }
            if op.authenticated { entry["security"] = [["bearerAuth": [String]()]] }
            if !op.body.isEmpty {
                let properties = Dictionary(uniqueKeysWithValues: op.body.map { ($0, [:] as [String: Any]) })
                entry["requestBody"] = ["required": true, "content": ["application/json": ["schema": ["type": "object", "properties": properties]]]]
            }
            paths[op.path, default: [:]][op.method] = entry
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "QuantForge API", "version": "1.0.0",
                     "description": "Training and backtest jobs over REST; every response uses the envelopes below and carries X-Request-ID."],
            "paths": paths,
            "components": ["schemas": schemas,
                           "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]]],
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
    }

    static func operationID(_ op: Operation) -> String {
        op.method + op.path.split(separator: "/").map { $0.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "{", with: "by_").replacingOccurrences(of: "}", with: "") }
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static var schemas: [String: Any] { [
        "SuccessEnvelope": [
            "type": "object",
            "required": ["success", "data", "message", "code", "timestamp", "request_id"],
            "properties": [
                "success": ["type": "boolean", "const": true], "data": [:] as [String: Any], "message": ["type": "string"],
                "code": ["type": "integer"], "timestamp": ["type": "integer", "description": "Unix seconds"], "request_id": ["type": "string"],
            ],
        ],
        "Page": [
            "type": "object",
            "required": ["items", "total", "page", "size", "pages"],
            "properties": ["items": ["type": "array"], "total": ["type": "integer"], "page": ["type": "integer"],
                           "size": ["type": "integer"], "pages": ["type": "integer"]],
        ],
        "ErrorEnvelope": [
            "type": "object",
            "required": ["success", "error", "timestamp", "request_id"],
            "properties": [
                "success": ["type": "boolean", "const": false],
                "error": [
                    "type": "object", "required": ["code", "message", "type", "details"],
                    "properties": [
                        "code": ["type": "integer"], "message": ["type": "string"], "type": ["type": "string"],
                        "details": ["type": "array", "items": ["type": "object", "required": ["field", "message"],
                                                               "properties": ["field": ["type": "string"], "message": ["type": "string"]]]],
                    ],
                ],
                "timestamp": ["type": "integer"], "request_id": ["type": "string"],
            ],
        ],
    ] }

    /// Registers the document's own route.
    public static func register(on router: Router<APIContext>) {
        router.get("/api/v1/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try json())))
        }
    }
}
