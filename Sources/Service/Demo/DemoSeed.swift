import Foundation
import Logging
import PostgresNIO

/// What `make run` (`qf serve --demo`) puts in the database so there is something to use at
/// once: the `demo` user and the sample bar file as their dataset, ingested by the worker like
/// any upload. Idempotent: a second start finds both and adds nothing.
public enum DemoSeed {
    public static let username = "demo"
    public static let password = "quantforge-demo-1"
    public static let datasetName = "sample daily bars"

    /// What was found or made.
    public struct Seeded: Sendable {
        public var userID: Int
        public var datasetID: Int
        public var datasetStatus: String
    }

    public static func ensure(database: Database, data: DataSettings, sampleCSV: String, bcryptCost: UInt8, logger: Logger) async throws -> Seeded {
        var userID: Int?
        for try await id in try await database.primary.query("SELECT id FROM users WHERE lower(username) = \(username)", logger: logger).decode(Int.self) { userID = id }
        if userID == nil {
            userID = try await AccountCreation.create(username: username, email: "demo@quantforge.local", password: password, fullName: "Demo User",
                                                      superuser: false, database: database, cost: bcryptCost, logger: logger).id
        }
        guard let userID else { throw APIError.internalError }
        for try await (id, status) in try await database.primary.query("""
            SELECT id, status::text FROM datasets WHERE owner_id = \(userID) AND name = \(datasetName) AND status <> 'error' ORDER BY id LIMIT 1
            """, logger: logger).decode((Int, String).self) {
            return Seeded(userID: userID, datasetID: id, datasetStatus: status)
        }
        guard let contents = FileManager.default.contents(atPath: sampleCSV) else {
            throw AccountCreation.Rejected(field: "sample data", problem: "cannot read \(sampleCSV)")
        }
        let store = DatasetStore(database: database)
        let id = try await store.beginUpload(name: datasetName, fileType: "csv", ownerID: userID, logger: logger)
        let path = data.uploadPath(id: id, type: "csv")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: contents) else {
            try await store.discard(id: id, logger: logger)
            throw AccountCreation.Rejected(field: "sample data", problem: "cannot write \(path)")
        }
        _ = try await store.finishUpload(id: id, name: datasetName, description: "Synthetic daily OHLCV bars shipped with QuantForge (data/synthetic.csv)",
                                         filePath: path, fileSize: Int64(contents.count), ownerID: userID, logger: logger)
        return Seeded(userID: userID, datasetID: id, datasetStatus: "processing")
    }
}
