import Logging
import PostgresNIO

/// The column a filtered strategy list is ordered by, as a type: each (column, direction) pair is
/// its own prepared statement, so the order stays plain SQL the planner can use an index for.
protocol StrategySortColumn: Sendable {
    static var expression: String { get }
}

/// The direction of that order (and where NULLs go, as the dynamic form puts them).
protocol StrategySortDirection: Sendable {
    static var sql: String { get }
}

enum Ascending: StrategySortDirection { static let sql = "ASC NULLS FIRST" }
enum Descending: StrategySortDirection { static let sql = "DESC NULLS LAST" }

enum ByCreatedAt: StrategySortColumn { static let expression = "s.created_at" }
enum ByUpdatedAt: StrategySortColumn { static let expression = "s.updated_at" }
enum ByName: StrategySortColumn { static let expression = "s.name" }
enum ByStatus: StrategySortColumn { static let expression = "s.status" }
enum ByType: StrategySortColumn { static let expression = "s.strategy_type" }
enum ByVersion: StrategySortColumn { static let expression = "string_to_array(s.version, '.')::int[]" }
enum ByTotalReturn: StrategySortColumn { static let expression = "s.total_return" }
enum BySharpe: StrategySortColumn { static let expression = "s.sharpe_ratio" }
enum ByMaxDrawdown: StrategySortColumn { static let expression = "s.max_drawdown" }
enum ByWinRate: StrategySortColumn { static let expression = "s.win_rate" }
enum ByLastRun: StrategySortColumn { static let expression = "s.last_run_at" }

/// A page of strategies under any combination of the list's filters, ordered by one column, with
/// the total as a window count — prepared once per connection and order, where the same query
/// built per request was parsed and planned on every call. An absent filter is a NULL parameter
/// that switches its condition off; PostgreSQL re-plans with the actual values while that costs
/// less than a generic plan, so indexes stay usable on large tables.
struct FilteredStrategyPage<Column: StrategySortColumn, Direction: StrategySortDirection>: PostgresPreparedStatement {
    typealias Row = (StrategyRecord, Int)

    static var sql: String {
        """
        SELECT \(StrategyRecord.columns), count(*) OVER ()::int8 FROM strategies s
        WHERE ($1::int8 IS NULL OR s.owner_id = $1::int8)
          AND ($2::text IS NULL OR s.strategy_type = $2::text::strategy_type)
          AND ($3::text IS NULL OR s.status = $3::text::strategy_status)
          AND ($4::text[] IS NULL OR s.tags @> $4::text[])
          AND ($5::text IS NULL OR s.category = $5::text)
          AND ($6::int8 IS NULL OR s.owner_id = $6::int8)
          AND ($7::text IS NULL OR s.name ILIKE $7::text OR s.description ILIKE $7::text)
        ORDER BY \(Column.expression) \(Direction.sql), s.id ASC LIMIT $8 OFFSET $9
        """
    }

    static var bindingDataTypes: [PostgresDataType] { [.int8, .text, .text, .textArray, .text, .int8, .text, .int8, .int8] }

    /// The caller's own rows only (nil: a superuser's view of everyone's).
    var scopeOwner: Int?
    var filters: StrategyStore.Filters
    var limit: Int
    var offset: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(scopeOwner)
        bindings.append(filters.type)
        bindings.append(filters.status)
        bindings.append(filters.tags.isEmpty ? nil : filters.tags)
        bindings.append(filters.category)
        bindings.append(filters.ownerID)
        bindings.append(filters.search.map(SQLConditions.containsPattern))
        bindings.append(limit)
        bindings.append(offset)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (StrategyRecord, Int) {
        var cells = RowCells(row)
        let record = try StrategyRecord(cells: &cells)
        return (record, Int(try cells.next(Int64.self)))
    }
}

extension StrategyStore {
    /// The filtered page, one sort key, through the prepared statement for that order (nil: a
    /// sort this form does not cover, such as several keys).
    func preparedFilteredPage(scopeOwner: Int?, filters: Filters, sort: ListQuery.SortKey, limit: Int, offset: Int,
                              logger: Logger) async throws -> [(StrategyRecord, Int)]? {
        func run<C: StrategySortColumn>(_: C.Type) async throws -> [(StrategyRecord, Int)] {
            var rows: [(StrategyRecord, Int)] = []
            if sort.descending {
                let statement = FilteredStrategyPage<C, Descending>(scopeOwner: scopeOwner, filters: filters, limit: limit, offset: offset)
                for try await row in try await database.reader.execute(statement, logger: logger) { rows.append(row) }
            } else {
                let statement = FilteredStrategyPage<C, Ascending>(scopeOwner: scopeOwner, filters: filters, limit: limit, offset: offset)
                for try await row in try await database.reader.execute(statement, logger: logger) { rows.append(row) }
            }
            return rows
        }
        switch sort.column {
        case "created_at": return try await run(ByCreatedAt.self)
        case "updated_at": return try await run(ByUpdatedAt.self)
        case "name": return try await run(ByName.self)
        case "status": return try await run(ByStatus.self)
        case "strategy_type": return try await run(ByType.self)
        case "version": return try await run(ByVersion.self)
        case "total_return": return try await run(ByTotalReturn.self)
        case "sharpe_ratio": return try await run(BySharpe.self)
        case "max_drawdown": return try await run(ByMaxDrawdown.self)
        case "win_rate": return try await run(ByWinRate.self)
        case "last_run_at": return try await run(ByLastRun.self)
        default: return nil
        }
    }
}
