import Ingest
import Logging

/// Where datasets are kept: what the dataset, training and evaluation routes and the ingest and
/// preprocess handlers need. `DatasetStore` (PostgreSQL) is the implementation.
public protocol DatasetStoring: Sendable {
    /// An upload's row while its file arrives; its id names the file.
    func beginUpload(name: String, fileType: String, ownerID: Int, logger: Logger) async throws -> Int
    /// The arrived upload described and its ingestion queued; the task's id.
    func finishUpload(id: Int, name: String, description: String?, filePath: String, fileSize: Int64, ownerID: Int, logger: Logger) async throws -> String
    /// A dataset derived from `source` by `operations`, queued.
    func beginDerived(from source: DatasetRecord, name: String, description: String, operations: JSONValue, barFile: (Int) -> String,
                      ownerID: Int, logger: Logger) async throws -> (id: Int, taskID: String)
    /// An upload that failed before it was queued, removed.
    func discard(id: Int, logger: Logger) async throws
    func list(for user: AuthenticatedUser, status: String?, search: String?, query: ListQuery, logger: Logger) async throws -> Page<DatasetRecord.Summary>
    func find(_ id: Int, for user: AuthenticatedUser, reading freshness: ReadFreshness, logger: Logger) async throws -> DatasetRecord
    /// A dataset regardless of owner (a worker's view); nil when gone.
    func find(_ id: Int, logger: Logger) async throws -> DatasetRecord?
    func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> DatasetRecord
    func markReady(id: Int, summary: DatasetSummary, barFile: String, logger: Logger) async throws
    func markError(id: Int, message: String, logger: Logger) async throws
    func latestReady(withSymbol symbol: String, ownerID: Int, logger: Logger) async throws -> (id: Int, path: String)?
    func readyNames(ownerID: Int, limit: Int, logger: Logger) async throws -> [String]
}

extension DatasetStoring {
    /// From any replica.
    public func find(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> DatasetRecord {
        try await find(id, for: user, reading: .anyReplica, logger: logger)
    }
}

extension DatasetStore: DatasetStoring {}
