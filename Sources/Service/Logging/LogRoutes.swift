import Foundation
import Hummingbird
import PostgresNIO

/// `GET /api/v1/logs`: `system_logs` for superusers (anyone else gets a 403), newest first,
/// filtered by `level` (one or a comma list), `min_level` (that level and above), `module`,
/// `user_id`, `request_id`, `start_time`/`end_time` (ISO 8601, a date alone meaning its
/// midnight UTC), and `search`: full-text over the message (PostgreSQL's web-search syntax —
/// words, "phrases", -exclusions — on the 'simple' configuration, served by a GIN index).
public struct LogRoutes: Sendable {
    let database: Database
    let auth: AuthService

    public init(database: Database, auth: AuthService) {
        self.database = database
        self.auth = auth
    }

    static let levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

    /// One `system_logs` row.
    struct LogRecord: JSONWritable {
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

        func writeJSON(to w: inout JSONWriter) {
            w.object { w in
                w.key("created_at"); w.date(createdAt)
                w.key("function_name"); w.string(functionName)
                w.key("id"); w.int(id)
                w.key("ip_address"); w.string(ipAddress)
                w.key("level"); w.string(level)
                w.key("message"); w.string(message)
                w.key("metadata"); metadata.writeJSON(to: &w)
                w.key("module"); w.string(module)
                w.key("request_id"); w.string(requestID)
                w.key("session_id"); w.string(sessionID)
                w.key("stack_trace"); w.string(stackTrace)
                w.key("user_agent"); w.string(userAgent)
                w.key("user_id"); w.int(userID)
            }
        }
    }

    public func register(on router: Router<APIContext>) {
        router.group("/api/v1/logs").add(middleware: AuthMiddleware(auth: auth)).get { request, context in
            guard try context.requireUser().isSuperuser else { throw APIError.forbidden("Logs are for superusers") }
            let query = try ListQuery.parse(request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                                            sortable: ["created_at", "level", "module"],
                                            filterable: ["level", "min_level", "module", "user_id", "request_id", "start_time", "end_time"])
            let conditions = try Self.conditions(query)
            return try Envelope.success(try await self.page(conditions, query: query, context: context), context: context)
        }
    }

    static func conditions(_ query: ListQuery) throws -> SQLConditions {
        var conditions = SQLConditions()
        var problems: [APIError.Detail] = []
        if let text = query.filters["level"] {
            let wanted = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            if wanted.isEmpty || !wanted.allSatisfy(levels.contains) {
                problems.append(.init(field: "level", message: "one or more (comma-separated) of \(levels.joined(separator: ", "))"))
            } else {
                conditions.add(wanted) { "level::text = ANY(\($0)::text[])" }
            }
        }
        if let text = query.filters["min_level"] {
            if levels.contains(text.uppercased()) { conditions.add(text.uppercased()) { "level >= \($0)::log_level" } } else {
                problems.append(.init(field: "min_level", message: "one of \(levels.joined(separator: ", "))"))
            }
        }
        if let module = query.filters["module"] { conditions.add(module) { "module = \($0)" } }
        if let request = query.filters["request_id"] { conditions.add(request) { "request_id = \($0)" } }
        if let text = query.filters["user_id"] {
            if let id = Int(text) { conditions.add(id) { "user_id = \($0)" } } else { problems.append(.init(field: "user_id", message: "must be a user id")) }
        }
        for (field, op) in [("start_time", ">="), ("end_time", "<")] {
            guard let text = query.filters[field] else { continue }
            if let date = parseTime(text) { conditions.add(date) { "created_at \(op) \($0)" } } else {
                problems.append(.init(field: field, message: "an ISO 8601 time such as 2026-11-30T08:00:00Z, or a date such as 2026-11-30"))
            }
        }
        if let search = query.search { conditions.add(search) { "to_tsvector('simple', message) @@ websearch_to_tsquery('simple', \($0))" } }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return conditions
    }

    static func parseTime(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return full.date(from: text) ?? plain.date(from: text) ?? day.date(from: text)
    }

    func page(_ conditions: SQLConditions, query: ListQuery, context: APIContext) async throws -> Page<LogRecord> {
        var total = 0
        let count = PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM system_logs \(conditions.whereClause)", binds: conditions.binds)
        for try await n in try await database.reader.query(count, logger: context.logger).decode(Int64.self) { total = Int(n) }
        let order = query.sort.map { "\($0.column) \($0.descending ? "DESC" : "ASC")" } + ["id DESC"]
        let rows = PostgresQuery(unsafeSQL: """
            SELECT id, level::text, message, module, function_name, user_id, session_id, request_id, coalesce(metadata, '{}')::text,
                   stack_trace, host(ip_address), user_agent, created_at
            FROM system_logs \(conditions.whereClause) ORDER BY \(order.joined(separator: ", ")) LIMIT \(query.size) OFFSET \(query.offset)
            """, binds: conditions.binds)
        var items: [LogRecord] = []
        for try await r in try await database.reader.query(rows, logger: context.logger)
            .decode((Int64, String, String, String?, String?, Int?, String?, String?, String, String?, String?, String?, Date?).self) {
            items.append(LogRecord(id: r.0, level: r.1, message: r.2, module: r.3, functionName: r.4, userID: r.5, sessionID: r.6, requestID: r.7,
                                   metadata: try JSONValue.parse(r.8), stackTrace: r.9, ipAddress: r.10, userAgent: r.11, createdAt: r.12))
        }
        return Page(items: items, total: total, page: query.page, size: query.size)
    }
}
