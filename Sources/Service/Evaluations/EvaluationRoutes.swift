import Backtest
import Expressions
import Foundation
import HTTPTypes
import Hummingbird
import Ingest
import Logging
import NIOCore
import PostgresNIO

/// `/api/v1/evaluations/`: `POST /` (queue an evaluation), `GET /` (list), `GET /{id}`, and
/// `GET /{id}/report` (the HTML report; `?format=csv` a grid's full ranked table; the access
/// token also as `?token=`, for a browser following the link) — signed in,
/// scoped to the caller's evaluations; another user's strategy, dataset or evaluation is a 404.
///
/// Everything an evaluation will run is resolved here, once, into its plan: the strategy's rule
/// and parameters (`config.rule` and `parameters` of the strategy, overridden by
/// `config.parameters`) or a trained model of one of its completed training jobs, the data sets
/// (`dataset_id`, else the strategy's `config.dataset_id`; more in `config.dataset_ids`), the
/// strategies or versions to compare, the grid, and the shards.
public struct EvaluationRoutes: Sendable {
    let store: any EvaluationStoring
    let strategies: any StrategyStoring
    let datasets: any DatasetStoring
    let jobs: any TrainingJobStoring
    let auth: AuthService
    let database: Database
    let settings: DataSettings
    /// Completed evaluations, answered from Redis when set.
    let cache: ResultCache?

    public init(stores: ServiceStores, database: Database, auth: AuthService, settings: DataSettings, cache: ResultCache? = nil) {
        self.cache = cache
        store = stores.evaluations
        strategies = stores.strategies
        datasets = stores.datasets
        jobs = stores.trainingJobs
        self.auth = auth
        self.database = database
        self.settings = settings
    }

    /// The list's sort keys and filters.
    static let listing = ListParameters(sortable: ["created_at", "updated_at", "name", "status", "evaluation_type", "completed_at"],
                                        filters: [.init("status", .cases(of: EvaluationStatus.self), "Only evaluations in this status"),
                                                  .init("evaluation_type", .cases(of: EvaluationPlan.Kind.self), "Only evaluations of this type"),
                                                  .init("strategy_id", .id, "Only evaluations of this strategy")])

