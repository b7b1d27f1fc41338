import Foundation
import Hummingbird
import Logging

/// `/api/v1/strategies/`: list, create, get, update, delete, start, stop, clone, versions and
/// version activation, all behind `AuthMiddleware` and scoped to the caller's own strategies
/// (a superuser's scope is all of them).
public struct StrategyRoutes: Sendable {
    let store: any StrategyStoring
    let datasets: any DatasetStoring
    let auth: AuthService
    /// For the idempotency middleware.
    let database: Database

    public init(stores: ServiceStores, database: Database, auth: AuthService) {
        store = stores.strategies
        datasets = stores.datasets
        self.database = database
        self.auth = auth
    }

    /// The list's sort keys and filters.
    static let listing = ListParameters(
        sortable: ["created_at", "updated_at", "name", "status", "strategy_type", "version", "total_return",
                   "sharpe_ratio", "max_drawdown", "win_rate", "last_run_at"],
        filters: [.init("type", .string(cases: StrategyLifecycle.types), "Only strategies of this type"),
                  .init("status", .cases(of: StrategyStatus.self), "Only strategies in this status"),
                  .init("tags", .string(), "Comma-separated tags; strategies carrying all of them"),
                  .init("category", .string(), "Only strategies in this category"),
                  .init("owner_id", .id, "Only this user's strategies (a superuser's filter)")])

    /// The versions list's sort keys.
    static let versionListing = ListParameters(sortable: ["created_at", "version"])

    public func register(on router: Router<APIContext>) {
        let group = router.group("/api/v1/strategies").add(middleware: AuthMiddleware(auth: auth)).add(middleware: IdempotencyMiddleware(database: database))
        group.get { request, context in try await self.list(request, context) }
        group.post { request, context in try await self.create(request, context) }
        group.get("/:id") { _, context in
            try Envelope.success(try await self.store.find(try Self.id(context), for: try context.requireUser(), logger: context.logger), context: context)
        }
        group.put("/:id") { request, context in try await self.update(request, context) }
        group.delete("/:id") { _, context in
            let id = try Self.id(context)
            try await self.store.delete(id, for: try context.requireUser(), logger: context.logger)
            return try Envelope.success(["id": id], message: "Strategy deleted", context: context)
        }
        group.post("/:id/start") { _, context in try await self.transition(.start, context) }
        group.post("/:id/stop") { _, context in try await self.transition(.stop, context) }
        group.post("/:id/clone") { request, context in try await self.clone(request, context) }
        group.get("/:id/versions") { request, context in
            let query = try Self.versionListing.parse(request.formQueryParameters)
            let page = try await self.store.versions(of: try Self.id(context), for: try context.requireUser(), query: query, logger: context.logger)
            return try Envelope.success(page, context: context)
        }
        group.post("/:id/versions/:version/activate") { _, context in
            guard let version = context.parameters.get("version"), SemanticVersion(version) != nil else {
                throw APIError.validation([.init(field: "version", message: "must be MAJOR.MINOR.PATCH")])
            }
            let record = try await self.store.activate(try Self.id(context), version: version, for: try context.requireUser(), logger: context.logger)
            return try Envelope.success(record, message: "Version \(version) activated", context: context)
        }
    }

