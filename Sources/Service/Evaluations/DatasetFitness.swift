import Ingest

/// What an evaluation or a training job needs of a dataset's bar file, checked when the request
/// names the dataset — a 400 naming the field — rather than by a worker after a 201: a `close`
/// column, real timestamps when a date range is given, and at least two bars inside that range.
enum DatasetFitness {
    /// Checks `file` (dataset `id`, named by `field`) for a backtest of `symbol` (default: the
    /// file's first) between `start` and `end`.
    /// What the evaluated subject reads beyond `close`.
    enum Reader {
        /// Training jobs, and the lookup of a benchmark: `close` only.
        case closeOnly
        /// A rule backtest fills orders at the next bar's open.
        case rule
        /// A trained algorithmic-trading agent observes TradeMaster's features, computed from
        /// open, high, low and close when the file lacks them.
        case tradedModel
    }

    static func check(_ file: BarFile, id: Int, field: String, symbol: String?, start: Int64?, end: Int64?, name: String? = nil,
                      reader: Reader = .closeOnly) throws {
        let what = name ?? "dataset \(id)"
        guard let symbol = symbol ?? file.symbols.first else {
            throw APIError.validation([.init(field: field, message: "\(what) holds no symbols")])
        }
        guard file.symbols.contains(symbol) else {
            let listed = file.symbols.count <= 8 ? file.symbols.joined(separator: ", ") : file.symbols.prefix(8).joined(separator: ", ") + ", …"
            throw APIError.validation([.init(field: "config.symbol", message: "\(what) has no symbol \(symbol) (it has \(listed))")])
        }
        let columns = try file.columns(of: symbol)
        guard columns.contains("close") else {
            throw APIError.validation([.init(field: field, message: "\(what) has no 'close' column (it has \(columns.joined(separator: ", "))); re-upload it with one")])
        }
        switch reader {
        case .closeOnly:
            break
        case .rule:
            guard columns.contains("open") else {
                throw APIError.validation([.init(field: field, message: "\(what) has no 'open' column (it has \(columns.joined(separator: ", "))); "
                                                 + "a rule backtest fills its orders at the next bar's open")])
            }
        case .tradedModel:
            let missing = ["open", "high", "low"].filter { !columns.contains($0) }
            guard columns.contains("zopen") || missing.isEmpty else {
                throw APIError.validation([.init(field: field, message: "\(what) lacks \(missing.joined(separator: ", ")): a trained agent observes features "
                                                 + "computed from open, high, low and close")])
            }
        }
        guard start != nil || end != nil else { return }
        let dateField = start != nil ? "config.start_date" : "config.end_date"
        guard file.metadata.hasTimestamps else {
            throw APIError.validation([.init(field: dateField, message: "\(what) has no timestamps (its rows are numbered 0, 1, 2, …), so a date range cannot select from it; drop start_date and end_date")])
        }
        let from = start ?? Int64.min, to = end ?? Int64.max
        guard from <= to else { throw APIError.validation([.init(field: "config.end_date", message: "is before start_date")]) }
        if try file.rows(of: symbol, in: from...to).count < 2 {
            let covered = try file.timeSpan(of: symbol).map { "\(TimestampParser.format($0.lowerBound)) to \(TimestampParser.format($0.upperBound))" } ?? "no bars"
            throw APIError.validation([.init(field: dateField, message: "fewer than 2 bars of \(symbol) in that range: \(what) covers \(covered)")])
        }
    }
}
