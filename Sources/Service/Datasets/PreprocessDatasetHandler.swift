import Foundation
import Ingest
import Logging

/// The worker's side of `POST /datasets/{id}/preprocess`: runs Ingest's preprocessing
/// (fill_missing, normalize, drop_missing, trademaster_features) over the source dataset's bar
/// file into the new dataset's, which records its lineage (source and operations) as Ingest's
/// preprocessing always does, then describes it into the row — `ready` — or records the failure —
/// `error`.
public struct PreprocessDatasetHandler: TaskHandler {
    public static let taskName = TaskName.preprocessDataset.rawValue
    let store: any DatasetStoring
    let settings: DataSettings

    public init(stores: ServiceStores, settings: DataSettings) {
        store = stores.datasets
        self.settings = settings
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        let kwargs = task.kwargs.objectValue ?? [:]
        guard case .int(let sourceID)? = kwargs["source_id"], case .int(let targetID)? = kwargs["dataset_id"], let operations = kwargs["operations"] else {
            throw PermanentTaskFailure("preprocess_dataset: kwargs source_id, dataset_id and operations are required")
        }
        guard let source = try await store.find(Int(sourceID), logger: context.logger), source.status == .ready else {
            try await store.markError(id: Int(targetID), message: "the source dataset \(sourceID) is gone or not ready", logger: context.logger)
            throw PermanentTaskFailure("source dataset \(sourceID) is gone or not ready")
        }
        let steps: [PreprocessOperation]
        do { steps = try JSONValueDecoder().decode([PreprocessOperation].self, from: operations) } catch {
            throw PermanentTaskFailure("preprocess_dataset: operations do not decode: \(error)")
        }
        try settings.makeDirectories()
        let output = settings.barFilePath(id: Int(targetID)), input = source.filePath
        do {
            let summary = try await TaskThread.run { () throws -> DatasetSummary in
                _ = try Preprocessor.run(input: input, operations: steps, output: output)
                return try DatasetSummary.describe(try BarFile(path: output))
            }
            try await store.markReady(id: Int(targetID), summary: summary, barFile: output, logger: context.logger)
            return .object(["dataset_id": .int(targetID), "rows": .int(Int64(summary.rowCount))])
        } catch let error as IngestError {
            try await store.markError(id: Int(targetID), message: error.description, logger: context.logger)
            throw PermanentTaskFailure(error.description)
        }
    }
}