    /// The `{id}` path parameter as a positive integer, else a 404 (no such strategy can exist).
    static func id(_ context: APIContext) throws -> Int { try context.pathID("Strategy") }

    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let query = try Self.listing.parse(request.formQueryParameters)
        var filters = StrategyStore.Filters(search: query.search)
        var problems: [APIError.Detail] = []
        if let type = query.filters["type"] {
            if StrategyLifecycle.types.contains(type) { filters.type = type } else {
                problems.append(.init(field: "type", message: "one of \(StrategyLifecycle.types.joined(separator: ", "))"))
            }
        }
        if let status = query.filters["status"] {
            if StrategyLifecycle.statuses.contains(status) { filters.status = status } else {
                problems.append(.init(field: "status", message: "one of \(StrategyLifecycle.statuses.joined(separator: ", "))"))
            }
        }
        if let tags = query.filters["tags"] {
            filters.tags = tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        filters.category = query.filters["category"]
        if let owner = query.filters["owner_id"] {
            if let id = Int(owner), id > 0, id <= Int(Int32.max) { filters.ownerID = id } else { problems.append(.init(field: "owner_id", message: "must be a user id")) }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return try Envelope.success(try await store.list(for: user, filters: filters, query: query, logger: context.logger), context: context)
    }

    /// A `config.dataset_id` must name a dataset the caller can see: someone else's (or none) is a
    /// 400 at `POST`, `PUT` and `start`, not a worker's refusal after a 200. Returns the columns of
    /// the dataset named, when its file can be read.
    @discardableResult
    func checkDatasetReference(in config: JSONValue, for user: AuthenticatedUser, logger: Logger) async throws -> [String]? {
        guard let reference = config.objectValue?["dataset_id"], reference != .null else { return nil }
        guard case .int(let raw) = reference, raw > 0, raw <= Int64(Int32.max) else {
            throw APIError.validation([.init(field: "config.dataset_id", message: "must be a dataset id")])
        }
        do {
            let dataset = try await datasets.find(Int(raw), for: user, reading: .latest, logger: logger)
            return dataset.status == .ready ? StrategyExpressions.columns(ofFile: dataset.filePath) : nil
        } catch let error as StoreError where error.isNotFound {
            throw APIError.validation([.init(field: "config.dataset_id", message: "no dataset \(raw) of yours")])
        }
    }

    /// The strategy's expressions (see `StrategyExpressions`), every problem at once.
    func checkExpressions(_ config: JSONValue, parameters: JSONValue, columns: [String]?) throws {
        let problems = StrategyExpressions.problems(config: config, parameters: parameters, columns: columns)
        if !problems.isEmpty { throw APIError.validation(problems) }
    }

    func create(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decode(as: CreateStrategyRequest.self, context: context)
        let (config, parameters) = (input.config, input.parameters)
        let columns = try await checkDatasetReference(in: config, for: user, logger: context.logger)
        try checkExpressions(config, parameters: parameters, columns: columns)
        let record = try await store.create(.init(name: input.name, description: input.description, type: input.strategyType, config: config,
                                                  parameters: parameters, tags: input.tags, category: input.category, parentID: nil, changelog: "Initial version"),
                                            for: user, logger: context.logger)
        return try Envelope.success(record, status: .created, message: "Strategy created", context: context)
    }

    /// PUT changes the fields it is given (absent fields stay; null clears description and
    /// category); `changelog` and `version_bump` (major, minor, patch) describe the new version
    /// a config or parameters change makes.
    func update(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let change = try await request.decode(as: UpdateStrategyRequest.self, context: context).change
        if change.config != nil || change.parameters != nil {
            let current = try await store.find(id, for: user, reading: .latest, logger: context.logger)
            let config = change.config ?? current.config
            let columns = try await checkDatasetReference(in: config, for: user, logger: context.logger)
            try checkExpressions(config, parameters: change.parameters ?? current.parameters, columns: columns)
        }
        let record = try await store.update(id, change: change, for: user, logger: context.logger)
        return try Envelope.success(record, message: "Strategy updated", context: context)
    }

    func transition(_ action: StrategyLifecycle.Action, _ context: APIContext) async throws -> Response {
        if action == .start {
            // The dataset may have been deleted (or the strategy written before this check existed).
            let user = try context.requireUser()
            let strategy = try await store.find(try Self.id(context), for: user, reading: .latest, logger: context.logger)
            try await checkDatasetReference(in: strategy.config, for: user, logger: context.logger)
        }
        let record = try await store.transition(try Self.id(context), action, for: try context.requireUser(), logger: context.logger)
        return try Envelope.success(record, message: action == .start ? "Strategy started" : "Strategy stopped", context: context)
    }

    /// A copy owned by the caller: draft, version 1.0.0, no performance, `parent_strategy_id`
    /// pointing at the original; the body may name it (default "<name> (copy)").
    func clone(_ request: Request, _ context: APIContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try Self.id(context)
        let name = try await request.decode(as: CloneStrategyRequest.self, context: context).name
        let original = try await store.find(id, for: user, reading: .latest, logger: context.logger)
        let copyName = name ?? String((original.name + " (copy)").prefix(100))
        let record = try await store.create(.init(name: copyName, description: original.description, type: original.strategyType,
                                                  config: original.config, parameters: original.parameters, tags: original.tags,
                                                  category: original.category, parentID: original.id,
                                                  changelog: "Cloned from strategy \(original.id) version \(original.version)"),
                                            for: user, logger: context.logger)
        return try Envelope.success(record, status: .created, message: "Strategy cloned", context: context)
    }
}
