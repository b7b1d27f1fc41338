/// One invalid value or row, located precisely.
public struct IngestProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// Column name, or nil for a whole-row problem (ragged row, ordering).
    public var column: String?
    public var value: String?
    public var message: String

    public var description: String {
        var text = "\(file):\(line)"
        if let column { text += ": column \(column)" }
        if let value { text += ": '\(value)'" }
        return text + ": " + message
    }
}

/// Why an ingest was refused: the first problems and how many there were in all.
public struct IngestFailure: Error, CustomStringConvertible, Sendable {
    public var problems: [IngestProblem]
    public var totalProblems: Int
    public var rowsRead: Int

    public var description: String {
        var lines = ["\(totalProblems) problem\(totalProblems == 1 ? "" : "s") in \(rowsRead) rows; nothing was written (use --on-error skip to drop bad rows):"]
        lines += problems.map { "  " + $0.description }
        if totalProblems > problems.count { lines.append("  … and \(totalProblems - problems.count) more") }
        return lines.joined(separator: "\n")
    }
}
