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

        enum CodingKeys: String, CodingKey {
            case totalReturn = "total_return", sharpeRatio = "sharpe_ratio", maxDrawdown = "max_drawdown", winRate = "win_rate"
        }

        // Explicit nulls: a client sees every figure's key, measured or not.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(totalReturn, forKey: .totalReturn)
            try container.encode(sharpeRatio, forKey: .sharpeRatio)
            try container.encode(maxDrawdown, forKey: .maxDrawdown)
            try container.encode(winRate, forKey: .winRate)
        }
    }

    public var id: Int
    public var name: String
    public var description: String?
    public var strategyType: String
    public var status: String
    public var version: String
    public var config: JSONValue
    public var parameters: JSONValue
    public var performance: Performance
    public var ownerID: Int?
    public var parentStrategyID: Int?
    public var tags: [String]
    public var category: String?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var lastRunAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, description, status, version, config, parameters, performance, tags, category
        case strategyType = "strategy_type", ownerID = "owner_id", parentStrategyID = "parent_strategy_id"
        case createdAt = "created_at", updatedAt = "updated_at", lastRunAt = "last_run_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(strategyType, forKey: .strategyType)
        try container.encode(status, forKey: .status)
        try container.encode(version, forKey: .version)
        try container.encode(config, forKey: .config)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(performance, forKey: .performance)
        try container.encode(ownerID, forKey: .ownerID)
        try container.encode(parentStrategyID, forKey: .parentStrategyID)
        try container.encode(tags, forKey: .tags)
        try container.encode(category, forKey: .category)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(lastRunAt, forKey: .lastRunAt)
    }

    /// The select list the decoder reads, in order (qualified, so joins may use it).
    static let columns = """
        s.id, s.name, s.description, s.strategy_type::text, coalesce(s.status::text, 'draft'), coalesce(s.version, '1.0.0'),
        coalesce(s.config, '{}')::text, coalesce(s.parameters, '{}')::text, s.total_return::float8, s.sharpe_ratio::float8,
        s.max_drawdown::float8, s.win_rate::float8, s.owner_id, s.parent_strategy_id, coalesce(s.tags, '{}'), s.category,
        s.created_at, s.updated_at, s.last_run_at
        """

    typealias Row = (Int, String, String?, String, String, String, String, String, Double?, Double?, Double?, Double?,
                     Int?, Int?, [String], String?, Date?, Date?, Date?)

    init(_ row: Row) throws {
        id = row.0
        name = row.1
        description = row.2
        strategyType = row.3
        status = row.4
        version = row.5
        config = try JSONValue.parse(row.6)
        parameters = try JSONValue.parse(row.7)
        performance = Performance(totalReturn: row.8, sharpeRatio: row.9, maxDrawdown: row.10, winRate: row.11)
        ownerID = row.12
        parentStrategyID = row.13
        tags = row.14
        category = row.15
        createdAt = row.16
        updatedAt = row.17
        lastRunAt = row.18
    }

    static func all(_ rows: PostgresRowSequence) async throws -> [StrategyRecord] {
        var records: [StrategyRecord] = []
        for try await row in rows.decode(Row.self) { records.append(try StrategyRecord(row)) }
        return records
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

    enum CodingKeys: String, CodingKey {
        case id, version, config, parameters, changelog
        case strategyID = "strategy_id", isActive = "is_active", createdBy = "created_by", createdAt = "created_at"
    }

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
