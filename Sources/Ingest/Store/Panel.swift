/// Several symbols' columns aligned on one timestamp axis, as the portfolio environment and
/// multi-asset backtests need them.
public struct Panel: Sendable {
    /// How rows of different symbols are matched.
    public enum Alignment: String, Sendable, CaseIterable {
        /// Keep only timestamps every symbol has.
        case inner
        /// Keep every timestamp any symbol has; a symbol missing at a timestamp repeats its last
        /// value (and is marked in `filled`); timestamps before a symbol's first row are dropped,
        /// so every cell holds a real or carried-forward observation.
        case forwardFill = "ffill"
    }

    /// The common axis, increasing.
    public let timestamps: [Int64]
    public let symbols: [String]
    public let columns: [String]
    /// values[column][symbol][row].
    public let values: [[[Double]]]
    /// filled[symbol][row] is true where the row was carried forward, not observed.
    public let filled: [[Bool]]

    /// The value of `column` for `symbol` at `row`.
    public func value(_ column: Int, symbol: Int, row: Int) -> Double { values[column][symbol][row] }

    /// Loads `columns` of `symbols` from `file` and aligns them.
    public init(file: BarFile, symbols: [String], columns: [String], alignment: Alignment) throws {
        precondition(!symbols.isEmpty, "Panel needs at least one symbol")
        let series = try symbols.map { symbol in (try file.timestamps(of: symbol), try columns.map { try file.column($0, of: symbol) }) }
        var axis: [Int64]
        switch alignment {
        case .inner:
            var common = Set(series[0].0)
            for s in series.dropFirst() { common.formIntersection(s.0) }
            axis = common.sorted()
        case .forwardFill:
            let start = series.map { $0.0.first ?? .max }.max()!
            axis = Set(series.flatMap(\.0)).filter { $0 >= start }.sorted()
        }
        var values = [[[Double]]](repeating: [], count: columns.count)
        var filled: [[Bool]] = []
        for (timestamps, data) in series {
            var cursor = 0, mask = [Bool](repeating: false, count: axis.count)
            var aligned = [[Double]](repeating: [Double](repeating: .nan, count: axis.count), count: columns.count)
            for (row, t) in axis.enumerated() {
                while cursor + 1 < timestamps.count && timestamps[cursor + 1] <= t { cursor += 1 }
                guard cursor < timestamps.count, timestamps[cursor] <= t else { continue }
                mask[row] = timestamps[cursor] != t
                for c in 0..<columns.count { aligned[c][row] = data[c][cursor] }
            }
            for c in 0..<columns.count { values[c].append(aligned[c]) }
            filled.append(mask)
        }
        self.timestamps = axis
        self.symbols = symbols
        self.columns = columns
        self.values = values
        self.filled = filled
    }
}
