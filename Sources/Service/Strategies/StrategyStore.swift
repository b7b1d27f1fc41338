import Backtest
import Foundation
import Logging
import PostgresNIO

/// The SQL behind strategies. Every statement is scoped to what the caller may see (their own
/// rows; a superuser's scope is everything), so another user's id reads as "not found". Edits
/// that change `config` or `parameters` add a `strategy_versions` row in the same transaction,
/// with the strategy row locked so two concurrent edits cannot take the same version number.
public struct StrategyStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The scope condition on alias `s` for `user`.
    static func scope(_ user: AuthenticatedUser, into conditions: inout SQLConditions) {
        if !user.isSuperuser { conditions.add(user.id) { "s.owner_id = \($0)" } }
    }

    /// Filters of the list endpoint (already validated).
    public struct Filters: Sendable {
        public var type: String?
        public var status: String?
        public var tags: [String] = []
        public var category: String?
        public var ownerID: Int?
        public var search: String?

        var isEmpty: Bool { type == nil && status == nil && tags.isEmpty && category == nil && ownerID == nil && search == nil }
    }

    /// The list's filters as a WHERE clause on alias `s`, in `user`'s scope.
    static func conditions(for user: AuthenticatedUser, filters: Filters) -> SQLConditions {
        var conditions = SQLConditions()
        scope(user, into: &conditions)
        if let type = filters.type { conditions.add(type) { "s.strategy_type = \($0)::strategy_type" } }
        if let status = filters.status { conditions.add(status) { "s.status = \($0)::strategy_status" } }
        if !filters.tags.isEmpty { conditions.add(filters.tags) { "s.tags @> \($0)::text[]" } }
        if let category = filters.category { conditions.add(category) { "s.category = \($0)" } }
        if let owner = filters.ownerID { conditions.add(owner) { "s.owner_id = \($0)" } }
        if let search = filters.search {
            conditions.add(SQLConditions.containsPattern(search)) { "s.name ILIKE \($0) OR s.description ILIKE \($0)" }
        }
        return conditions
    }

    public func list(for user: AuthenticatedUser, filters: Filters, query: ListQuery, logger: Logger) async throws -> Page<StrategyRecord> {
        let reader = database.reader
        var total = 0
        var items: [StrategyRecord] = []
        if filters.isEmpty && query.sort == ListQuery.defaultSortKeys && !user.isSuperuser {
            // The first screen of every client: prepared once per connection.
            for try await n in try await reader.execute(DefaultStrategyCount(userID: user.id), logger: logger) { total = n }
            let page = DefaultStrategyPage(userID: user.id, limit: query.size, offset: query.offset)
            for try await record in try await reader.execute(page, logger: logger) { items.append(record) }
            return Page(items: items, total: total, page: query.page, size: query.size)
        }
        // Otherwise the page carries the total as a window count: under one sort key through a
        // prepared statement per order, under several built per request (parsed and planned
        // each time).
        if query.sort.count == 1,
           let rows = try await preparedFilteredPage(scopeOwner: user.isSuperuser ? nil : user.id, filters: filters, sort: query.sort[0],
                                                     limit: query.size, offset: query.offset, logger: logger) {
            items = rows.map(\.0)
            total = rows.first?.1 ?? 0
        } else {
            let conditions = Self.conditions(for: user, filters: filters)
            let order = query.sort.map { "\(Self.sortExpression($0.column, alias: "s.")) \($0.descending ? "DESC NULLS LAST" : "ASC NULLS FIRST")" } + ["s.id ASC"]
            let page = PostgresQuery(unsafeSQL: """
                SELECT \(StrategyRecord.columns), count(*) OVER ()::int8 FROM strategies s \(conditions.whereClause)
                ORDER BY \(order.joined(separator: ", ")) LIMIT \(query.size) OFFSET \(query.offset)
                """, binds: conditions.binds)
            for try await row in try await reader.query(page, logger: logger) {
                var cells = RowCells(row)
                items.append(try StrategyRecord(cells: &cells))
                total = Int(try cells.next(Int64.self))
            }
        }
        // A page past the end has no rows to carry the total: counted on its own.
        if items.isEmpty && query.offset > 0 {
            let conditions = Self.conditions(for: user, filters: filters)
            let count = PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM strategies s \(conditions.whereClause)", binds: conditions.binds)
            for try await n in try await reader.query(count, logger: logger).decode(Int64.self) { total = Int(n) }
        }
        return Page(items: items, total: total, page: query.page, size: query.size)
    }

    /// One strategy in `user`'s scope, from `client` (the replica unless a caller needs its own
    /// write read back).
    public func find(_ id: Int, for user: AuthenticatedUser, reading freshness: ReadFreshness = .anyReplica, logger: Logger) async throws -> StrategyRecord {
        let statement = StrategyByIDStatement(id: id, userID: user.id, superuser: user.isSuperuser)
        for try await record in try await (freshness == .latest ? database.primary : database.reader).execute(statement, logger: logger) { return record }
        throw StoreError.notFound("Strategy \(id) not found")
    }

    /// What a create or clone writes.
    public struct NewStrategy: Sendable {
        public var name: String
        public var description: String?
        public var type: String
        public var config: JSONValue
        public var parameters: JSONValue
        public var tags: [String]
        public var category: String?
        public var parentID: Int?
        public var changelog: String
    }

    /// Inserts a strategy owned by `user` and its first version (1.0.0, active).
    public func create(_ new: NewStrategy, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord {
        try await database.transaction(logger: logger) { connection in
            let insert: PostgresQuery = """
                INSERT INTO strategies AS s (name, description, strategy_type, status, version, config, parameters, owner_id,
                                             parent_strategy_id, tags, category)
                VALUES (\(new.name), \(new.description), \(new.type)::strategy_type, 'draft', '1.0.0', \(new.config.jsonText)::jsonb,
                        \(new.parameters.jsonText)::jsonb, \(user.id), \(new.parentID), \(new.tags)::text[], \(new.category))
                RETURNING \(unescaped: StrategyRecord.columns)
                """
            guard let record = try await StrategyRecord.all(connection.query(insert, logger: logger)).first else { throw StoreError.missingRow("the strategy's row") }
            try await Self.addVersion(strategyID: record.id, version: .initial, config: new.config, parameters: new.parameters,
                                      changelog: new.changelog, userID: user.id, on: connection, logger: logger)
            return record
        }
    }

    /// A change to a strategy; nil fields stay as they are.
    public struct Change: Sendable {
        public var name: String?
        public var description: String??
        public var config: JSONValue?
        public var parameters: JSONValue?
        public var tags: [String]?
        public var category: String??
        public var changelog: String?
        public var bump: SemanticVersion.Part?
    }

    /// Applies `change`; a new config or parameters makes a new version (a `bump` part, else
    /// minor for a config change and patch for parameters alone) numbered after the highest
    /// existing one, which becomes the active version.
    public func update(_ id: Int, change: Change, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord {
        try await database.transaction(logger: logger) { connection in
            let current = try await Self.lockedStrategy(id, for: user, on: connection, logger: logger)
            let config = change.config ?? current.config, parameters = change.parameters ?? current.parameters
            var version = current.version
            if config != current.config || parameters != current.parameters {
                let part = change.bump ?? (config != current.config ? .minor : .patch)
                let next = try await Self.highestVersion(of: id, on: connection, logger: logger).bumped(part)
                let summary = config != current.config ? "config changed" : "parameters changed"
                try await Self.addVersion(strategyID: id, version: next, config: config, parameters: parameters,
                                          changelog: change.changelog ?? summary, userID: user.id, on: connection, logger: logger)
                version = next.description
            }
            let description = change.description ?? current.description
            let category = change.category ?? current.category
            let updateQuery: PostgresQuery = """
                UPDATE strategies AS s SET name = \(change.name ?? current.name), description = \(description),
                    config = \(config.jsonText)::jsonb, parameters = \(parameters.jsonText)::jsonb, version = \(version),
                    tags = \(change.tags ?? current.tags)::text[], category = \(category)
                WHERE s.id = \(id) RETURNING \(unescaped: StrategyRecord.columns)
                """
            guard let record = try await StrategyRecord.all(connection.query(updateQuery, logger: logger)).first else { throw StoreError.missingRow("the strategy's row") }
            return record
        }
    }

    /// Deletes a strategy that is not running (its versions, jobs and evaluations go with it;
    /// its clones stay, no longer pointing at it).
    public func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws {
        try await database.transaction(logger: logger) { connection in
            let current = try await Self.lockedStrategy(id, for: user, on: connection, logger: logger)
            guard current.status != .active else { throw StoreError.conflict("Strategy \(id) is active; stop it before deleting", field: "status") }
            try await connection.query("DELETE FROM strategies WHERE id = \(id)", logger: logger)
        }
    }

    /// Moves the status by `action` when the current status allows it, else a 409.
    public func transition(_ id: Int, _ action: StrategyLifecycle.Action, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord {
        try await database.transaction(logger: logger) { connection in
            let current = try await Self.lockedStrategy(id, for: user, on: connection, logger: logger)
            guard action.allowedFrom.contains(current.status) else {
                throw StoreError.conflict("Cannot \(action.rawValue) a strategy that is \(current.status); \(action.rawValue) works from \(action.allowedFrom.map(\.rawValue).joined(separator: ", "))",
                                        field: "status")
            }
            let query: PostgresQuery = """
                UPDATE strategies AS s SET status = \(action.target.rawValue)::strategy_status WHERE s.id = \(id) RETURNING \(unescaped: StrategyRecord.columns)
                """
            guard let record = try await StrategyRecord.all(connection.query(query, logger: logger)).first else { throw StoreError.missingRow("the strategy's row") }
            // A rule strategy with a dataset, or one with a trained model, starts a paper-trading
            // replay; stop asks it to end.
            switch action {
            case .start:
                var replays = PaperTradeHandler.Replay(record) != nil
                if !replays { replays = try await TrainingJobStore(database: database).latestModelPath(ofStrategy: id, logger: logger) != nil }
                if replays {
                    _ = try await TaskQueue.enqueue(NewTask(name: PaperTradeHandler.taskName, kwargs: .object(["strategy_id": .int(Int64(id))]),
                                                            queue: TaskQueues.default, maxRetries: 3, userID: user.id, relatedType: .strategy, relatedID: id),
                                                    on: connection, logger: logger)
                }
            case .stop:
                _ = try await TaskQueue(client: database.primary).requestCancel(relatedType: .strategy, relatedID: id, on: connection, logger: logger)
            }
            try await Events.notify(Events.payload(channel: "strategy_status", id: id, userID: record.ownerID, type: "status",
                                                   data: .object(["strategy_id": .int(Int64(id)), "status": .string(record.status.rawValue)])),
                                    on: connection, logger: logger)
            return record
        }
    }

    /// The versions of a strategy in `user`'s scope, newest first.
    public func versions(of id: Int, for user: AuthenticatedUser, query: ListQuery, logger: Logger) async throws -> Page<StrategyVersionRecord> {
        _ = try await find(id, for: user, logger: logger)
        var total = 0
        for try await n in try await database.reader.query("SELECT count(*)::int8 FROM strategy_versions WHERE strategy_id = \(id)", logger: logger)
            .decode(Int64.self) { total = Int(n) }
        let order = query.sort.map { "\(Self.sortExpression($0.column, alias: "")) \($0.descending ? "DESC" : "ASC")" } + ["id DESC"]
        let page = PostgresQuery(unsafeSQL: """
            SELECT \(StrategyVersionRecord.columns) FROM strategy_versions WHERE strategy_id = $1
            ORDER BY \(order.joined(separator: ", ")) LIMIT \(query.size) OFFSET \(query.offset)
            """, binds: { var b = PostgresBindings(); b.append(id); return b }())
        return Page(items: try await StrategyVersionRecord.all(database.reader.query(page, logger: logger)), total: total, page: query.page, size: query.size)
    }

    /// Makes an earlier version current again: its config and parameters become the strategy's.
    public func activate(_ id: Int, version: String, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord {
        try await database.transaction(logger: logger) { connection in
            _ = try await Self.lockedStrategy(id, for: user, on: connection, logger: logger)
            let chosen: PostgresQuery = """
                UPDATE strategy_versions SET is_active = (version = \(version)) WHERE strategy_id = \(id)
                RETURNING version, config::text, coalesce(parameters, '{}')::text
                """
            var found: (String, String)?
            for try await (name, config, parameters) in try await connection.query(chosen, logger: logger).decode((String, String, String).self) where name == version {
                found = (config, parameters)
            }
            guard let found else { throw StoreError.notFound("Strategy \(id) has no version \(version)") }
            let query: PostgresQuery = """
                UPDATE strategies AS s SET config = \(found.0)::jsonb, parameters = \(found.1)::jsonb, version = \(version)
                WHERE s.id = \(id) RETURNING \(unescaped: StrategyRecord.columns)
                """
            guard let record = try await StrategyRecord.all(connection.query(query, logger: logger)).first else { throw StoreError.missingRow("the strategy's row") }
            return record
        }
    }

    /// A whitelisted sort column as SQL; versions sort numerically (1.10.0 after 1.9.0).
    static func sortExpression(_ column: String, alias: String) -> String {
        column == "version" ? "string_to_array(\(alias)version, '.')::int[]" : alias + column
    }

    /// A strategy by id regardless of owner (the worker's view).
    public func find(_ id: Int, logger: Logger) async throws -> StrategyRecord? {
        try await StrategyRecord.all(database.primary.query("SELECT \(unescaped: StrategyRecord.columns) FROM strategies s WHERE s.id = \(id)", logger: logger)).first
    }

    /// The performance fields and `last_run_at` from a paper trade's bars so far.
    public func recordPerformance(_ metrics: PerformanceMetrics, strategyID: Int, logger: Logger) async throws {
        try await database.primary.query(StrategyRecord.Performance(metrics).update(strategyID: strategyID), logger: logger)
    }

    /// Ends a paper trade: the status (if still active) and its event.
    public func endPaperTrade(_ strategy: StrategyRecord, status: StrategyStatus, reason: String, logger: Logger) async throws {
        try await database.transaction(logger: logger) { connection in
            var changed = false
            for try await _ in try await connection.query("""
                UPDATE strategies SET status = \(status.rawValue)::strategy_status WHERE id = \(strategy.id) AND status = 'active' RETURNING 1
                """, logger: logger).decode(Int.self) { changed = true }
            if changed {
                try await Events.notify(Events.payload(channel: "strategy_status", id: strategy.id, userID: strategy.ownerID, type: "status",
                                                       data: .object(["strategy_id": .int(Int64(strategy.id)), "status": .string(status.rawValue), "reason": .string(reason)])),
                                        on: connection, logger: logger)
            }
        }
    }

    /// A version's config and parameters; nil when the strategy has no such version.
    public func version(_ version: String, of id: Int, logger: Logger) async throws -> (config: JSONValue, parameters: JSONValue)? {
        for try await (config, parameters) in try await database.primary.query("""
            SELECT config::text, coalesce(parameters, '{}')::text FROM strategy_versions WHERE strategy_id = \(id) AND version = \(version)
            """, logger: logger).decode((String, String).self) {
            return (try JSONValue.parse(config), try JSONValue.parse(parameters))
        }
        return nil
    }

    // MARK: - Inside transactions

    static func lockedStrategy(_ id: Int, for user: AuthenticatedUser, on connection: PostgresConnection, logger: Logger) async throws -> StrategyRecord {
        var conditions = SQLConditions()
        conditions.add(id) { "s.id = \($0)" }
        scope(user, into: &conditions)
        let query = PostgresQuery(unsafeSQL: "SELECT \(StrategyRecord.columns) FROM strategies s \(conditions.whereClause) FOR UPDATE", binds: conditions.binds)
        guard let record = try await StrategyRecord.all(connection.query(query, logger: logger)).first else {
            throw StoreError.notFound("Strategy \(id) not found")
        }
        return record
    }

    static func highestVersion(of id: Int, on connection: PostgresConnection, logger: Logger) async throws -> SemanticVersion {
        var highest = SemanticVersion.initial
        for try await text in try await connection.query("SELECT version FROM strategy_versions WHERE strategy_id = \(id)", logger: logger).decode(String.self) {
            if let version = SemanticVersion(text), version > highest { highest = version }
        }
        return highest
    }

    /// Inserts `version` as the active one (the others become inactive).
    static func addVersion(strategyID: Int, version: SemanticVersion, config: JSONValue, parameters: JSONValue, changelog: String,
                           userID: Int, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE strategy_versions SET is_active = false WHERE strategy_id = \(strategyID) AND is_active", logger: logger)
        let insert: PostgresQuery = """
            INSERT INTO strategy_versions (strategy_id, version, config, parameters, changelog, is_active, created_by)
            VALUES (\(strategyID), \(version.description), \(config.jsonText)::jsonb, \(parameters.jsonText)::jsonb, \(changelog), true, \(userID))
            """
        try await connection.query(insert, logger: logger)
    }
}
