import Foundation
import HTTPTypes
import Ingest
import Hummingbird

/// `/api/v1/data/`: `POST /upload` (multipart: `file`, `name`, `description`), `GET /datasets`,
/// `GET /datasets/{id}`, `DELETE /datasets/{id}` — signed in, scoped to the caller's datasets
/// (a superuser's: all).
///
/// An upload streams the file part to disk as it arrives (never whole in memory), under
/// `QF_MAX_UPLOAD_BYTES` (413 beyond it, with nothing left behind). Its row exists from the file
/// part's first bytes as `uploading`; when the body is complete the file is renamed into place and
/// the row becomes `processing` with the ingestion queued, in one transaction. A failed or
/// refused upload removes its row and its partial file. Only CSV is accepted (`.csv` or
/// `text/csv`); the worker's ingestion decides whether it is valid.
public struct DatasetRoutes: Sendable {
    let store: any DatasetStoring
    /// For the idempotency middleware.
    let database: Database
    let auth: AuthService
    let settings: DataSettings

    /// Ready datasets, answered from Redis when set.
    let cache: ResultCache?

    public init(stores: ServiceStores, database: Database, auth: AuthService, settings: DataSettings, cache: ResultCache? = nil) {
        store = stores.datasets
        self.database = database
        self.auth = auth
        self.settings = settings
        self.cache = cache
    }

    /// The list's sort keys and filters.
    static let listing = ListParameters(sortable: ["created_at", "updated_at", "name", "row_count", "file_size", "status"],
                                        filters: [.init("status", .cases(of: DatasetStatus.self), "Only datasets in this status")])

    public func register(on router: Router<APIContext>) {
        let group = router.group("/api/v1/data").add(middleware: AuthMiddleware(auth: auth)).add(middleware: IdempotencyMiddleware(database: database))
        group.post("/upload") { request, context in try await self.upload(request, context) }
        group.get("/datasets") { request, context in
            let user = try context.requireUser()
            let query = try Self.listing.parse(request.formQueryParameters)
            if let status = query.filters["status"], DatasetStatus(rawValue: status) == nil {
                throw APIError.validation([.init(field: "status", message: "one of \(DatasetStatus.allCases.map(\.rawValue).joined(separator: ", "))")])
            }
            return try Envelope.success(try await self.store.list(for: user, status: query.filters["status"], search: query.search, query: query,
                                                                  logger: context.logger), context: context)
        }
        group.get("/datasets/:id") { _, context in
            let id = try Self.id(context), user = try context.requireUser()
            if let cached = await self.cache?.json(.dataset, id: id, for: user) { return try Envelope.success(RawJSON(cached), context: context) }
            let record = try await self.store.find(id, for: user, logger: context.logger)
            if record.status == .ready { await self.cache?.keep(.dataset, id: id, ownerID: record.ownerID, value: record) }
            return try Envelope.success(record, context: context)
        }
        group.post("/datasets/:id/preprocess") { request, context in try await self.preprocess(request, context) }
        group.delete("/datasets/:id") { _, context in
            let record = try await self.store.delete(try Self.id(context), for: try context.requireUser(), logger: context.logger)
            await self.cache?.forget(.dataset, id: record.id)
            for path in [record.filePath, self.settings.uploadPath(id: record.id, type: record.fileType ?? "csv"), self.settings.barFilePath(id: record.id)] {
                try? FileManager.default.removeItem(atPath: path)
            }
            return try Envelope.success(["id": record.id], message: "Dataset deleted", context: context)
        }
    }

