import Agents
import Expressions
import Foundation
import Hummingbird
import Ingest
import Logging
import PostgresNIO

/// Builds the Agents job from the API's `config` and `hyperparameters` (TradeMaster's names:
/// task_name, dataset_name, agent_name, optimizer_name, loss_name; hyperparameters by their usual
/// names), so the API and `qf train` accept exactly the same jobs.
enum TrainingRequest {
    static func configuration(name: String, config: JSONValue, hyperparameters: JSONValue, data: TrainingJobConfiguration.DataPaths?) throws -> TrainingJobConfiguration {
        var object: [String: JSONValue] = ["name": .string(name), "config": config, "hyperparameters": hyperparameters]
        if let data {
            var paths: [String: JSONValue] = [:]
            if let train = data.train { paths["train"] = .string(train) }
            if let valid = data.valid { paths["valid"] = .string(valid) }
            if let test = data.test { paths["test"] = .string(test) }
            object["data"] = .object(paths)
        }
        return try TrainingJobConfiguration.decode(json: Data(JSONValue.object(object).jsonText.utf8), source: "job")
    }

    /// Every problem of a job's configuration at once, each naming its field: the names
    /// (task, dataset, agent, optimizer, loss) resolved without hyperparameters; each
    /// hyperparameter on its own (its type, that it exists, its range); and only when all of those
    /// hold, the whole configuration (what depends on several fields together).
    static func problems(name: String, config: JSONValue, hyperparameters: JSONValue, data: TrainingJobConfiguration.DataPaths?) -> [APIError.Detail] {
        var found: [APIError.Detail] = []
        func attempt(_ check: () throws -> Void) -> APIError.Detail? {
            do { try check(); return nil } catch let error as AgentsError { return problem(error) } catch {
                return .init(field: "config", message: "\(error)")
            }
        }
        if let names = attempt({ _ = try AgentRegistry.resolve(try configuration(name: name, config: config, hyperparameters: .object([:]), data: data)) }) {
            found.append(names)
        }
        if case .object(let fields) = hyperparameters {
            for key in fields.keys.sorted() {
                let alone = attempt {
                    let decoded = try configuration(name: name, config: neutralNames, hyperparameters: .object([key: fields[key]!]), data: nil)
                    try AgentRegistry.checkBounds(decoded.hyperparameters)
                }
                if let alone, !found.contains(where: { $0.field == alone.field }) { found.append(alone) }
            }
        }
        if found.isEmpty, let whole = attempt({ _ = try AgentRegistry.resolve(try configuration(name: name, config: config, hyperparameters: hyperparameters, data: data)) }) {
            found.append(whole)
        }
        return found
    }

    /// Names that decode, for reading one hyperparameter on its own.
    static let neutralNames = JSONValue.object(["task_name": .string("synthetic"), "dataset_name": .string("synthetic:random_walk"),
                                               "agent_name": .string("synthetic:dqn")])

    /// A configuration error as a 400 detail naming the exact field (`hyperparameters.learning_rate`,
    /// `config.agent_name`): Agents' messages start with the field's path, from the job's root.
    static func problem(_ error: AgentsError) -> APIError.Detail {
        var text = error.description
        if text.hasPrefix("job.") { text.removeFirst(4) }
        if let colon = text.range(of: ": "), !text[..<colon.lowerBound].contains(" ") {
            let field = String(text[..<colon.lowerBound])
            if field.hasPrefix("hyperparameters") || field.hasPrefix("config") {
                return .init(field: field, message: String(text[colon.upperBound...]))
            }
        }
        return .init(field: text.hasPrefix("hyperparameters") ? "hyperparameters" : "config", message: text)
    }
}

/// `/api/v1/training/`: `POST /jobs`, `GET /jobs`, `GET /jobs/{id}`, `POST /jobs/{id}/cancel`,
/// `GET /jobs/{id}/metrics?start_epoch&end_epoch` — signed in, scoped to the caller's jobs.
public struct TrainingRoutes: Sendable {
    let jobs: any TrainingJobStoring
    let strategies: any StrategyStoring
    let datasets: any DatasetStoring
    let searches: any TrainingSearchStoring
    let auth: AuthService
    let database: Database
    let data: DataSettings

