import Foundation

/// The query parameters of a list endpoint — `page`, `size`, `sort` (`-created_at,name`),
/// `search` and per-endpoint filters — checked against the endpoint's whitelists, so that only
/// known column names ever reach SQL. Every problem is a 400 validation error naming the field.
public struct ListQuery: Sendable, Equatable {
    /// One sort key: a whitelisted column, descending when written with a leading `-`.
    public struct SortKey: Sendable, Equatable {
        public var column: String
        public var descending: Bool

        public init(_ column: String, descending: Bool = false) {
            self.column = column
            self.descending = descending
        }
    }

    public var page = 1
    public var size = ListQuery.defaultSize
    public var sort: [SortKey]
    public var search: String?
    /// Filter values by parameter name (only the endpoint's filter names).
    public var filters: [String: String] = [:]

    public static let defaultSize = 20
    /// `-created_at`, the sort a list has when none is given.
    public static let defaultSortKeys = [SortKey("created_at", descending: true)]
    public static let maximumSize = 100
    public static let maximumSearchLength = 200
    /// The largest page whose offset, (page − 1) · size, fits PostgreSQL's bigint OFFSET at any
    /// size: beyond it the arithmetic would overflow (a trap that took the process down).
    public static let maximumPage = Int(Int64.max) / maximumSize
    /// Parses `parameters` (name, value pairs as they came; a repeated name is an error).
    public static func parse(_ parameters: [(String, String)], sortable: Set<String>, filterable: Set<String> = [],
                             defaultSort: [SortKey] = defaultSortKeys) throws -> ListQuery {
        var query = ListQuery(sort: defaultSort)
        var problems: [APIError.Detail] = []
        var seen = Set<String>()
        for (name, value) in parameters {
            guard seen.insert(name).inserted else {
                problems.append(.init(field: name, message: "given more than once"))
                continue
            }
            switch name {
            case "page":
                if let n = Int(value), (1...maximumPage).contains(n) { query.page = n } else {
                    problems.append(.init(field: "page", message: "must be a whole number from 1 to \(maximumPage)"))
                }
            case "size":
                if let n = Int(value), (1...maximumSize).contains(n) { query.size = n } else {
                    problems.append(.init(field: "size", message: "must be a whole number from 1 to \(maximumSize)"))
                }
            case "sort":
                var keys: [SortKey] = []
                for part in value.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    let descending = part.hasPrefix("-")
                    let column = descending ? String(part.dropFirst()) : part
                    if sortable.contains(column) { keys.append(SortKey(column, descending: descending)) } else {
                        problems.append(.init(field: "sort", message: "'\(part)' is not sortable; use \(sortable.sorted().joined(separator: ", ")) (prefix - for descending)"))
                    }
                }
                query.sort = keys
            case "search":
                if value.count <= maximumSearchLength { query.search = value.isEmpty ? nil : value } else {
                    problems.append(.init(field: "search", message: "at most \(maximumSearchLength) characters"))
                }
            default:
                if filterable.contains(name) { query.filters[name] = value } else {
                    let known = (["page", "size", "sort", "search"] + filterable.sorted()).joined(separator: ", ")
                    problems.append(.init(field: name, message: "unknown parameter; known: \(known)"))
                }
            }
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        return query
    }

    /// Rows to skip.
    public var offset: Int { (page - 1) * size }

    /// The ORDER BY list, from whitelisted column names only, with `id` last so pages are stable.
    public var orderBy: String {
        (sort.map { "\($0.column) \($0.descending ? "DESC" : "ASC")" } + ["id ASC"]).joined(separator: ", ")
    }
}

/// What one list endpoint takes beside `page`, `size` and `search`: the columns it sorts by and
/// its filters with their types. The endpoint parses its query with it and the API document
/// lists its parameters from it, so the two cannot disagree.
public struct ListParameters: Sendable {
    /// A filter parameter.
    public struct Filter: Sendable {
        public var name: String
        public var schema: JSONSchema
        public var description: String

        public init(_ name: String, _ schema: JSONSchema, _ description: String) {
            self.name = name
            self.schema = schema
            self.description = description
        }
    }

    public var sortable: Set<String>
    public var filters: [Filter]

    public init(sortable: Set<String>, filters: [Filter] = []) {
        self.sortable = sortable
        self.filters = filters
    }

    /// Parses `request`'s query string.
    public func parse(_ parameters: [(String, String)]) throws -> ListQuery {
        try ListQuery.parse(parameters, sortable: sortable, filterable: Set(filters.map(\.name)))
    }

    /// `page`, `size`, `sort` and `search`, then the filters, as the document lists them.
    public var documented: [APIOperation.Parameter] {
        let keys = sortable.sorted().map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
        return [
            .init("page", .integer(minimum: 1, maximum: Int64(ListQuery.maximumPage)).defaulting(.int(1)), "Page number, from 1"),
            .init("size", .integer(minimum: 1, maximum: Int64(ListQuery.maximumSize)).defaulting(.int(Int64(ListQuery.defaultSize))), "Items per page"),
            .init("sort", .string(pattern: "^ *-?(\(keys)) *(, *-?(\(keys)) *)*$"),
                  "Comma-separated sort keys, each optionally prefixed with - for descending: \(sortable.sorted().joined(separator: ", "))"),
            .init("search", .string(maxLength: ListQuery.maximumSearchLength), "Text to look for"),
        ] + filters.map { .init($0.name, $0.schema, $0.description) }
    }
}
