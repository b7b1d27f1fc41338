/// The data expressions run over: one or more symbols with the same bars, each column holding
/// every symbol's values one symbol after another (`symbols.count × bars` values).
public struct Frame: Sendable {
    public var symbols: [String]
    public var bars: Int
    public var columns: [String: [Double]]

    /// - Precondition: every column holds `symbols.count × bars` values.
    public init(symbols: [String], bars: Int, columns: [String: [Double]]) {
        for (name, values) in columns {
            precondition(values.count == symbols.count * bars, "Frame: column '\(name)' holds \(values.count) values, not \(symbols.count) × \(bars)")
        }
        self.symbols = symbols
        self.bars = bars
        self.columns = columns
    }

    /// One symbol's bars.
    public init(symbol: String, columns: [String: [Double]]) {
        self.init(symbols: [symbol], bars: columns.values.first?.count ?? 0, columns: columns)
    }

    public var columnNames: [String] { columns.keys.sorted() }
}
