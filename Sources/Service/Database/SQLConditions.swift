import PostgresNIO

/// A WHERE clause built from fixed SQL fragments and bound values: each value becomes a `$n`
/// parameter, so filter and search input never reaches SQL text. List endpoints build their
/// filters with it and reuse the same binds for the count and the page.
public struct SQLConditions: Sendable {
    public private(set) var clauses: [String] = []
    public private(set) var binds = PostgresBindings()

    public init() {}

    /// Adds the fragment `template($n)`, binding `value` as `$n`.
    public mutating func add<Value: PostgresDynamicTypeEncodable>(_ value: Value, _ template: (String) -> String) {
        binds.append(value)
        clauses.append(template("$\(binds.count)"))
    }

    /// Adds a fragment that binds nothing.
    public mutating func add(_ clause: String) {
        clauses.append(clause)
    }

    /// `WHERE …` (or nothing).
    public var whereClause: String {
        clauses.isEmpty ? "" : "WHERE " + clauses.map { "(\($0))" }.joined(separator: " AND ")
    }

    /// The text a user typed as a literal ILIKE pattern: `%`, `_` and `\` lose their meaning.
    public static func containsPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }
}