    static func id(_ context: APIContext) throws -> Int { try context.pathID("Dataset") }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, type: "payload_too_large", message: "The file is larger than the upload limit of \(limit) bytes",
                 details: [.init(field: "file", message: "at most \(limit) bytes")])
    }

    /// What the seed's upload answers.
    struct UploadResponse: Encodable {
        var id: Int
        var name: String
        var celeryTaskID: String
        let status = DatasetStatus.processing
        let uploadProgress = 100
        let processingProgress = 0
    }

    func upload(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        guard let contentType = request.headers[.contentType], let boundary = MultipartUpload.boundary(contentType: contentType) else {
            throw APIError.validation([.init(field: "body", message: "send multipart/form-data (with a boundary) holding the parts file, name and description")])
        }
        // A declared length far past the limit is refused before reading anything.
        if let length = request.headers[.contentLength].flatMap(Int.init), length > settings.maxUploadBytes + 1 << 20 {
            throw Self.tooLarge(settings.maxUploadBytes)
        }
        try settings.makeDirectories()
        let upload = MultipartUpload(boundary: boundary)
        let temporary = "\(settings.uploads)/upload-\(UUID().uuidString).part"
        var file: FileHandle?
        var datasetID: Int?
        do {
            var chunks = request.body.makeAsyncIterator()
            while true {
                let next: ByteBuffer?
                do { next = try await chunks.next() } catch {
                    // The connection closed or stalled mid-body: the client's doing, not a fault here.
                    context.logger.info("upload aborted by the client", metadata: ["error": .string("\(error)")])
                    throw APIError(.badRequest, type: "upload_aborted", message: "The request body ended before the upload was complete")
                }
                guard let chunk = next else { break }
                do { try upload.feed(chunk) } catch {
                    throw APIError.validation([.init(field: "body", message: "malformed multipart body")])
                }
                if let problem = upload.problem { throw APIError.validation([.init(field: "file", message: problem)]) }
                if let filename = upload.filename, datasetID == nil {
                    // PostgreSQL's text cannot hold U+0000 (see TextRules).
                    let withNUL = [("file", filename), ("name", upload.fields["name"] ?? "")].filter { TextRules.containsNUL($0.1) }
                    guard withNUL.isEmpty else { throw APIError.validation(withNUL.map { .init(field: $0.0, message: TextRules.nulMessage) }) }
                    guard Self.isCSV(filename: filename) else {
                        throw APIError.validation([.init(field: "file", message: "only CSV files are accepted (a .csv file name); got '\(filename)'")])
                    }
                    let name = upload.fields["name"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultName(filename)
                    datasetID = try await store.beginUpload(name: String(name.prefix(100)), fileType: "csv", ownerID: user.id, logger: context.logger)
                    _ = FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
                    file = FileHandle(forWritingAtPath: temporary)
                    guard file != nil else { throw APIError.internalError }
                }
                if upload.fileBytes > settings.maxUploadBytes { throw Self.tooLarge(settings.maxUploadBytes) }
                for buffer in upload.takeFileBytes() { try file?.write(contentsOf: Data(buffer.readableBytesView)) }
            }
            guard let datasetID, let handle = file, upload.fileEnded else {
                throw APIError.validation([.init(field: "file", message: "a file part named 'file' is required")])
            }
            // An empty file would only fail in the worker; said now, with nothing left behind.
            guard upload.fileBytes > 0 else { throw APIError.validation([.init(field: "file", message: "the file is empty")]) }
            try handle.synchronize()
            try handle.close()
            file = nil
            let name = (upload.fields["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let finalName = name.isEmpty ? Self.defaultName(upload.filename ?? "") : name
            guard finalName.count <= 100 else { throw APIError.validation([.init(field: "name", message: "at most 100 characters")]) }
            let description = upload.fields["description"].flatMap { $0.isEmpty ? nil : $0 }
            let withNUL = [("name", finalName), ("description", description ?? "")].filter { TextRules.containsNUL($0.1) }
            guard withNUL.isEmpty else { throw APIError.validation(withNUL.map { .init(field: $0.0, message: TextRules.nulMessage) }) }
            let destination = settings.uploadPath(id: datasetID, type: "csv")
            guard rename(temporary, destination) == 0 else { throw APIError.internalError }
            let taskID = try await store.finishUpload(id: datasetID, name: finalName, description: description, filePath: destination,
                                                      fileSize: Int64(upload.fileBytes), ownerID: user.id, logger: context.logger)
            return try Envelope.success(UploadResponse(id: datasetID, name: finalName, celeryTaskID: taskID), status: .created,
                                        message: "Upload received; processing", context: context)
        } catch {
            try? file?.close()
            try? FileManager.default.removeItem(atPath: temporary)
            if let datasetID {
                try? FileManager.default.removeItem(atPath: settings.uploadPath(id: datasetID, type: "csv"))
                try? await store.discard(id: datasetID, logger: context.logger)
            }
            throw error
        }
    }

    /// `POST /datasets/{id}/preprocess` (`operations` as the seed shows them; optional `name`,
    /// `description`): a new dataset, `processing`, derived from a ready one the caller owns;
    /// the operations are checked before anything is queued (400 naming `operations[i]`). A split
    /// is refused here: training jobs split their data themselves, and one request makes one
    /// dataset.
    func preprocess(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let sourceID = try Self.id(context)
        let input = try await request.decode(as: PreprocessRequest.self, context: context)
        let (steps, name, description) = (input.steps, input.name, input.description)
        let source = try await store.find(sourceID, for: user, reading: .latest, logger: context.logger)
        guard source.status == .ready else { throw APIError.conflict("Dataset \(sourceID) is \(source.status), not ready", field: "dataset_id") }
        // Columns an operation names must be in the file (of every symbol): said now, with the
        // columns it has, rather than by the worker. Earlier steps may add columns (features).
        if let file = try? BarFile(path: source.filePath), let first = file.symbols.first {
            var available = Set(try file.columns(of: first))
            for symbol in file.symbols.dropFirst() { available.formIntersection(try file.columns(of: symbol)) }
            var problems: [APIError.Detail] = []
            for (index, step) in steps.enumerated() {
                let missing = (step.columns ?? []).filter { !available.contains($0) }
                if !missing.isEmpty {
                    problems.append(.init(field: "operations[\(index)].columns",
                                          message: "dataset \(sourceID) has no column \(missing.joined(separator: ", ")) (it has \(available.sorted().joined(separator: ", ")))"))
                }
                if step.type == .tradeMasterFeatures { available.formUnion(TradeMasterFeatures.names) }
            }
            if !problems.isEmpty { throw APIError.validation(problems) }
        }
        let summary = steps.map(\.type.rawValue).joined(separator: ", ")
        let lineage = "Preprocessed from dataset \(source.id) (\(source.name)): \(summary)" + (description.map { ". \($0)" } ?? "")
        let operations = try JSONValue.parse(bytes: try StreamingJSONEncoder().encode(steps))
        let settings = self.settings
        let (id, taskID) = try await store.beginDerived(from: source, name: name ?? String("\(source.name) (preprocessed)".prefix(100)), description: lineage,
                                                        operations: operations, barFile: { settings.barFilePath(id: $0) }, ownerID: user.id, logger: context.logger)
        return try Envelope.success(UploadResponse(id: id, name: name ?? String("\(source.name) (preprocessed)".prefix(100)), celeryTaskID: taskID), status: .created,
                                    message: "Preprocessing queued", context: context)
    }

    static func isCSV(filename: String) -> Bool {
        filename.lowercased().hasSuffix(".csv")
    }

    static func defaultName(_ filename: String) -> String {
        let base = URL(fileURLWithPath: filename).deletingPathExtension().lastPathComponent
        return base.isEmpty ? "dataset" : String(base.prefix(100))
    }
}
