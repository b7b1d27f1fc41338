import Foundation
import PostgresNIO

/// A `strategies` row as the API shows it: the seed's fields with the performance figures
/// grouped under `performance`, as in the seed's list example.
public struct StrategyRecord: Encodable, Sendable {
    /// The figures the worker writes after a run (null until there is one).
    public struct Performance: Encodable, Sendable, Equatable {
        public var totalReturn: Double?
        public var sharpeRatio: Double?
        public var maxDrawdown: Double?
        public var winRate: Double?
    }

    public var id: Int
    public var name: String
    public var description: String?
    public var strategyType: String
    public var status: StrategyStatus
    public var version: String
    /// `config` and `parameters` as PostgreSQL printed their jsonb (always valid JSON): responses
    /// copy the text, parsing it into values only to print them again cost every list request.
    var configJSON: RawJSON
    var parametersJSON: RawJSON
    public var performance: Performance
    public var ownerID: Int?
    public var parentStrategyID: Int?
    public var tags: [String]
    public var category: String?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var lastRunAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, strategyType, status, version, configJSON = "config", parametersJSON = "parameters"
        case performance, ownerID, parentStrategyID, tags, category, createdAt, updatedAt, lastRunAt
    }

    public var config: JSONValue { (try? JSONValue.parse(configJSON.text)) ?? .object([:]) }
    public var parameters: JSONValue { (try? JSONValue.parse(parametersJSON.text)) ?? .object([:]) }

    /// The select list the decoder reads, in order (qualified, so joins may use it).
    static let columns = """
        s.id, s.name, s.description, s.strategy_type::text, coalesce(s.status::text, 'draft'), coalesce(s.version, '1.0.0'),
        coalesce(s.config, '{}')::text, coalesce(s.parameters, '{}')::text, s.total_return::float8, s.sharpe_ratio::float8,
        s.max_drawdown::float8, s.win_rate::float8, s.owner_id, s.parent_strategy_id, coalesce(s.tags, '{}'), s.category,
        s.created_at, s.updated_at, s.last_run_at
        """

    static func all(_ rows: PostgresRowSequence) async throws -> [StrategyRecord] {
        var records: [StrategyRecord] = []
        for try await row in rows { records.append(try StrategyRecord(row: row)) }
        return records
    }

    /// Decodes the `columns` of `row` column by column: decoding the 19-column tuple generically
    /// looked up its type metadata at run time on every row.
    init(row: PostgresRow) throws {
        var cells = RowCells(row)
        try self.init(cells: &cells)
    }

    /// The same from cells the caller goes on reading (a list's window count after the record).
    init(cells: inout RowCells) throws {
        id = try cells.next(Int.self)
        name = try cells.next(String.self)
        description = try cells.next(String?.self)
        strategyType = try cells.next(String.self)
        status = try .decoding(try cells.next(String.self), column: "strategies.status")
        version = try cells.next(String.self)
        configJSON = RawJSON(try cells.next(String.self))
        parametersJSON = RawJSON(try cells.next(String.self))
        performance = Performance(totalReturn: try cells.next(Double?.self), sharpeRatio: try cells.next(Double?.self),
                                  maxDrawdown: try cells.next(Double?.self), winRate: try cells.next(Double?.self))
        ownerID = try cells.next(Int?.self)
        parentStrategyID = try cells.next(Int?.self)
        tags = try cells.next([String].self)
        category = try cells.next(String?.self)
        createdAt = try cells.next(Date?.self)
        updatedAt = try cells.next(Date?.self)
        lastRunAt = try cells.next(Date?.self)
    }

}

/// One strategy by id within a user's scope, prepared once per connection (the detail route's
/// only query besides the session check).
struct StrategyByIDStatement: PostgresPreparedStatement {
    typealias Row = StrategyRecord

    static let sql = "SELECT \(StrategyRecord.columns) FROM strategies s WHERE s.id = $1 AND (s.owner_id = $2 OR $3)"

    var id: Int
    var userID: Int
    var superuser: Bool

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(id)
        bindings.append(userID)
        bindings.append(superuser)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> StrategyRecord {
        try StrategyRecord(row: row)
    }
}

/// A `strategy_versions` row.
public struct StrategyVersionRecord: Encodable, Sendable {
    public var id: Int
    public var strategyID: Int
    public var version: String
    public var config: JSONValue
    public var parameters: JSONValue
    public var changelog: String?
    public var isActive: Bool
    public var createdBy: Int?
    public var createdAt: Date?

    static let columns = "id, strategy_id, version, config::text, coalesce(parameters, '{}')::text, changelog, coalesce(is_active, false), created_by, created_at"

    static func all(_ rows: PostgresRowSequence) async throws -> [StrategyVersionRecord] {
        var records: [StrategyVersionRecord] = []
        for try await row in rows.decode((Int, Int, String, String, String, String?, Bool, Int?, Date?).self) {
            records.append(StrategyVersionRecord(id: row.0, strategyID: row.1, version: row.2, config: try JSONValue.parse(row.3),
                                                 parameters: try JSONValue.parse(row.4), changelog: row.5, isActive: row.6,
                                                 createdBy: row.7, createdAt: row.8))
        }
        return records
    }
}

/// How many strategies a user owns: the default list's count, prepared. (A superuser's lists
/// take the general path: an `OR` in a generic plan would keep the owner index from being used.)
struct DefaultStrategyCount: PostgresPreparedStatement {
    typealias Row = Int

    static let sql = "SELECT count(*)::int8 FROM strategies s WHERE s.owner_id = $1"

    var userID: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(userID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int { Int(try row.decode(Int64.self)) }
}

/// A page of a user's default list (no filters, newest first), prepared.
struct DefaultStrategyPage: PostgresPreparedStatement {
    typealias Row = StrategyRecord

    static let sql = """
        SELECT \(StrategyRecord.columns) FROM strategies s WHERE s.owner_id = $1
        ORDER BY s.created_at DESC NULLS LAST, s.id ASC LIMIT $2 OFFSET $3
        """

    var userID: Int
    var limit: Int
    var offset: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(userID)
        bindings.append(limit)
        bindings.append(offset)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> StrategyRecord { try StrategyRecord(row: row) }
}
