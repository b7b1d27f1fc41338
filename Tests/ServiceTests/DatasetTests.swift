import Foundation
import HTTPTypes
import Ingest
import NIOCore
import PostgresNIO
@testable import Service
import Testing

/// Datasets over HTTP with real uploads, a real worker and real HDF5 files: upload → processing →
/// ready with Ingest's statistics; a bad CSV ends in `error` naming the line; the size limit
/// (413, nothing left behind); wrong or missing parts; ownership; deletion removes the files.
@Suite struct DatasetTests {
    static let sample = URL(fileURLWithPath: TestDatabase.projectDirectory).appendingPathComponent("data/synthetic.csv").path

    /// A multipart/form-data body with the given fields and file part.
    static func multipart(fields: [(String, String)], file: (name: String, bytes: [UInt8])?, boundary: String = "qf-test-boundary-7MA4YWxk") -> ByteBuffer {
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        var buffer = ByteBuffer(string: body)
        if let file {
            buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: text/csv\r\n\r\n")
            buffer.writeBytes(file.bytes)
            buffer.writeString("\r\n")
        }
        buffer.writeString("--\(boundary)--\r\n")
        return buffer
    }

    static func upload(_ api: TestAPI.Harness, token: String, fields: [(String, String)], file: (name: String, bytes: [UInt8])?)
        async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        headers[.contentType] = "multipart/form-data; boundary=qf-test-boundary-7MA4YWxk"
        return try await api.client.execute(uri: "/api/v1/data/upload", method: .post, headers: headers, body: multipart(fields: fields, file: file)) {
            ($0.status, try TestAPI.json($0))
        }
    }

    /// Runs a worker with the service's handlers until the dataset leaves `processing`.
    static func process(_ api: TestAPI.Harness, datasetID: Int) async throws -> String {
        let worker = api.worker(pollInterval: .milliseconds(100))
        // Ready or in error, and its task no longer running: the worker writes the task's status
        // (and error) after the handler has written the dataset's.
        _ = try await QueueTests.runWorkers([worker], until: {
            try await AuthTests.text(api.sql, """
                SELECT (d.status::text IN ('ready', 'error') AND NOT EXISTS (
                    SELECT 1 FROM celery_tasks t WHERE t.related_type = 'dataset' AND t.related_id = d.id AND t.status = 'STARTED'))::text
                FROM datasets d WHERE d.id = \(datasetID)
                """) == "true"
        }, limit: .seconds(60))
        return try await AuthTests.text(api.sql, "SELECT status::text FROM datasets WHERE id = \(datasetID)")
    }

    @Test func anUploadIsIngestedIntoAReadyDataset() async throws {
        try await TestAPI.with("datasets_upload") { api in
            let (token, _, userID) = try await api.signUp("uploader")
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.sample)))
            let (status, body) = try await Self.upload(api, token: token, fields: [("name", "Synthetic bars"), ("description", "the sample")],
                                                       file: ("synthetic.csv", bytes))
            #expect(status == .created, "\(body)")
            let id = body.data["id"] as? Int ?? 0
            #expect(body.data["status"] as? String == "processing" && body.data["upload_progress"] as? Int == 100 && body.data["celery_task_id"] is String)
            let queued = try await AuthTests.text(api.sql, "SELECT task_name || '|' || queue || '|' || related_type || related_id FROM celery_tasks")
            #expect(queued == "ingest_dataset|ingest|dataset\(id)")
            #expect(FileManager.default.contentsEqual(atPath: api.data.uploadPath(id: id, type: "csv"), andPath: Self.sample), "stored byte for byte")

            let outcome = try await Self.process(api, datasetID: id)
            let why = try await AuthTests.text(api.sql, "SELECT coalesce(error_message, '') || ' / ' || coalesce((SELECT last_error FROM celery_tasks LIMIT 1), '') FROM datasets WHERE id = \(id)")
            #expect(outcome == "ready", "\(why)")
            let detail = try await api.call(.get, "/api/v1/data/datasets/\(id)", token: token).body.data
            // The sample's own summary, as `qf ingest` computes it, is what the row holds.
            let expected = try CSVIngestorReference.summary(of: Self.sample)
            #expect(detail["row_count"] as? Int == expected.rowCount && detail["column_count"] as? Int == expected.columnCount)
            #expect(detail["file_size"] as? Int == bytes.count && detail["file_type"] as? String == "csv" && detail["owner_id"] as? Int == userID)
            let columns = detail["columns"] as? [[String: Any]] ?? []
            #expect(columns.map { $0["name"] as? String } == expected.columns.map(\.name))
            let statistics = detail["statistics"] as? [String: Any] ?? [:]
            let close = (statistics["numerical_summary"] as? [String: Any])?["close"] as? [String: Any]
            #expect(close?["count"] as? Int == expected.statistics.numericalSummary["close"]?.count)
            #expect(abs((close?["mean"] as? Double ?? 0) - (expected.statistics.numericalSummary["close"]?.mean ?? 1)) < 1e-9)
            #expect((detail["sample_data"] as? [Any])?.isEmpty == false && detail["processed_at"] is String && detail["file_path"] == nil)
            #expect(FileManager.default.fileExists(atPath: api.data.barFilePath(id: id)))

            let list = try await api.call(.get, "/api/v1/data/datasets?status=ready", token: token).body.data
            let items = list["items"] as? [[String: Any]] ?? []
            #expect(list["total"] as? Int == 1 && items.first?["name"] as? String == "Synthetic bars" && items.first?["statistics"] == nil)

            #expect(try await api.call(.delete, "/api/v1/data/datasets/\(id)", token: token).status == .ok)
            #expect(!FileManager.default.fileExists(atPath: api.data.barFilePath(id: id)) && !FileManager.default.fileExists(atPath: api.data.uploadPath(id: id, type: "csv")))
            #expect(try await api.call(.get, "/api/v1/data/datasets/\(id)", token: token).status == .notFound)
        }
    }

    @Test func aBadCSVEndsInErrorNamingTheLine() async throws {
        try await TestAPI.with("datasets_bad") { api in
            let (token, _, _) = try await api.signUp("careless")
            let csv = "date,open,high,low,close,volume\n2024-01-01,1,2,0.5,1.5,100\n2024-01-02,1,2,0.5,oops,100\n"
            let (status, body) = try await Self.upload(api, token: token, fields: [], file: ("prices.csv", Array(csv.utf8)))
            let id = body.data["id"] as? Int ?? 0
            #expect(status == .created && body.data["name"] as? String == "prices", "the file name names it when no name is given")
            #expect(try await Self.process(api, datasetID: id) == "error")
            let message = try await AuthTests.text(api.sql, "SELECT error_message FROM datasets WHERE id = \(id)")
            #expect(message.contains("line 3, column close, value 'oops'") && !message.contains(api.data.directory), "\(message)")
            let taskError = try await AuthTests.text(api.sql, "SELECT coalesce(last_error, '') FROM celery_tasks")
            #expect(taskError.contains("line 3"), "\(taskError)")
            #expect(try await AuthTests.text(api.sql, "SELECT status::text FROM celery_tasks") == "FAILURE", "not retried: the file will not improve")
        }
    }

    /// PostgreSQL can hold no NUL byte in text or jsonb: a CSV carrying one, in a column's name, a
    /// number or a text value, ends in error naming where, instead of failing the database write.
    @Test func aNULByteEndsInErrorNamingWhere() async throws {
        try await TestAPI.with("datasets_nul") { api in
            let (token, _, _) = try await api.signUp("nul")
            let cases = [("date,clo\u{0}se\n2024-01-01,1\n2024-01-02,2\n", "column 2's name holds a NUL byte"),
                         ("date,close\n2024-01-01,1\n2024-01-02,2\u{0}\n", "line 3, column close"),
                         ("date,close,venue\n2024-01-01,1,NY\u{0}SE\n2024-01-02,2,NYSE\n", "line 2, column venue")]
            for (csv, where_) in cases {
                let (status, body) = try await Self.upload(api, token: token, fields: [], file: ("nul.csv", Array(csv.utf8)))
                let id = body.data["id"] as? Int ?? 0
                #expect(status == .created)
                #expect(try await Self.process(api, datasetID: id) == "error", "\(csv)")
                let message = try await AuthTests.text(api.sql, "SELECT error_message FROM datasets WHERE id = \(id)")
                #expect(message.contains(where_) && message.contains("NUL"), "\(message)")
            }
        }
    }

    @Test func refusedUploadsLeaveNothingBehind() async throws {
        try await TestAPI.with("datasets_refused") { api in
            let (token, _, _) = try await api.signUp("refused")
            // Over the suite's 256 KiB limit.
            let big = Array(repeating: UInt8(ascii: "1"), count: 300 * 1024)
            let (tooBig, tooBigBody) = try await Self.upload(api, token: token, fields: [("name", "big")], file: ("big.csv", big))
            #expect(tooBig == .contentTooLarge && tooBigBody.error["type"] as? String == "payload_too_large")
            let (wrongType, wrongBody) = try await Self.upload(api, token: token, fields: [], file: ("prices.xlsx", [1, 2, 3]))
            #expect(wrongType == .badRequest && wrongBody.errorFields == ["file"])
            let (empty, emptyBody) = try await Self.upload(api, token: token, fields: [("name", "empty")], file: ("empty.csv", []))
            #expect(empty == .badRequest && emptyBody.errorFields == ["file"] && (emptyBody.error["details"] as? [[String: Any]])?.first?["message"] as? String == "the file is empty")
            let (noFile, noFileBody) = try await Self.upload(api, token: token, fields: [("name", "nothing")], file: nil)
            #expect(noFile == .badRequest && noFileBody.errorFields == ["file"])
            let notMultipart = try await api.call(.post, "/api/v1/data/upload", json: ["name": "x"], token: token)
            #expect(notMultipart.status == .badRequest && notMultipart.body.errorFields == ["body"])
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM datasets") == "0")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks") == "0")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: api.data.uploads)) ?? []
            #expect(left.isEmpty, "\(left)")
        }
    }

    @Test func preprocessingDerivesANewDatasetWithItsLineage() async throws {
        try await TestAPI.with("datasets_preprocess") { api in
            let (token, _, _) = try await api.signUp("preprocessor")
            let sourceID = try await TrainingJobTests.readyDataset(api, token)
            let bad = try await api.call(.post, "/api/v1/data/datasets/\(sourceID)/preprocess", json: ["operations": [
                ["type": "normalize", "method": "min_max", "columns": ["close"]],
                ["type": "normalize", "method": "cube_root"],
                ["type": "split", "fractions": [0.7, 0.15, 0.15]],
                ["type": "teleport"],
                ["type": "normalize", "method": 5],
            ]], token: token)
            #expect(bad.status == .badRequest && bad.body.errorFields == ["operations[1]", "operations[2]", "operations[3]", "operations[4].method"], "\(bad.body)")
            // Columns that are not in the file, named with the columns it has; a feature column a
            // step before adds is fine.
            let unknown = try await api.call(.post, "/api/v1/data/datasets/\(sourceID)/preprocess", json: ["operations": [
                ["type": "fill_missing", "method": "forward_fill", "columns": ["close", "vwap"]],
                ["type": "trademaster_features"],
                ["type": "normalize", "method": "z_score", "columns": ["zd_5"]],
            ]], token: token)
            let message = (unknown.body.error["details"] as? [[String: Any]])?.first?["message"] as? String ?? ""
            #expect(unknown.status == .badRequest && unknown.body.errorFields == ["operations[0].columns"] && message.contains("no column vwap")
                    && message.contains("close"), "\(unknown.body)")
            let created = try await api.call(.post, "/api/v1/data/datasets/\(sourceID)/preprocess", json: ["operations": [
                ["type": "normalize", "method": "min_max", "columns": ["close"]],
                ["type": "trademaster_features"],
            ]], token: token)
            #expect(created.status == .created && created.body.data["status"] as? String == "processing")
            let id = created.body.data["id"] as? Int ?? 0
            #expect(try await Self.process(api, datasetID: id) == "ready")
            let detail = try await api.call(.get, "/api/v1/data/datasets/\(id)", token: token).body.data
            #expect(detail["name"] as? String == "synthetic (preprocessed)" && detail["file_type"] as? String == "h5" && detail["row_count"] as? Int == 1000)
            #expect((detail["description"] as? String ?? "").contains("dataset \(sourceID)"), "lineage in the row")
            let close = ((detail["statistics"] as? [String: Any])?["numerical_summary"] as? [String: Any])?["close"] as? [String: Any]
            let low = (close?["min"] as? NSNumber)?.doubleValue, high = (close?["max"] as? NSNumber)?.doubleValue
            #expect(low == 0 && high == 1, "close rescaled to [0, 1]: \(String(describing: close))")
            let columns = (detail["columns"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(columns.contains("zd_30") && columns.contains("zopen"), "\(columns)")
            // Lineage in the file too, as Ingest's preprocessing writes it.
            let file = try BarFile(path: api.data.barFilePath(id: id))
            let lineage = file.metadata.extra["lineage"]?.stringValue ?? ""
            #expect(lineage.contains("\"operation\":\"preprocess\"") && lineage.contains("normalize"), "\(lineage)")
        }
    }

    @Test func othersDatasetsDoNotExist() async throws {
        try await TestAPI.with("datasets_owners") { api in
            let (owner, _, _) = try await api.signUp("owner")
            let (other, _, _) = try await api.signUp("other")
            let (_, body) = try await Self.upload(api, token: owner, fields: [], file: ("a.csv", Array("date,close\n2024-01-01,1\n".utf8)))
            let id = body.data["id"] as? Int ?? 0
            #expect(try await api.call(.get, "/api/v1/data/datasets/\(id)", token: other).status == .notFound)
            #expect(try await api.call(.delete, "/api/v1/data/datasets/\(id)", token: other).status == .notFound)
            #expect(try await api.call(.get, "/api/v1/data/datasets", token: other).body.data["total"] as? Int == 0)
            #expect(try await api.call(.get, "/api/v1/data/datasets?status=lost", token: owner).status == .badRequest)
        }
    }
}

/// What `qf ingest` makes of a CSV, for comparing with what the service stored.
enum CSVIngestorReference {
    static func summary(of csv: String) throws -> DatasetSummary {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("qf-ref-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = IngestOptions()
        options.symbol = "reference"
        return try CSVIngestor.ingest(csv: csv, to: output, options: options).summary
    }
}
