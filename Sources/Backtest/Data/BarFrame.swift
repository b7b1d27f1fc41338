import Expressions
import Ingest

extension BarSeries {
    /// Every numeric column of `symbol` (the file's first when nil) as an expression `Frame`,
    /// named as in the file and, where that differs, in lower case too (`Close` is also `close`),
    /// with the series a backtest needs.
    /// - Throws: `BacktestError.io` naming the file and what is missing.
    public static func frame(path: String, symbol: String?) throws -> (BarSeries, Frame) {
        let bars = try read(path: path, symbol: symbol)
        do {
            let file = try BarFile(path: path)
            var columns: [String: [Double]] = [:]
            for name in try file.columns(of: bars.symbol) {
                let values = try file.column(name, of: bars.symbol)
                columns[name] = values
                if columns[name.lowercased()] == nil { columns[name.lowercased()] = values }
            }
            return (bars, Frame(symbol: bars.symbol, columns: columns))
        } catch {
            throw BacktestError.io("\(path), symbol \(bars.symbol): \(error)")
        }
    }

    /// `frame(path:symbol:)` cut to the bars with times in `start...end` (ns; nil bounds open).
    public static func frame(path: String, symbol: String?, from start: Int64?, to end: Int64?) throws -> (BarSeries, Frame) {
        let (bars, frame) = try self.frame(path: path, symbol: symbol)
        guard start != nil || end != nil else { return (bars, frame) }
        let lower = start.map { s in bars.timestamps.firstIndex { $0 >= s } ?? bars.count } ?? 0
        let upper = max(lower, end.map { e in bars.timestamps.lastIndex { $0 <= e }.map { $0 + 1 } ?? 0 } ?? bars.count)
        return (bars.slice(from: start, to: end), Frame(symbol: bars.symbol, columns: frame.columns.mapValues { Array($0[lower..<upper]) }))
    }
}
