import Foundation
import Ingest
import Logging
import PostgresNIO

/// The SQL behind datasets, scoped like strategies (owner, or everything for a superuser). An
/// upload's row exists from its first byte (`uploading`); finishing it sets `processing` and
/// queues the ingestion in one transaction.
public struct DatasetStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    static func scope(_ user: AuthenticatedUser, into conditions: inout SQLConditions) {
        if !user.isSuperuser { conditions.add(user.id) { "d.owner_id = \($0)" } }
    }

    /// A row for an upload that has begun.
    public func beginUpload(name: String, fileType: String, ownerID: Int, logger: Logger) async throws -> Int {
        let query: PostgresQuery = """
            INSERT INTO datasets (name, file_path, file_type, status, owner_id) VALUES (\(name), '', \(fileType), 'uploading', \(ownerID)) RETURNING id
            """
        for try await id in try await database.primary.query(query, logger: logger).decode(Int.self) { return id }
        throw StoreError.missingRow("the new dataset's row")
    }

    /// The upload is on disk: name it, record its size and path, set `processing` and queue the
    /// ingestion — one transaction, so the task exists exactly when the row says `processing`.
    public func finishUpload(id: Int, name: String, description: String?, filePath: String, fileSize: Int64, ownerID: Int,
                             logger: Logger) async throws -> String {
        try await database.transaction(logger: logger) { connection in
            try await connection.query("""
                UPDATE datasets SET name = \(name), description = \(description), file_path = \(filePath), file_size = \(fileSize), status = 'processing'
                WHERE id = \(id)
                """, logger: logger)
            return try await TaskQueue.enqueue(NewTask(name: IngestDatasetHandler.taskName, kwargs: .object(["dataset_id": .int(Int64(id))]),
                                                       queue: TaskQueues.ingest, userID: ownerID, relatedType: .dataset, relatedID: id),
                                               on: connection, logger: logger)
        }
    }

    /// A dataset derived from `source` by preprocessing: its row (`processing`, an HDF5 file) and
    /// the `preprocess_dataset` task, in one transaction.
    public func beginDerived(from source: DatasetRecord, name: String, description: String, operations: JSONValue, barFile: (Int) -> String,
                             ownerID: Int, logger: Logger) async throws -> (id: Int, taskID: String) {
        try await database.transaction(logger: logger) { connection in
            var id = 0
            for try await value in try await connection.query("""
                INSERT INTO datasets (name, description, file_path, file_type, status, owner_id)
                VALUES (\(name), \(description), '', 'h5', 'processing', \(ownerID)) RETURNING id
                """, logger: logger).decode(Int.self) { id = value }
            try await connection.query("UPDATE datasets SET file_path = \(barFile(id)) WHERE id = \(id)", logger: logger)
            let taskID = try await TaskQueue.enqueue(NewTask(name: PreprocessDatasetHandler.taskName,
                                                             kwargs: .object(["source_id": .int(Int64(source.id)), "dataset_id": .int(Int64(id)), "operations": operations]),
                                                             queue: TaskQueues.ingest, userID: ownerID, relatedType: .dataset, relatedID: id),
                                                     on: connection, logger: logger)
            return (id, taskID)
        }
    }

    /// Removes the row of an upload that did not finish.
    public func discard(id: Int, logger: Logger) async throws {
        try await database.primary.query("DELETE FROM datasets WHERE id = \(id) AND status = 'uploading'", logger: logger)
    }

    public func list(for user: AuthenticatedUser, status: String?, search: String?, query: ListQuery, logger: Logger) async throws -> Page<DatasetRecord.Summary> {
        var conditions = SQLConditions()
        Self.scope(user, into: &conditions)
        if let status { conditions.add(status) { "d.status = \($0)::dataset_status" } }
        if let search { conditions.add(SQLConditions.containsPattern(search)) { "d.name ILIKE \($0) OR d.description ILIKE \($0)" } }
        return try await database.page(of: "datasets", alias: "d", columns: DatasetRecord.columnsSQL, conditions: conditions, query: query, logger: logger) {
            try await DatasetRecord.all($0).map(DatasetRecord.Summary.init)
        }
    }

    public func find(_ id: Int, for user: AuthenticatedUser, reading freshness: ReadFreshness = .anyReplica, logger: Logger) async throws -> DatasetRecord {
        var conditions = SQLConditions()
        conditions.add(id) { "d.id = \($0)" }
        Self.scope(user, into: &conditions)
        let query = PostgresQuery(unsafeSQL: "SELECT \(DatasetRecord.columnsSQL) FROM datasets d \(conditions.whereClause)", binds: conditions.binds)
        guard let record = try await DatasetRecord.all((freshness == .latest ? database.primary : database.reader).query(query, logger: logger)).first else {
            throw StoreError.notFound("Dataset \(id) not found")
        }
        return record
    }

    /// A dataset by id regardless of owner (the worker's view).
    public func find(_ id: Int, logger: Logger) async throws -> DatasetRecord? {
        try await DatasetRecord.all(database.primary.query("SELECT \(unescaped: DatasetRecord.columnsSQL) FROM datasets d WHERE d.id = \(id)", logger: logger)).first
    }

    /// Deletes the row (refused while training jobs or evaluations use it); returns it.
    public func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> DatasetRecord {
        let record = try await find(id, for: user, reading: .latest, logger: logger)
        do {
            try await database.primary.query("DELETE FROM datasets WHERE id = \(id)", logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StoreError.conflict("Dataset \(id) is used by training jobs or evaluations; delete those first", field: nil)
        }
        return record
    }

    /// Stores what the ingestion learned; the dataset is `ready`.
    public func markReady(id: Int, summary: DatasetSummary, barFile: String, logger: Logger) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Non-finite numbers (which JSON cannot hold) are written as strings rather than losing
        // the whole document.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        func text<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) }
        var statistics = (try? JSONValue.parse(text(summary.statistics)))?.objectValue ?? [:]
        statistics["symbols"] = try? JSONValue.parse(text(summary.symbols))
        statistics["time_range"] = .array(summary.timeRange.map(JSONValue.string))
        statistics["warnings"] = .array(summary.warnings.map(JSONValue.string))
        let query: PostgresQuery = """
            UPDATE datasets SET status = 'ready', error_message = NULL, file_path = \(barFile), row_count = \(summary.rowCount),
                column_count = \(summary.columnCount), columns = \(text(summary.columns))::jsonb, statistics = \(JSONValue.object(statistics).jsonText)::jsonb,
                sample_data = \(text(summary.sampleData))::jsonb, processed_at = CURRENT_TIMESTAMP
            WHERE id = \(id)
            """
        try await database.primary.query(query, logger: logger)
    }

    /// The ingestion failed: `error` with what and where.
    public func markError(id: Int, message: String, logger: Logger) async throws {
        try await database.primary.query("""
            UPDATE datasets SET status = 'error', error_message = \(String(message.prefix(10_000))), processed_at = CURRENT_TIMESTAMP WHERE id = \(id)
            """, logger: logger)
    }

    /// The owner's newest ready dataset whose statistics list `symbol` (a benchmark looked up by symbol).
    public func latestReady(withSymbol symbol: String, ownerID: Int, logger: Logger) async throws -> (id: Int, path: String)? {
        for try await (id, path) in try await database.primary.query("""
            SELECT id, file_path FROM datasets
            WHERE owner_id = \(ownerID) AND status = 'ready' AND statistics->'symbols' ? \(symbol)
            ORDER BY created_at DESC, id DESC LIMIT 1
            """, logger: logger).decode((Int, String).self) { return (id, path) }
        return nil
    }

    /// The names of the owner's newest ready datasets (for messages that say what there is).
    public func readyNames(ownerID: Int, limit: Int, logger: Logger) async throws -> [String] {
        var names: [String] = []
        for try await name in try await database.primary.query("""
            SELECT name FROM datasets WHERE owner_id = \(ownerID) AND status = 'ready' ORDER BY created_at DESC LIMIT \(limit)
            """, logger: logger).decode(String.self) { names.append(name) }
        return names
    }
}