    public func register(on router: Router<APIContext>) {
        let group = router.group("/api/v1/evaluations").add(middleware: AuthMiddleware(auth: auth)).add(middleware: IdempotencyMiddleware(database: database))
        group.post { request, context in try await self.create(request, context) }
        group.get { request, context in
            let user = try context.requireUser()
            let query = try Self.listing.parse(request.formQueryParameters)
            var problems: [APIError.Detail] = []
            if let status = query.filters["status"], EvaluationStatus(rawValue: status) == nil {
                problems.append(.init(field: "status", message: "one of \(EvaluationStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            if let type = query.filters["evaluation_type"], EvaluationPlan.Kind(rawValue: type) == nil {
                problems.append(.init(field: "evaluation_type", message: "one of \(EvaluationPlan.Kind.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            var strategyID: Int?
            if let text = query.filters["strategy_id"] {
                if let id = Int(text), id > 0, id <= Int(Int32.max) { strategyID = id } else { problems.append(.init(field: "strategy_id", message: "must be a strategy id")) }
            }
            if !problems.isEmpty { throw APIError.validation(problems) }
            return try Envelope.success(try await self.store.list(for: user, status: query.filters["status"], type: query.filters["evaluation_type"],
                                                                  strategyID: strategyID, query: query, logger: context.logger), context: context)
        }
        group.get("/:id") { _, context in
            let id = try Self.id(context), user = try context.requireUser()
            if let cached = await self.cache?.json(.evaluation, id: id, for: user) { return try Envelope.success(RawJSON(cached), context: context) }
            let record = try await self.store.find(id, for: user, logger: context.logger)
            if record.status == .completed { await self.cache?.keep(.evaluation, id: id, ownerID: record.userID, value: record) }
            return try Envelope.success(record, context: context)
        }
        group.delete("/:id") { _, context in
            let deleted = try await self.store.delete(try Self.id(context), for: try context.requireUser(), logger: context.logger)
            await self.cache?.forget(.evaluation, id: deleted.id)
            if deleted.reportPath != nil {
                for path in [self.settings.reportPath(evaluationID: deleted.id), self.settings.tablePath(evaluationID: deleted.id)] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
            return try Envelope.success(["id": deleted.id], message: "Evaluation deleted", context: context)
        }
        // The report is opened from a link as often as fetched: `?token=` is accepted there too.
        router.group("/api/v1/evaluations").add(middleware: AuthMiddleware(auth: auth, queryToken: true))
            .get("/:id/report") { request, context in try await self.report(request, context) }
    }

    static func id(_ context: APIContext) throws -> Int { try context.pathID("Evaluation") }

    func report(_ request: Request, _ context: APIContext) async throws -> Response {
        let evaluation = try await store.find(try Self.id(context), for: try context.requireUser(), reading: .latest, logger: context.logger)
        let csv = request.formQueryParameter("format") == "csv"
        guard let html = evaluation.reportPath else { throw APIError.notFound("Evaluation \(evaluation.id) has no report yet (status \(evaluation.status))") }
        let path = csv ? settings.tablePath(evaluationID: evaluation.id) : html
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw APIError.notFound(csv ? "Evaluation \(evaluation.id) has no grid table" : "The report file of evaluation \(evaluation.id) is missing")
        }
        var headers = HTTPFields()
        headers[.contentType] = csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8"
        headers[.contentDisposition] = "inline; filename=\"evaluation_\(evaluation.id).\(csv ? "csv" : "html")\""
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: contents)))
    }

    /// The seed's answer to `POST /`.
    struct Created: Encodable {
        var id: Int
        var name: String
        var celeryTaskID: String
        var shardsTotal: Int
        let status = EvaluationStatus.pending
    }

    func create(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decode(as: CreateEvaluationRequest.self, context: context)
        let (name, kind, strategyID, datasetID, config, options) = (input.name, input.kind, input.strategyID, input.datasetID, input.config, input.options)
        let logger = context.logger

        let strategy = try await ownedStrategy(strategyID, field: "strategy_id", user: user, logger: logger)
        var subjects: [EvaluationPlan.Subject] = []
        var sources: [EvaluationPlan.DataSource] = []
        // The seed's request names a strategy and dates, nothing more: a strategy without a rule
        // that has trained is evaluated through its latest completed model, as start does.
        var modelJobID = options.trainingJobID
        if modelJobID == nil, Self.ruleName(strategy.config) == nil, options.grid == nil {
            modelJobID = try await jobs.latestCompleted(ofStrategy: strategy.id, logger: logger)
        }
        if let jobID = modelJobID {
            guard options.grid == nil, options.strategyIDs.isEmpty, options.versions.isEmpty, options.datasetIDs.isEmpty else {
                throw APIError.validation([.init(field: "config.training_job_id", message: "a trained model is evaluated alone, on its job's test split or on dataset_id: no grid, dataset_ids, strategy_ids or versions")])
            }
            let (subject, testSplit) = try await trainedModel(jobID, strategy: strategy, user: user, logger: logger)
            if let datasetID {
                // Another dataset: all of it (its features computed as training computed them).
                sources.append(try await readyDataset(datasetID, field: "dataset_id", user: user, symbol: options.symbol, benchmark: options.benchmark,
                                                      start: options.start, end: options.end, reader: .tradedModel, logger: logger))
            } else {
                if let file = try? BarFile(path: testSplit.path) {
                    try DatasetFitness.check(file, id: testSplit.datasetID ?? 0, field: "config.training_job_id", symbol: nil, start: options.start, end: options.end,
                                             name: "the test split of training job \(jobID)", reader: .tradedModel)
                }
                sources.append(testSplit)
            }
            subjects.append(subject)
        } else {
            subjects.append(try Self.ruleSubject(strategy, version: nil, config: strategy.config, parameters: strategy.parameters, overrides: options.parameters, field: "strategy_id"))
            var ids: [Int] = []
            if let datasetID { ids.append(datasetID) } else if case .int(let v)? = strategy.config.objectValue?["dataset_id"], v > 0, v <= Int64(Int32.max) { ids.append(Int(v)) }
            guard !ids.isEmpty else {
                throw APIError.validation([.init(field: "dataset_id", message: "is required: strategy \(strategyID) names no config.dataset_id")])
            }
            for id in ids + options.datasetIDs where !sources.contains(where: { $0.datasetID == id }) {
                // The evaluated dataset (the body's, or the strategy's config.dataset_id) is
                // dataset_id; the others come from config.dataset_ids.
                sources.append(try await readyDataset(id, field: id == ids.first ? "dataset_id" : "config.dataset_ids", user: user, symbol: options.symbol,
                                                      benchmark: options.benchmark, start: options.start, end: options.end, reader: .rule, logger: logger))
            }
        }
        if kind == .comparison {
            for other in options.strategyIDs {
                let record = try await ownedStrategy(other, field: "config.strategy_ids", user: user, logger: logger)
                subjects.append(try Self.ruleSubject(record, version: nil, config: record.config, parameters: record.parameters, overrides: [:], field: "config.strategy_ids"))
            }
            for version in options.versions {
                let (config, parameters) = try await strategyVersion(strategyID, version: version, logger: logger)
                subjects.append(try Self.ruleSubject(strategy, version: version, config: config, parameters: parameters, overrides: options.parameters, field: "config.versions"))
            }
        } else if !options.strategyIDs.isEmpty || !options.versions.isEmpty {
            throw APIError.validation([.init(field: "config.strategy_ids", message: "strategy_ids and versions go with evaluation_type comparison")])
        }
        var gridCount: Int?
        if let grid = options.grid {
            let subject = subjects[0]
            guard kind == .backtest, subject.rule != nil || subject.rules != nil else {
                throw APIError.validation([.init(field: "config.grid", message: "a grid goes with evaluation_type backtest and a rule strategy or signal expressions")])
            }
            guard sources.count == 1 else { throw APIError.validation([.init(field: "config.grid", message: "a grid runs on one dataset; drop config.dataset_ids")]) }
            let known = try EvaluationPlan.expressionParameters(subject) ?? Array((StrategySpec.catalog[subject.rule ?? ""] ?? [:]).keys)
            let unknown = grid.map(\.name).filter { !known.contains($0) }
            guard unknown.isEmpty else {
                let what = subject.rule ?? "the strategy's expressions"
                throw APIError.validation([.init(field: "config.grid", message: "\(what) has no parameter \(unknown.joined(separator: ", ")); it has \(known.sorted().joined(separator: ", "))")])
            }
            gridCount = grid.reduce(1) { $0 * $1.values.count }
        }
        let benchmarkPath = try await benchmarkFile(options.benchmark, evaluated: sources, user: user, logger: logger)
        var plan = EvaluationPlan(kind: kind, subjects: subjects, datasets: sources, grid: options.grid, benchmark: options.benchmark,
                                  start: options.start, end: options.end, settings: options.settings, convention: options.convention,
                                  annualization: options.annualization, sort: options.sort, ascending: options.ascending, top: options.top,
                                  shards: EvaluationPlan.shards(subjects: subjects.count, datasets: sources.count, gridCount: gridCount, shardSize: options.shardSize))
        plan.benchmarkPath = benchmarkPath
        if options.grid != nil, options.overfittingPartitions > 0 { plan.overfittingPartitions = options.overfittingPartitions }
        if let walkForward = options.walkForward {
            guard options.grid != nil else {
                throw APIError.validation([.init(field: "config.walk_forward", message: "walk-forward chooses among a grid: give config.grid too")])
            }
            let spec = try await Self.walkForwardSpec(walkForward, source: sources[0], start: options.start, end: options.end)
            plan.walkForward = spec
            plan.shards = spec.windows.indices.map { EvaluationPlan.Shard(subject: 0, dataset: 0, from: nil, to: nil, window: $0) }
        }
        let (id, taskID) = try await store.create(.init(name: name, kind: kind, config: config, strategyID: strategyID, datasetID: sources.first?.datasetID,
                                                        plan: plan, userID: user.id), logger: logger)
        return try Envelope.success(Created(id: id, name: name, celeryTaskID: taskID, shardsTotal: plan.shards.count), status: .created,
                                    message: "Evaluation queued", context: context)
    }

    /// The walk-forward windows on the evaluated bars (in the time range); a 400 naming the
    /// `config.walk_forward` field for lengths that are not bars or durations or leave no window.
    static func walkForwardSpec(_ w: (train: String, test: String, step: String?, anchored: Bool), source: EvaluationPlan.DataSource,
                                start: Int64?, end: Int64?) async throws -> EvaluationPlan.WalkForwardSpec {
        let times = try await TaskThread.run { try BarSeries.read(path: source.path, symbol: source.symbol).slice(from: start, to: end).timestamps }
        func bars(_ text: String, _ key: String) throws -> Int {
            do { return try WalkForwardWindows.bars(text, option: key, timestamps: times) } catch let error as BacktestError {
                throw APIError.validation([.init(field: "config.walk_forward.\(key)", message: error.description)])
            }
        }
        let train = try bars(w.train, "train"), test = try bars(w.test, "test"), step = try w.step.map { try bars($0, "step") }
        do {
            let windows = try WalkForwardWindows(bars: times.count, train: train, test: test, step: step, anchored: w.anchored)
            return .init(train: w.train, test: w.test, step: w.step, anchored: w.anchored, windows: windows.windows)
        } catch let error as BacktestError {
            throw APIError.validation([.init(field: "config.walk_forward", message: error.description)])
        }
    }

    /// Where the benchmark symbol is: nil when the evaluated files have it (or there is none);
    /// otherwise the newest of the caller's other ready datasets that lists it. A 400 lists where
    /// it looked when none has it.
    func benchmarkFile(_ symbol: String?, evaluated: [EvaluationPlan.DataSource], user: AuthenticatedUser, logger: Logger) async throws -> String? {
        guard let symbol else { return nil }
        var looked: [String] = []
        var inEvaluated = true
        for source in evaluated {
            let symbols = (try? BarFile(path: source.path))?.symbols ?? []
            if !symbols.contains(symbol) { inEvaluated = false }
            looked.append("\(source.name) (\(symbols.prefix(8).joined(separator: ", "))\(symbols.count > 8 ? ", …" : ""))")
        }
        if inEvaluated { return nil }
        if let (id, path) = try await datasets.latestReady(withSymbol: symbol, ownerID: user.id, logger: logger) {
            logger.info("benchmark found in another dataset", metadata: ["dataset": .stringConvertible(id), "symbol": .string(symbol)])
            return path
        }
        let others = try await datasets.readyNames(ownerID: user.id, limit: 20, logger: logger)
        throw APIError.validation([.init(field: "config.benchmark", message: "no symbol \(symbol) in \(looked.joined(separator: "; ")) nor in your other ready datasets"
                                         + (others.isEmpty ? "" : " (\(others.joined(separator: ", ")))") + "; upload a file with it, or use buy_and_hold")])
    }

    func ownedStrategy(_ id: Int, field: String, user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord {
        do { return try await strategies.find(id, for: user, reading: .latest, logger: logger) } catch let error as StoreError where error.isNotFound {
            throw APIError(.notFound, type: "not_found", message: "Strategy \(id) not found", details: [.init(field: field, message: "no such strategy of yours")])
        }
    }

    /// The rule a strategy's config names (`rule`, or `strategy` as older configs say), if any.
    static func ruleName(_ config: JSONValue) -> String? {
        let fields = config.objectValue ?? [:]
        return (fields["rule"] ?? fields["strategy"])?.stringValue
    }


    /// A built-in rule, or expressions, from a strategy's (or version's) config and parameters,
    /// checked now.
    static func ruleSubject(_ strategy: StrategyRecord, version: String?, config: JSONValue, parameters: JSONValue, overrides: [String: Double],
                            field: String) throws -> EvaluationPlan.Subject {
        let fields = config.objectValue ?? [:]
        if let subject = try expressionSubject(strategy, version: version, fields: fields, parameters: parameters, overrides: overrides, field: field) {
            return subject
        }
        guard let rule = (fields["rule"] ?? fields["strategy"])?.stringValue, StrategySpec.catalog[rule] != nil else {
            throw APIError.validation([.init(field: field, message: "strategy \(strategy.id) names no rule: set its config.rule to one of "
                                                + "\(StrategySpec.catalog.keys.sorted().joined(separator: ", ")), or give config.training_job_id to evaluate a trained model")])
        }
        // Values that are not numbers (a note, a label) are no rule's parameters: left out.
        var values = StrategyExpressions.numericParameters(parameters)
        values.merge(overrides) { $1 }
        let spec = StrategySpec(name: rule, parameters: values.filter { StrategySpec.catalog[rule]?[$0.key] != nil })
        do { _ = try Strategies.warmupBars(spec) } catch let error as BacktestError {
            throw APIError.validation([.init(field: field, message: "strategy \(strategy.id): \(error.description)")])
        }
        let label = strategy.name + (version.map { " v\($0)" } ?? "") + " (" + rule + " " + spec.parameters.keys.sorted().map { "\($0)=\(SweepCSVWriter.format(spec.parameters[$0]!))" }.joined(separator: " ") + ")"
        return .init(label: label, strategyID: strategy.id, version: version, rule: rule, parameters: spec.parameters)
    }

    /// A strategy written as expressions (config `entry`/`short_entry` …, or `position`), with its
    /// numeric parameters and the request's overrides; nil when the config holds none. Whether
    /// every `{parameter}` has a value is checked per run (a grid gives the swept ones).
    static func expressionSubject(_ strategy: StrategyRecord, version: String?, fields: [String: JSONValue], parameters: JSONValue,
                                  overrides: [String: Double], field: String) throws -> EvaluationPlan.Subject? {
        let text = { (key: String) in fields[key]?.stringValue }
        let rules = text("entry") != nil || text("short_entry") != nil
            ? SignalRules(entry: text("entry"), exit: text("exit"), shortEntry: text("short_entry"), shortExit: text("short_exit")) : nil
        let position = text("position")
        guard rules != nil || position != nil else { return nil }
        // Values that are not numbers (a note, a label) are no rule's parameters: left out.
        var values = StrategyExpressions.numericParameters(parameters)
        values.merge(overrides) { $1 }
        let subject = EvaluationPlan.Subject(label: "", strategyID: strategy.id, version: version, rule: nil, rules: rules, position: position, parameters: [:])
        let named: [String]
        do { named = try EvaluationPlan.expressionParameters(subject) ?? [] } catch let error as RuleError {
            throw APIError.validation([.init(field: "config.\(error.field)", message: error.error.oneLine)])
        } catch let error as ExpressionError {
            throw APIError.validation([.init(field: "config.position", message: error.oneLine)])
        }
        let used = values.filter { named.contains($0.key) }
        let label = strategy.name + (version.map { " v\($0)" } ?? "") + " (expressions"
            + used.keys.sorted().map { " \($0)=\(SweepCSVWriter.format(used[$0]!))" }.joined() + ")"
        return .init(label: label, strategyID: strategy.id, version: version, rule: nil, rules: rules, position: position, parameters: used)
    }

    func readyDataset(_ id: Int, field: String, user: AuthenticatedUser, symbol: String?, benchmark: String?, start: Int64?, end: Int64?,
                      reader: DatasetFitness.Reader, logger: Logger) async throws -> EvaluationPlan.DataSource {
        let dataset: DatasetRecord
        do { dataset = try await datasets.find(id, for: user, reading: .latest, logger: logger) } catch let error as StoreError where error.isNotFound {
            throw APIError(.notFound, type: "not_found", message: "Dataset \(id) not found", details: [.init(field: field, message: "no such dataset of yours")])
        }
        guard dataset.status == .ready else { throw APIError.conflict("Dataset \(id) is \(dataset.status), not ready", field: field) }
        // The symbol and benchmark must be in the file: said now rather than by a failed task.
        if let file = try? BarFile(path: dataset.filePath) {
            for (name, wanted) in [("config.symbol", symbol)] {
                if let wanted, !file.symbols.contains(wanted) {
                    throw APIError.validation([.init(field: name, message: "dataset \(id) has no symbol \(wanted) (it has \(file.symbols.joined(separator: ", ")))")])
                }
            }
            try DatasetFitness.check(file, id: id, field: field, symbol: symbol, start: start, end: end, reader: reader)
        }
        return .init(datasetID: id, name: dataset.name, path: dataset.filePath, symbol: symbol)
    }

    /// A completed training job of the strategy, evaluated on its held-out test split.
    func trainedModel(_ jobID: Int, strategy: StrategyRecord, user: AuthenticatedUser, logger: Logger) async throws -> (EvaluationPlan.Subject, EvaluationPlan.DataSource) {
        let job: TrainingJobRecord
        do { job = try await jobs.find(jobID, for: user, reading: .latest, logger: logger) } catch let error as StoreError where error.isNotFound {
            throw APIError(.notFound, type: "not_found", message: "Training job \(jobID) not found", details: [.init(field: "config.training_job_id", message: "no such job of yours")])
        }
        guard job.strategyID == strategy.id else {
            throw APIError.validation([.init(field: "config.training_job_id", message: "job \(jobID) trained strategy \(job.strategyID.map(String.init) ?? "none"), not \(strategy.id)")])
        }
        guard job.status == .completed else { throw APIError.conflict("Training job \(jobID) is \(job.status), not completed", field: "config.training_job_id") }
        let test = settings.splits(jobID: jobID).test
        guard FileManager.default.fileExists(atPath: test) else {
            throw APIError.conflict("Training job \(jobID) has no test split (it trained on data given by path, not an uploaded dataset)", field: "config.training_job_id")
        }
        let agent = job.config.objectValue?["agent_name"]?.stringValue ?? "agent"
        return (.init(label: "\(strategy.name) (\(agent), job \(jobID))", strategyID: strategy.id, version: nil, rule: nil, parameters: [:],
                      trainingJobID: jobID, modelDirectory: settings.runDirectory(jobID: jobID)),
                .init(datasetID: job.datasetID, name: "test split of job \(jobID)", path: test, symbol: nil))
    }

    func strategyVersion(_ id: Int, version: String, logger: Logger) async throws -> (JSONValue, JSONValue) {
        guard let found = try await strategies.version(version, of: id, logger: logger) else {
            throw APIError(.notFound, type: "not_found", message: "Strategy \(id) has no version \(version)", details: [.init(field: "config.versions", message: "no such version")])
        }
        return found
    }
}
