import Foundation
import Logging
import PostgresNIO
import Service

/// What `make run` (`qf serve --demo`) puts in the database so there is something to use at
/// once: the `demo` user and the sample bar file as their dataset, ingested by the worker like
/// any upload. Idempotent: a second start finds both and adds nothing.
enum DemoSeed {
    static let username = "demo"
    static let password = "quantforge-demo-1"
    static let datasetName = "sample daily bars"

    /// What was found or made.
    struct Seeded: Sendable {
        var userID: Int
        var datasetID: Int
        var datasetStatus: String
    }

    static func ensure(database: Database, data: DataSettings, sampleCSV: String, bcryptCost: UInt8, logger: Logger) async throws -> Seeded {
        var userID: Int?
        for try await id in try await database.primary.query("SELECT id FROM users WHERE lower(username) = \(username)", logger: logger).decode(Int.self) { userID = id }
        if userID == nil {
            userID = try await AccountCreation.create(username: username, email: "demo@quantforge.local", password: password, fullName: "Demo User",
                                                      superuser: false, users: UserStore(database: database), cost: bcryptCost, logger: logger).id
        }
        guard let userID else { throw CommandFailure("the demo user could not be created") }
        for try await (id, status) in try await database.primary.query("""
            SELECT id, status::text FROM datasets WHERE owner_id = \(userID) AND name = \(datasetName) AND status <> 'error' ORDER BY id LIMIT 1
            """, logger: logger).decode((Int, String).self) {
            return Seeded(userID: userID, datasetID: id, datasetStatus: status)
        }
        guard let contents = FileManager.default.contents(atPath: sampleCSV) else {
            throw CommandFailure("sample data: cannot read \(sampleCSV)")
        }
        let store = DatasetStore(database: database)
        let id = try await store.beginUpload(name: datasetName, fileType: "csv", ownerID: userID, logger: logger)
        let path = data.uploadPath(id: id, type: "csv")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: contents) else {
            try await store.discard(id: id, logger: logger)
            throw CommandFailure("sample data: cannot write \(path)")
        }
        _ = try await store.finishUpload(id: id, name: datasetName, description: "Synthetic daily OHLCV bars shipped with QuantForge (data/synthetic.csv)",
                                         filePath: path, fileSize: Int64(contents.count), ownerID: userID, logger: logger)
        return Seeded(userID: userID, datasetID: id, datasetStatus: "processing")
    }
}

