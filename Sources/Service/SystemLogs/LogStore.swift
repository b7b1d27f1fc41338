import Foundation
import Logging
import PostgresNIO

/// `system_logs` as the API reads it: a page of rows under the conditions `LogRoutes` built from
/// the query, newest first (on the read replica when there is one).
public struct LogStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// One `system_logs` row.
    public struct LogRecord: Encodable, Sendable {
        var id: Int64
        var level: String
        var message: String
        var module: String?
        var functionName: String?
        var userID: Int?
        var sessionID: String?
        var requestID: String?
        var metadata: JSONValue
        var stackTrace: String?
        var ipAddress: String?
        var userAgent: String?
        var createdAt: Date?
    }

    /// The page `query` asks for of the records matching `filters`, with the total count.
    public func page(_ filters: LogFilters, query: ListQuery, logger: Logger) async throws -> Page<LogRecord> {
        var conditions = SQLConditions()
        if let levels = filters.levels { conditions.add(levels) { "level::text = ANY(\($0)::text[])" } }
        if let minimum = filters.minimumLevel { conditions.add(minimum) { "level >= \($0)::log_level" } }
        if let module = filters.module { conditions.add(module) { "module = \($0)" } }
        if let request = filters.requestID { conditions.add(request) { "request_id = \($0)" } }
        if let user = filters.userID { conditions.add(user) { "user_id = \($0)" } }
        if let start = filters.start { conditions.add(start) { "created_at >= \($0)" } }
        if let end = filters.end { conditions.add(end) { "created_at < \($0)" } }
        // Full text over the message, in PostgreSQL's web-search syntax, served by a GIN index.
        if let search = filters.search { conditions.add(search) { "to_tsvector('simple', message) @@ websearch_to_tsquery('simple', \($0))" } }
        var total = 0
        let count = PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM system_logs \(conditions.whereClause)", binds: conditions.binds)
        for try await n in try await database.reader.query(count, logger: logger).decode(Int64.self) { total = Int(n) }
        let order = query.sort.map { "\($0.column) \($0.descending ? "DESC" : "ASC")" } + ["id DESC"]
        let rows = PostgresQuery(unsafeSQL: """
            SELECT id, level::text, message, module, function_name, user_id, session_id, request_id, coalesce(metadata, '{}')::text,
                   stack_trace, host(ip_address), user_agent, created_at
            FROM system_logs \(conditions.whereClause) ORDER BY \(order.joined(separator: ", ")) LIMIT \(query.size) OFFSET \(query.offset)
            """, binds: conditions.binds)
        var items: [LogRecord] = []
        for try await r in try await database.reader.query(rows, logger: logger)
            .decode((Int64, String, String, String?, String?, Int?, String?, String?, String, String?, String?, String?, Date?).self) {
            items.append(LogRecord(id: r.0, level: r.1, message: r.2, module: r.3, functionName: r.4, userID: r.5, sessionID: r.6, requestID: r.7,
                                   metadata: try JSONValue.parse(r.8), stackTrace: r.9, ipAddress: r.10, userAgent: r.11, createdAt: r.12))
        }
        return Page(items: items, total: total, page: query.page, size: query.size)
    }
}

/// What `GET /api/v1/logs` filters by (nil: any).
public struct LogFilters: Sendable {
    /// Any of these levels (upper case).
    public var levels: [String]?
    /// This level and above.
    public var minimumLevel: String?
    public var module: String?
    public var requestID: String?
    public var userID: Int?
    /// At or after.
    public var start: Date?
    /// Before.
    public var end: Date?
    /// Words, "phrases" and -exclusions over the message.
    public var search: String?

    public init(search: String? = nil) {
        self.search = search
    }
}

/// Where system logs are read from: what the logs route needs. `LogStore` (PostgreSQL) is the
/// implementation; `SystemLogWriter` writes them.
public protocol LogStoring: Sendable {
    func page(_ filters: LogFilters, query: ListQuery, logger: Logger) async throws -> Page<LogStore.LogRecord>
}

extension LogStore: LogStoring {}