    public init(stores: ServiceStores, database: Database, auth: AuthService, data: DataSettings) {
        self.data = data
        jobs = stores.trainingJobs
        strategies = stores.strategies
        datasets = stores.datasets
        searches = stores.searches
        self.auth = auth
        self.database = database
    }

    /// The list's sort keys and filters.
    static let listing = ListParameters(sortable: ["created_at", "updated_at", "name", "status", "progress", "started_at", "completed_at"],
                                        filters: [.init("status", .cases(of: TrainingStatus.self), "Only jobs in this status"),
                                                  .init("strategy_id", .id, "Only jobs of this strategy")])

    public func register(on router: Router<APIContext>) {
        let group = router.group("/api/v1/training/jobs").add(middleware: AuthMiddleware(auth: auth)).add(middleware: IdempotencyMiddleware(database: database))
        group.post { request, context in try await self.create(request, context) }
        group.get { request, context in
            let user = try context.requireUser()
            let query = try Self.listing.parse(request.formQueryParameters)
            var problems: [APIError.Detail] = []
            if let status = query.filters["status"], TrainingStatus(rawValue: status) == nil {
                problems.append(.init(field: "status", message: "one of \(TrainingStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            var strategyID: Int?
            if let text = query.filters["strategy_id"] {
                if let id = Int(text), id > 0, id <= Int(Int32.max) { strategyID = id } else { problems.append(.init(field: "strategy_id", message: "must be a strategy id")) }
            }
            if !problems.isEmpty { throw APIError.validation(problems) }
            return try Envelope.success(try await self.jobs.list(for: user, status: query.filters["status"], strategyID: strategyID, query: query,
                                                                 logger: context.logger), context: context)
        }
        group.get("/:id") { _, context in
            try Envelope.success(try await self.jobs.find(try Self.id(context), for: try context.requireUser(), logger: context.logger), context: context)
        }
        group.delete("/:id") { _, context in
            let deleted = try await self.jobs.delete(try Self.id(context), for: try context.requireUser(), logger: context.logger)
            try? FileManager.default.removeItem(atPath: self.data.jobDirectory(id: deleted.id))
            return try Envelope.success(["id": deleted.id], message: "Training job deleted", context: context)
        }
        group.get("/:id/model") { _, context in
            let job = try await self.jobs.find(try Self.id(context), for: try context.requireUser(), logger: context.logger)
            guard let path = job.modelPath, let bytes = FileManager.default.contents(atPath: path) else {
                throw APIError.notFound("Training job \(job.id) has no model (it has not completed)")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = "attachment; filename=\"training_job_\(job.id).safetensors\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        group.post("/:id/cancel") { _, context in
            let user = try context.requireUser(), id = try Self.id(context)
            let record = try await self.jobs.cancel(id, for: user, logger: context.logger)
            // Cancelling a search cancels its trials (pending ones at once, running ones at their next step).
            for child in try await self.searches.liveChildren(of: id, logger: context.logger) {
                _ = try? await self.jobs.cancel(child, for: user, logger: context.logger)
            }
            return try Envelope.success(record, message: record.status == .cancelled ? "Training job cancelled" : "Cancelling at the next safe point",
                                        context: context)
        }
        group.get("/:id/metrics") { request, context in
            var problems: [APIError.Detail] = []
            var bounds: [String: Int] = [:]
            for (name, value) in request.formQueryParameters {
                guard name == "start_epoch" || name == "end_epoch" else { problems.append(.init(field: name, message: "unknown parameter; known: start_epoch, end_epoch")); continue }
                if let n = Int(String(value)), n >= 0 { bounds[name] = n } else { problems.append(.init(field: name, message: "must be a whole number ≥ 0")) }
            }
            if !problems.isEmpty { throw APIError.validation(problems) }
            return try Envelope.success(try await self.jobs.metrics(of: try Self.id(context), for: try context.requireUser(), from: bounds["start_epoch"],
                                                                    to: bounds["end_epoch"], logger: context.logger), context: context)
        }
    }

    static func id(_ context: APIContext) throws -> Int { try context.pathID("Training job") }

    /// The seed's answer to `POST /jobs`.
    /// A search's parent has no task of its own: `celery_task_id` is null and `trials` /
    /// `child_jobs` count what it queued.
    struct Created: Encodable {
        var id: Int
        var name: String
        var celeryTaskID: String?
        var estimatedDuration: Int?
        var trials: Int? = nil
        var childJobs: Int? = nil

        enum CodingKeys: CodingKey {
            case id, name, celeryTaskID, estimatedDuration, status, trials, childJobs
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(celeryTaskID, forKey: .celeryTaskID)
            try container.encode(estimatedDuration, forKey: .estimatedDuration)
            try container.encode(TrainingStatus.pending, forKey: .status)
            // Only a search's parent has these.
            if let trials { try container.encode(trials, forKey: .trials) }
            if let childJobs { try container.encode(childJobs, forKey: .childJobs) }
        }
    }

    func create(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decode(as: CreateTrainingJobRequest.self, context: context)
        let (name, description, config, hyperparameters, strategyID, datasetID, search) =
            (input.name, input.description, input.config, input.hyperparameters, input.strategyID, input.datasetID, input.search)

        // Owned strategy and dataset (someone else's is a 404 naming the field).
        do { _ = try await strategies.find(strategyID, for: user, reading: .latest, logger: context.logger) } catch let error as StoreError where error.isNotFound {
            throw APIError(.notFound, type: "not_found", message: "Strategy \(strategyID) not found", details: [.init(field: "strategy_id", message: "no such strategy of yours")])
        }
        var data: TrainingJobConfiguration.DataPaths?
        var datasetSymbols: [String]?
        var datasetColumns: [String]?
        if let datasetID {
            let dataset: DatasetRecord
            do { dataset = try await datasets.find(datasetID, for: user, reading: .latest, logger: context.logger) } catch let error as StoreError where error.isNotFound {
                throw APIError(.notFound, type: "not_found", message: "Dataset \(datasetID) not found", details: [.init(field: "dataset_id", message: "no such dataset of yours")])
            }
            guard dataset.status == .ready else {
                throw APIError.conflict("Dataset \(datasetID) is \(dataset.status), not ready", field: "dataset_id")
            }
            if let file = try? BarFile(path: dataset.filePath) {
                try DatasetFitness.check(file, id: datasetID, field: "dataset_id", symbol: config.objectValue?["symbol"]?.stringValue, start: nil, end: nil)
                datasetSymbols = file.symbols
                datasetColumns = StrategyExpressions.columns(ofFile: dataset.filePath)
            }
            data = .init(train: dataset.filePath)
        }
        // The names must resolve, exactly as `qf train` resolves them; every problem is said at once.
        let problems = TrainingRequest.problems(name: name, config: config, hyperparameters: hyperparameters, data: data)
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let resolved: AgentRegistry.Resolved
        do {
            resolved = try AgentRegistry.resolve(try TrainingRequest.configuration(name: name, config: config, hyperparameters: hyperparameters, data: data))
        } catch let error as AgentsError {
            throw APIError.validation([TrainingRequest.problem(error)])
        }
        if let datasetID, let datasetSymbols {
            try Self.checkTaskFits(resolved, symbols: datasetSymbols, datasetID: datasetID)
        }
        try Self.checkFeatures(resolved.features ?? [], columns: datasetColumns)
        if let search, search != .null {
            return try await createSearch(search, name: name, description: description, strategyID: strategyID, datasetID: datasetID, config: config,
                                          hyperparameters: hyperparameters, data: data, resolved: resolved, user: user, context: context)
        }
        let epochs = resolved.trainer.epochs
        let estimate = try await estimatedDuration(config: config, epochs: epochs, logger: context.logger)
        let (id, taskID) = try await jobs.create(.init(name: name, description: description, strategyID: strategyID, datasetID: datasetID, config: config,
                                                       hyperparameters: hyperparameters, totalEpochs: epochs, estimatedDuration: estimate),
                                                 for: user, logger: context.logger)
        return try Envelope.success(Created(id: id, name: name, celeryTaskID: taskID, estimatedDuration: estimate), status: .created,
                                    message: "Training job queued", context: context)
    }

    /// A body with `search`: a parent job and one child job per trial and seed (`SearchRequest`,
    /// `TrainingSearchStore`). Every trial's configuration must resolve before anything is queued.
    func createSearch(_ block: JSONValue, name: String, description: String?, strategyID: Int, datasetID: Int?, config: JSONValue, hyperparameters: JSONValue,
                      data: TrainingJobConfiguration.DataPaths?, resolved: AgentRegistry.Resolved, user: AuthenticatedUser, context: APIContext) async throws -> Response {
        let search = try SearchRequest.parse(block, defaultEpochs: resolved.trainer.epochs)
        let base = try TrainingRequest.configuration(name: name, config: config, hyperparameters: hyperparameters, data: data)
        let tuner: Tuner
        do { tuner = try Tuner(base: base, space: search.space, options: search.options) } catch let error as AgentsError {
            throw APIError.validation([.init(field: "search", message: error.description)])
        }
        let children = tuner.configurations.count * search.options.seeds
        guard children <= 1_000 else {
            throw APIError.validation([.init(field: "search", message: "\(tuner.configurations.count) trials × \(search.options.seeds) seeds is \(children) jobs; at most 1000")])
        }
        var parentConfig = config.objectValue ?? [:]
        parentConfig["search"] = search.normalized
        let parent = TrainingJobStore.NewJob(name: name, description: description, strategyID: strategyID, datasetID: datasetID, config: .object(parentConfig),
                                             hyperparameters: hyperparameters, totalEpochs: search.options.maxEpochs, estimatedDuration: nil)
        let id = try await searches.create(parent, search: search, base: base, childConfig: config, for: user, logger: context.logger)
        return try Envelope.success(Created(id: id, name: name, celeryTaskID: nil, estimatedDuration: nil, trials: tuner.configurations.count, childJobs: children),
                                    status: .created, message: "Search queued: \(tuner.configurations.count) trials × \(search.options.seeds) seeds", context: context)
    }

    /// Feature expressions (`config.features`) are compiled now against the dataset's columns (any
    /// name, without a dataset), each mistake named `config.features[k]`.
    static func checkFeatures(_ features: [String], columns: [String]?) throws {
        let compiler = Compiler(columns: columns ?? [], anyColumn: columns == nil)
        var problems: [APIError.Detail] = []
        for (k, text) in features.enumerated() {
            var graph = ExpressionGraph()
            do {
                _ = try compiler.compile(text, expecting: .number, into: &graph)
            } catch let error as ExpressionError {
                problems.append(.init(field: "config.features[\(k)]", message: error.oneLine))
            } catch {
                problems.append(.init(field: "config.features[\(k)]", message: "\(error)"))
            }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
    }

    /// A task that cannot use the dataset's symbols is refused now, not by the worker: a
    /// portfolio needs two symbols or more; a single-asset task on several symbols must say which
    /// (`config.symbol`), and a portfolio trades them all.
    static func checkTaskFits(_ resolved: AgentRegistry.Resolved, symbols: [String], datasetID: Int) throws {
        let listed = symbols.count <= 8 ? symbols.joined(separator: ", ") : symbols.prefix(8).joined(separator: ", ") + ", …"
        switch resolved.task {
        case "portfolio_management":
            guard symbols.count >= 2 else {
                throw APIError.validation([.init(field: "dataset_id", message: "a portfolio task allocates across two symbols or more; dataset \(datasetID) holds \(symbols.count) (\(listed))")])
            }
            if resolved.symbol != nil {
                throw APIError.validation([.init(field: "config.symbol", message: "a portfolio task trades every symbol of the dataset; drop config.symbol")])
            }
        case "algorithmic_trading", "order_execution":
            if symbols.count > 1, resolved.symbol == nil {
                throw APIError.validation([.init(field: "config.symbol", message: "dataset \(datasetID) holds \(symbols.count) symbols (\(listed)); "
                                                 + "\(resolved.task) trades one: name it in config.symbol")])
            }
        default:
            break
        }
    }

    /// Seconds per epoch of earlier completed jobs with the same task and agent, times the epochs
    /// (nil without history: no number is better than an invented one).
    func estimatedDuration(config: JSONValue, epochs: Int, logger: Logger) async throws -> Int? {
        let task = config.objectValue?["task_name"]?.stringValue ?? "", agent = config.objectValue?["agent_name"]?.stringValue ?? ""
        let perEpoch = try await jobs.averageSecondsPerEpoch(task: task, agent: agent, logger: logger)
        return perEpoch.flatMap { Int(exactly: min(($0 * Double(epochs)).rounded(.up), Double(Int32.max))) }
    }
}
