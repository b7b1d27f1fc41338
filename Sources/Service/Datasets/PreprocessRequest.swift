import Foundation
import Ingest

/// `POST /api/v1/data/datasets/{id}/preprocess`'s body: the seed's `operations`, and an optional
/// name and description. Each step is checked here (a 400 naming `operations[i]`); the columns
/// they name are checked by the route against the dataset's file.
struct PreprocessRequest: RequestFields {
    /// One step: its type, and the method the type needs. A split is not offered here: training
    /// jobs split their data themselves, and one request makes one dataset.
    static let step = JSONSchema.oneOf([
        .object(["type": .string(cases: [PreprocessOperation.Kind.fillMissing.rawValue]), "method": .cases(of: FillMethod.self),
                 "columns": .array(.string())], required: ["type", "method"]),
        .object(["type": .string(cases: [PreprocessOperation.Kind.normalize.rawValue]), "method": .cases(of: NormalizeMethod.self),
                 "columns": .array(.string()), "fit_from": .string()], required: ["type", "method"]),
        .object(["type": .string(cases: [PreprocessOperation.Kind.dropMissing.rawValue]), "columns": .array(.string())], required: ["type"]),
        .object(["type": .string(cases: [PreprocessOperation.Kind.tradeMasterFeatures.rawValue])], required: ["type"]),
    ])
    static let maximumSteps = 100
    static let operations = BodyField("operations", .custom(.array(.ref("PreprocessOperation"), minItems: 1, maxItems: maximumSteps)), required: true)
    static let name = BodyField("name", .text(maxLength: 100), description: "Default: \"<source name> (preprocessed)\"")
    static let description = BodyField("description", .text(maxLength: 10_000))
    static let fields = [operations, name, description]

    var steps: [PreprocessOperation] = []
    var name: String?
    var description: String?

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames)
        name = body.text(Self.name)
        description = body.text(Self.description)
        switch body.fields["operations"] {
        case .array(let items)? where !items.isEmpty && items.count <= Self.maximumSteps:
            for (index, item) in items.enumerated() {
                do {
                    let step = try JSONValueDecoder().decode(PreprocessOperation.self, from: item)
                    try step.validate(position: index)
                    if step.type == .split { body.fail("operations[\(index)]", "split is not offered here: training jobs split their data (70/15/15 in time)") }
                    steps.append(step)
                } catch let error as IngestError {
                    body.fail("operations[\(index)]", error.description)
                } catch let error as DecodingError where !["body", "type"].contains(error.fieldPath) {
                    // A parameter of the wrong type: name it.
                    body.fail("operations[\(index)].\(error.fieldPath)", error.reason)
                } catch {
                    body.fail("operations[\(index)]", "type is one of fill_missing, normalize, drop_missing, trademaster_features, with method, columns as documented")
                }
            }
        default:
            body.fail("operations", "a non-empty array of at most \(Self.maximumSteps) operations is required")
        }
        try body.validate()
    }
}
