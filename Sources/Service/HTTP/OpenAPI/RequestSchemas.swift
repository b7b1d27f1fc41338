import Ingest

/// The request bodies' schemas, with the limits the routes enforce (the HTTP tests and
/// schemathesis send what these allow and expect it accepted, and what they forbid and expect a 400).
public enum RequestSchemas {
    /// Text with a character that is not white space as Foundation trims it (Unicode's Zs, tab,
    /// and U+000A–U+000D, U+0085, U+2028, U+2029), spelled out: `\\S` means something else in
    /// each regex dialect.
    static let notBlank = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    /// A required name: not blank once trimmed.
    static func name(maxLength: Int) -> JSONSchema { .string(minLength: 1, maxLength: maxLength, pattern: notBlank) }
    static let description = JSONSchema.string(maxLength: 10_000).nullable
    static let tags = JSONSchema.array(.string(minLength: 1, maxLength: 50, pattern: notBlank), maxItems: 50)

    static let register = JSONSchema.object([
        "username": .string(minLength: 3, maxLength: 50, pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
        "email": .string(maxLength: 100, pattern: "^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$"),
        "password": JSONSchema.string(minLength: 8, maxLength: 72, pattern: "^(?=.*[A-Za-z])(?=.*[0-9])")
            .described("8 to 72 bytes with a letter and a digit; not the username, not a common password"),
        "full_name": JSONSchema.string(maxLength: 100).nullable,
    ], required: ["username", "email", "password"])

    static let login = JSONSchema.object([
        "username": JSONSchema.string(minLength: 1, maxLength: 100, pattern: notBlank).described("The username or the email"),
        "password": .string(minLength: 1, maxLength: 200),
        "remember_me": JSONSchema.boolean.nullable.described("A 30-day refresh token instead of 7 days"),
    ], required: ["username", "password"])

    static let updateUser = JSONSchema.object([
        "full_name": JSONSchema.string(maxLength: 100).nullable.described("Empty or null clears it"),
        "avatar_url": JSONSchema.string(maxLength: 500, pattern: "^(\(UserRoutes.webURLCore))?$").nullable
            .described("An http(s) URL; empty or null clears it"),
        "settings": JSONSchema.freeObject.described("Merged into the stored settings"),
    ], required: [])

    static let createStrategy = JSONSchema.object([
        "name": name(maxLength: 100), "description": description, "strategy_type": .string(cases: StrategyLifecycle.types),
        "config": JSONSchema.freeObject.described("The rule or expressions and, optionally, config.dataset_id"),
        "parameters": .freeObject, "tags": tags.nullable, "category": JSONSchema.string(maxLength: 50).nullable,
    ], required: ["name", "strategy_type"])

    static let updateStrategy = JSONSchema.object([
        "name": name(maxLength: 100), "description": description, "config": .freeObject, "parameters": .freeObject,
        "tags": tags.nullable, "category": JSONSchema.string(maxLength: 50).nullable,
        "changelog": JSONSchema.string(maxLength: 10_000).nullable, "version_bump": JSONSchema.cases(of: SemanticVersion.Part.self).nullable,
    ], required: [])

    static let cloneStrategy = JSONSchema.object(["name": JSONSchema.string(maxLength: 100).nullable.described("Default: \"<name> (copy)\"")],
                                                 required: [])

    static let upload = JSONSchema.object([
        "file": JSONSchema.string(format: "binary").described("The CSV file (its name ends in .csv)"),
        "name": JSONSchema.string(maxLength: 100).described("Default: the file's name"),
        "description": .string(maxLength: 10_000),
    ], required: ["file"])

    /// One step: its type, and the method the type needs.
    static let preprocessOperation = JSONSchema.oneOf([
        .object(["type": .string(cases: [PreprocessOperation.Kind.fillMissing.rawValue]), "method": .cases(of: FillMethod.self),
                 "columns": .array(.string())], required: ["type", "method"]),
        .object(["type": .string(cases: [PreprocessOperation.Kind.normalize.rawValue]), "method": .cases(of: NormalizeMethod.self),
                 "columns": .array(.string()), "fit_from": .string()], required: ["type", "method"]),
        .object(["type": .string(cases: [PreprocessOperation.Kind.dropMissing.rawValue]), "columns": .array(.string())], required: ["type"]),
        .object(["type": .string(cases: [PreprocessOperation.Kind.tradeMasterFeatures.rawValue])], required: ["type"]),
    ])

    static let preprocess = JSONSchema.object([
        "operations": .array(.ref("PreprocessOperation"), maxItems: 100).merging(["minItems": .int(1)]),
        "name": JSONSchema.string(maxLength: 100).nullable, "description": description,
    ], required: ["operations"])

    static let createTrainingJob = JSONSchema.object([
        "name": name(maxLength: 100), "description": description, "strategy_id": .id, "dataset_id": JSONSchema.id.nullable,
        "config": JSONSchema.freeObject.described("TradeMaster's names: task_name, dataset_name, agent_name, … (checked by the agent registry)"),
        "hyperparameters": .freeObject,
        "search": JSONSchema.freeObject.described("A hyperparameter search: space, trials, seeds, scheduler, metric, max_epochs, min_epochs, reduction, sampling_seed"),
    ], required: ["name", "strategy_id"])

    static let createEvaluation = JSONSchema.object([
        "name": name(maxLength: 100), "evaluation_type": .cases(of: EvaluationPlan.Kind.self), "strategy_id": .id,
        "dataset_id": JSONSchema.id.nullable,
        "config": JSONSchema.freeObject.described("The run: rule, parameters or grid, commission, time range, walk_forward, …"),
    ], required: ["name", "evaluation_type", "strategy_id"])

    /// Request schemas referred to by name.
    static let components: [String: JSONSchema] = ["PreprocessOperation": preprocessOperation]
}

extension JSONSchema {
    /// This schema with more keywords.
    func merging(_ more: [String: JSONValue]) -> JSONSchema {
        JSONSchema(keywords.merging(more) { $1 })
    }
}
