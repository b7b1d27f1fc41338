/// The request bodies as the API document states them: each JSON body is its request type's
/// schema (`RequestFields`), built from the very fields the type reads; the upload is a form.
public enum RequestSchemas {
    static let register = RegisterRequest.schema
    static let login = LoginRequest.schema
    static let updateUser = ProfileUpdate.schema
    static let createStrategy = CreateStrategyRequest.schema
    static let updateStrategy = UpdateStrategyRequest.schema
    static let cloneStrategy = CloneStrategyRequest.schema
    static let preprocess = PreprocessRequest.schema
    static let createTrainingJob = CreateTrainingJobRequest.schema
    static let createEvaluation = CreateEvaluationRequest.schema

    /// `POST /api/v1/data/upload`'s form (read by `MultipartUpload`).
    static let upload = JSONSchema.object([
        "file": JSONSchema.string(format: "binary").described("The CSV file (its name ends in .csv)"),
        "name": JSONSchema.string(maxLength: 100).described("Default: the file's name"),
        "description": .string(maxLength: 10_000),
    ], required: ["file"])

    /// Request schemas referred to by name.
    static let components: [String: JSONSchema] = ["PreprocessOperation": PreprocessRequest.step]
}
