import Ingest

/// One symbol's open and close prices and bar times, read from an Ingest bar file — what a
/// backtest of a built-in strategy needs. The price columns are found whatever their case
/// (`close`, `Close`).
public struct BarSeries: Sendable {
    public var symbol: String
    public var open: [Double]
    public var close: [Double]
    /// Bar times, ns since the epoch (UTC).
    public var timestamps: [Int64]

    public init(symbol: String, open: [Double], close: [Double], timestamps: [Int64]) {
        self.symbol = symbol
        self.open = open
        self.close = close
        self.timestamps = timestamps
    }

    public var count: Int { close.count }

    /// Reads `symbol` (the file's first when nil) of the bar file at `path`.
    /// - Throws: `BacktestError.io` naming the file and what is missing (the symbol, a column).
    public static func read(path: String, symbol: String?) throws -> BarSeries {
        let file: BarFile
        do {
            file = try BarFile(path: path)
        } catch let error as IngestError {
            // Ingest's messages already begin with the file.
            throw BacktestError.io(error.description)
        } catch {
            throw BacktestError.io("\(path): \(error)")
        }
        guard let name = symbol ?? file.symbols.first else { throw BacktestError.io("\(path) has no symbols") }
        guard file.symbols.contains(name) else { throw BacktestError.io("\(path) has no symbol \(name) (it has \(file.symbols.joined(separator: ", ")))") }
        do {
            let columns = try file.columns(of: name)
            func column(_ wanted: String) throws -> [Double] {
                guard let found = columns.first(where: { $0.lowercased() == wanted }) else {
                    throw BacktestError.io("\(path): symbol \(name) has no '\(wanted)' column (columns: \(columns.joined(separator: ", ")))")
                }
                return try file.column(found, of: name)
            }
            return BarSeries(symbol: name, open: try column("open"), close: try column("close"), timestamps: try file.timestamps(of: name))
        } catch let error as BacktestError {
            throw error
        } catch {
            throw BacktestError.io("\(path), symbol \(name): \(error)")
        }
    }

    /// The bars with times in `start...end` (ns; nil bounds are open).
    public func slice(from start: Int64?, to end: Int64?) -> BarSeries {
        let lower = start.map { s in timestamps.firstIndex { $0 >= s } ?? timestamps.count } ?? 0
        let upper = end.map { e in timestamps.lastIndex { $0 <= e }.map { $0 + 1 } ?? 0 } ?? timestamps.count
        guard lower < upper else { return BarSeries(symbol: symbol, open: [], close: [], timestamps: []) }
        return BarSeries(symbol: symbol, open: Array(open[lower..<upper]), close: Array(close[lower..<upper]), timestamps: Array(timestamps[lower..<upper]))
    }
}
