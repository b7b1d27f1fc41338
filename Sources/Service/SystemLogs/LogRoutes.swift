import Foundation
import Hummingbird

/// `GET /api/v1/logs`: `system_logs` for superusers (anyone else gets a 403), newest first,
/// filtered by `level` (one or a comma list), `min_level` (that level and above), `module`,
/// `user_id`, `request_id`, `start_time`/`end_time` (ISO 8601, a date alone meaning its
/// midnight UTC), and `search`: full-text over the message (PostgreSQL's web-search syntax —
/// words, "phrases", -exclusions — on the 'simple' configuration, served by a GIN index).
public struct LogRoutes: Sendable {
    let store: LogStore
    let auth: AuthService

    public init(database: Database, auth: AuthService) {
        store = LogStore(database: database)
        self.auth = auth
    }

    static let levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

    /// A level as a query may spell it: upper or lower case.
    static let levelPattern = "(" + levels.flatMap { [$0, $0.lowercased()] }.joined(separator: "|") + ")"
    /// ISO 8601 with a time, or a date alone.
    static let timeSchema = JSONSchema.oneOf([.string(format: "date-time"), .string(format: "date")])

    /// The list's sort keys and filters.
    static let listing = ListParameters(sortable: ["created_at", "level", "module"], filters: [
        .init("level", .string(pattern: "^\(levelPattern)( *, *\(levelPattern))*$"), "One level or a comma-separated list"),
        .init("min_level", .string(pattern: "^\(levelPattern)$"), "This level and above"),
        .init("module", .string(), "Only records from this module"),
        .init("user_id", .id, "Only records of this user"),
        .init("request_id", .string(), "Only records of this request"),
        .init("start_time", timeSchema, "Records at or after this time (ISO 8601; a date alone means its midnight UTC)"),
        .init("end_time", timeSchema, "Records before this time"),
    ])

    public func register(on router: Router<APIContext>) {
        router.group("/api/v1/logs").add(middleware: AuthMiddleware(auth: auth)).get { request, context in
            guard try context.requireUser().isSuperuser else { throw APIError.forbidden("Logs are for superusers") }
            let query = try Self.listing.parse(request.formQueryParameters)
            let conditions = try Self.conditions(query)
            return try Envelope.success(try await self.store.page(conditions, query: query, logger: context.logger), context: context)
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
            if let id = Int(text), id > 0, id <= Int(Int32.max) { conditions.add(id) { "user_id = \($0)" } } else { problems.append(.init(field: "user_id", message: "must be a user id")) }
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
}
