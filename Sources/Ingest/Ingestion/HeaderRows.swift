/// The header of a CSV file: one row of names, or the three rows newer yfinance versions write
/// for `yf.download(...).to_csv()` (column levels `Price` and `Ticker`, then a row naming the index):
///
///     Price,Adj Close,Close,High,Low,Open,Volume
///     Ticker,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL
///     Date,,,,,,
///     2024-01-02,184.29,185.64,188.44,183.89,187.15,82488700
struct HeaderRows {
    var names: [String]
    /// Rows before the data.
    var rowCount: Int
    /// The one ticker of a yfinance header: the file's symbol unless one is given.
    var ticker: String?
    var note: String?

    static func read(_ path: String, dialect: CSVDialect, options: IngestOptions) throws -> HeaderRows {
        let tokenizer = try CSVTokenizer(path: path, delimiter: dialect.delimiter, blockSize: options.blockSize)
        guard let first = try tokenizer.next() else { throw IngestError.invalidInput("\(path): the file is empty") }
        let names = try first.enumerated().map { k, field in
            guard let name = field.string else {
                throw IngestError.invalidInput("\(path):1: column \(k + 1) name is not valid UTF-8 (\(field.display))")
            }
            return name
        }
        guard let second = try tokenizer.next(), second.count == names.count, names.count > 1,
              CSVSchema.normalized(second[0].string ?? "") == "ticker" else {
            return HeaderRows(names: names, rowCount: 1)
        }
        let tickers = second.dropFirst().map { $0.string?.trimmingCharacters(in: .whitespaces) ?? "" }
        guard let third = try tokenizer.next(), third.count == names.count, let indexName = third[0].string, !indexName.isEmpty,
              third.dropFirst().allSatisfy({ MissingValue.isMissing($0.bytes) }) else {
            return HeaderRows(names: names, rowCount: 1)
        }
        let distinct = tickers.reduce(into: [String]()) { if !$1.isEmpty && !$0.contains($1) { $0.append($1) } }
        guard distinct.count <= 1 else {
            throw IngestError.invalidInput("\(path):2: a yfinance header with several tickers (\(distinct.joined(separator: ", "))) in one row of columns; "
                                           + "download one ticker per file, or write the frame long with df.stack(level='Ticker').reset_index().to_csv()")
        }
        return HeaderRows(names: [indexName] + names.dropFirst(), rowCount: 3, ticker: distinct.first,
                          note: "yfinance header of three rows (Price, Ticker, \(indexName))\(distinct.first.map { ": symbol \($0)" } ?? "")")
    }
}

/// Names for the columns of headerless files whose layout is known or plain.
enum HeaderlessLayout {
    /// Binance's kline files (data.binance.vision): 12 columns, open and close times in ms (µs
    /// since 2025 for spot).
    static let binanceKlines = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "trades",
                                "taker_buy_base_volume", "taker_buy_quote_volume", "ignore"]

    /// Names for a headerless file, or nil to keep `column_N`: Binance's klines by their shape;
    /// otherwise a time axis in the first column (and a time of day in the second, as MetaTrader's
    /// history export has) followed by at least four numbers is read as open, high, low, close
    /// and volume, the order every OHLC export uses.
    static func names(kinds: [ColumnKind], samples: [[String]]) -> (names: [String], note: String)? {
        let count = kinds.count
        func isEpoch(_ i: Int) -> Bool {
            if case .epoch = TimeAxis.reading(of: i, kinds: kinds, samples: samples, byName: false) { return true }
            return false
        }
        if count == 12, isEpoch(0), isEpoch(6) {
            return (binanceKlines, "no header; Binance kline columns (open_time, open, high, low, close, volume, close_time, …)")
        }
        guard count >= 5, let reading = TimeAxis.reading(of: 0, kinds: kinds, samples: samples, byName: false) else { return nil }
        var names = ["timestamp"]
        if count >= 6, !samples[1].isEmpty, samples[1].filter(TimeAxis.isTimeOfDay).count * 2 >= samples[1].count, reading == .compactDate || samples[0].allSatisfy(TimeAxis.isDateOnly) {
            names = ["date", "time"]
        }
        let prices = ["open", "high", "low", "close", "volume"]
        let rest = names.count..<count
        let numeric = rest.prefix { [.int, .float].contains(kinds[$0]) }.count
        guard numeric >= 4 else { return nil }
        for (k, i) in rest.enumerated() { names.append(k < min(numeric, prices.count) ? prices[k] : "column_\(i)") }
        return (names, "no header; columns read as \(names.joined(separator: ", "))")
    }
}
