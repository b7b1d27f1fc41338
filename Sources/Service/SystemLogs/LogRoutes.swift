import Foundation
import Hummingbird

/// `GET /api/v1/logs`: `system_logs` for superusers (anyone else gets a 403), newest first,
/// filtered by `level` (one or a comma list), `min_level` (that level and above), `module`,
/// `user_id`, `request_id`, `start_time`/`end_time` (ISO 8601, a date alone meaning its
/// midnight UTC), and `search`: full-text over the message (PostgreSQL's web-search syntax —
/// words, "phrases", -exclusions — on the 'simple' configuration, served by a GIN index).
public struct LogRoutes: Sendable {
    let store: any LogStoring
    let auth: AuthService

    public init(store: any LogStoring, auth: AuthService) {
        self.store = store
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
            return try Envelope.success(try await self.store.page(try Self.filters(query), query: query, logger: context.logger), context: context)
        }
    }

    /// The query's filters, every problem at once.
    static func filters(_ query: ListQuery) throws -> LogFilters {
        var filters = LogFilters(search: query.search)
        var problems: [APIError.Detail] = []
        if let text = query.filters["level"] {
            let wanted = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            if wanted.isEmpty || !wanted.allSatisfy(levels.contains) {
                problems.append(.init(field: "level", message: "one or more (comma-separated) of \(levels.joined(separator: ", "))"))
            } else {
                filters.levels = wanted
            }
        }
        if let text = query.filters["min_level"] {
            if levels.contains(text.uppercased()) { filters.minimumLevel = text.uppercased() } else {
                problems.append(.init(field: "min_level", message: "one of \(levels.joined(separator: ", "))"))
            }
        }
        filters.module = query.filters["module"]
        filters.requestID = query.filters["request_id"]
        if let text = query.filters["user_id"] {
            if let id = Int(text), id > 0, id <= Int(Int32.max) { filters.userID = id } else { problems.append(.init(field: "user_id", message: "must be a user id")) }
        }
        for field in ["start_time", "end_time"] {
            guard let text = query.filters[field] else { continue }
            if let date = parseTime(text) {
                if field == "start_time" { filters.start = date } else { filters.end = date }
            } else {
                problems.append(.init(field: field, message: "an ISO 8601 time such as 2026-11-30T08:00:00Z, or a date such as 2026-11-30"))
            }
        }
        if !problems.isEmpty { throw APIError.validation(problems) }
        return filters
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
