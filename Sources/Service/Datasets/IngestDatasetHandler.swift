import Foundation
import Ingest
import Logging

/// The worker's side of an upload: ingests the uploaded CSV into the dataset's HDF5 bar file with
/// Ingest (validation, statistics, sample rows), then fills the row — `ready` — or records the
/// failure — `error`, with the file, line, column and value of the first problems. Ingestion runs
/// on NIO's blocking thread pool, off the concurrency threads that carry heartbeats; progress
/// (bytes read of the total) rides on the heartbeat. An ingestion is not interrupted once started
/// (it reads hundreds of MB per second); a cancel or shutdown takes effect when it ends. Ingest
/// writes to a temporary file and renames it, so a crash leaves no partial bar file.
public struct IngestDatasetHandler: TaskHandler {
    public static let taskName = TaskName.ingestDataset.rawValue
    let store: any DatasetStoring
    let settings: DataSettings

    public init(stores: ServiceStores, settings: DataSettings) {
        store = stores.datasets
        self.settings = settings
    }

    /// The symbol for a file without a symbol column: the dataset's name with anything a symbol
    /// may not hold (letters, digits and `. _ - ^ =`, at most 64) replaced by `_`.
    static func symbol(for name: String) -> String {
        let allowed = Set("._-^=")
        let cleaned = String(name.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || allowed.contains($0) ? $0 : "_" }.prefix(64))
        return cleaned.isEmpty ? "DATA" : cleaned
    }

    /// The problems in the uploader's terms: line, column and value in the file they sent (not
    /// the server's path to it).
    static func describe(_ failure: IngestFailure) -> String {
        var lines = ["\(failure.totalProblems) problem\(failure.totalProblems == 1 ? "" : "s") in \(failure.rowsRead) rows; nothing was ingested:"]
        for problem in failure.problems {
            var text = "line \(problem.line)"
            if let column = problem.column { text += ", column \(column)" }
            if let value = problem.value { text += ", value '\(value)'" }
            lines.append(text + ": " + problem.message)
        }
        if failure.totalProblems > failure.problems.count { lines.append("… and \(failure.totalProblems - failure.problems.count) more") }
        return lines.joined(separator: "\n")
    }

    /// An ingest error in the uploader's terms: the server's paths to the upload and to the bar
    /// file are never shown to clients.
    static func withoutServerPaths(_ text: String, source: String, output: String) -> String {
        text.replacingOccurrences(of: source, with: "the uploaded file").replacingOccurrences(of: output, with: "the bar file")
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        guard case .int(let rawID)? = task.kwargs.objectValue?["dataset_id"] else { throw PermanentTaskFailure("ingest_dataset: kwargs.dataset_id missing") }
        let id = Int(rawID)
        guard let dataset = try await store.find(id, logger: context.logger) else { throw PermanentTaskFailure("dataset \(id) no longer exists") }
        try settings.makeDirectories()
        let source = dataset.filePath, output = settings.barFilePath(id: id)
        var configured = IngestOptions()
        configured.symbol = Self.symbol(for: dataset.name)
        configured.onError = .reject
        let options = configured
        // Whatever the ingest itself throws is about the file, so it is final: retrying cannot
        // change it. Only the database writes after it are retried when they fail.
        let result: IngestResult
        do {
            result = try await TaskThread.run {
                try CSVIngestor.ingest(csv: source, to: output, options: options) { read, total in
                    context.report(progress: .object(["bytes_read": .int(Int64(read)), "bytes_total": .int(Int64(total))]))
                }
            }
        } catch {
            let message = (error as? IngestFailure).map(Self.describe) ?? Self.withoutServerPaths(String(describing: error), source: source, output: output)
            try await store.markError(id: id, message: message, logger: context.logger)
            throw PermanentTaskFailure(message)
        }
        try await store.markReady(id: id, summary: result.summary, barFile: output, logger: context.logger)
        return .object(["dataset_id": .int(rawID), "rows": .int(Int64(result.summary.rowCount))])
    }
}
