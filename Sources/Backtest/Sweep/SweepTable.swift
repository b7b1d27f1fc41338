/// The best rows of a sweep by one figure, kept in fixed memory however large the grid.
public struct SweepRanking: Sendable {
    public let metric: String
    /// Smaller is better (drawdown, volatility) instead of larger.
    public let ascending: Bool
    public let limit: Int
    public private(set) var rows: [SweepRow] = []

    /// - Throws: `BacktestError.invalidParameter` for a figure sweeps do not report.
    public init(metric: String, ascending: Bool = false, limit: Int) throws {
        guard SweepMetrics.names.contains(metric) else {
            throw BacktestError.invalidParameter("sort: unknown figure '\(metric)' (known: \(SweepMetrics.names.joined(separator: ", ")))")
        }
        self.metric = metric
        self.ascending = ascending
        self.limit = max(limit, 0)
    }

    /// Whether a row with figure `x` at grid index `i` ranks before one with `y` at `j`: better
    /// value first, NaN last, then grid order.
    func before(_ x: Double, _ i: Int, _ y: Double, _ j: Int) -> Bool {
        if x.isNaN != y.isNaN { return y.isNaN }
        if x != y && !x.isNaN { return ascending ? x < y : x > y }
        return i < j
    }

    /// Merges a batch of rows, keeping the best `limit`. Each row's figure is looked up once,
    /// not once per comparison.
    public mutating func add(_ batch: [SweepRow]) {
        let all = rows + batch
        let figures = all.map { $0.metrics.value(metric)! }
        let order = all.indices.sorted { before(figures[$0], all[$0].index, figures[$1], all[$1].index) }
        rows = order.prefix(limit).map { all[$0] }
    }
}

/// Streams sweep rows to a CSV file: a header of the axis names and figures, then one line per
/// combination as its batch finishes. The file appears at its path once complete.
public final class SweepCSVWriter {
    let file: StagedFile

    /// Creates the file and writes the header.
    public init(path: String, axisNames: [String]) throws {
        file = try StagedFile(path: path)
        try file.write((axisNames + SweepMetrics.names).joined(separator: ",") + "\n")
    }

    /// Appends rows.
    public func write(_ rows: [SweepRow]) throws {
        var text = ""
        for row in rows {
            text += (row.parameters + row.metrics.values).map(Self.format).joined(separator: ",")
            text += "\n"
        }
        try file.write(text)
    }

    public func commit() throws { try file.commit() }

    /// Shortest round-tripping decimal; integers without a fraction; NaN empty (pandas reads an
    /// empty field as NaN).
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }
}
