import Logging
import PostgresNIO

extension Database {
    /// One page of a list endpoint from the replica: the rows of `table` (as `alias`) under
    /// `conditions`, ordered by the query's sort keys (simple columns of the table) then by id,
    /// decoded by `decode`, with the count of all matching rows.
    func page<Record>(of table: String, alias: String, columns: String, conditions: SQLConditions, query: ListQuery, logger: Logger,
                      decode: (PostgresRowSequence) async throws -> [Record]) async throws -> Page<Record> {
        var total = 0
        let count = PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM \(table) \(alias) \(conditions.whereClause)", binds: conditions.binds)
        for try await n in try await reader.query(count, logger: logger).decode(Int64.self) { total = Int(n) }
        let order = query.sort.map { "\(alias).\($0.column) \($0.descending ? "DESC NULLS LAST" : "ASC NULLS FIRST")" } + ["\(alias).id ASC"]
        let page = PostgresQuery(unsafeSQL: """
            SELECT \(columns) FROM \(table) \(alias) \(conditions.whereClause)
            ORDER BY \(order.joined(separator: ", ")) LIMIT \(query.size) OFFSET \(query.offset)
            """, binds: conditions.binds)
        return Page(items: try await decode(reader.query(page, logger: logger)), total: total, page: query.page, size: query.size)
    }
}
