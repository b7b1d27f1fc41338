import Foundation
@testable import Ingest
import Testing

/// The CSV shapes people download, written here from each format's public description: every one
/// ingests with the right time range, symbol and columns, and the broken ones fail with the line,
/// column and value.
@Suite struct CSVCorpusTests {
    /// One downloaded shape and what its ingest must give.
    struct Shape: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        /// First and last bar time, ISO 8601 UTC.
        var times: [String]
        var symbol: String = "X"
        var close: [Double]
        /// Stored columns that must exist besides close.
        var columns: [String] = []
        /// A warning that must be in the summary.
        var warning: String?
        var description: String { name }
    }

    static let shapes: [Shape] = [
        Shape(name: "pandas DatetimeIndex, unnamed first column (df.to_csv())",
              text: ",Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [10.5, 11], columns: ["open", "high", "low", "volume"],
              warning: "time axis read from the unnamed first column"),
        Shape(name: "pandas named index",
              text: "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [10.5, 11], columns: ["open", "volume"]),
        Shape(name: "pandas Unnamed: 0 holding dates (read without index_col, written again)",
              text: "Unnamed: 0,Open,High,Low,Close,Volume\n2024-01-02 00:00:00,10,11,9,10.5,100\n2024-01-03 00:00:00,10.5,12,10,11,200\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [10.5, 11]),
        Shape(name: "pandas Unnamed: 0 row numbers beside a Date column",
              text: "Unnamed: 0,Date,Close\n0,2024-01-02,10.5\n1,2024-01-03,11\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [10.5, 11], warning: "dropped pandas index column 'Unnamed: 0'"),
        Shape(name: "pandas tz-aware intraday index",
              text: ",close\n2024-01-02 09:30:00-05:00,1\n2024-01-02 09:31:00-05:00,2\n",
              times: ["2024-01-02T14:30:00Z", "2024-01-02T14:31:00Z"], close: [1, 2]),
        Shape(name: "pandas epoch-second index",
              text: ",close\n1704153600,1\n1704240000,2\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [1, 2]),
        Shape(name: "yfinance daily",
              text: "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,187.15,188.44,183.89,185.64,184.29,82488700\n2024-01-03,184.22,185.88,183.43,184.25,182.91,58414500\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [185.64, 184.25], columns: ["Adj Close", "volume"]),
        Shape(name: "yfinance intraday",
              text: "Datetime,Open,High,Low,Close,Adj Close,Volume\n2024-01-02 09:30:00-05:00,187.15,188.44,187.0,187.5,187.5,100\n2024-01-02 09:31:00-05:00,187.5,187.9,187.2,187.3,187.3,200\n",
              times: ["2024-01-02T14:30:00Z", "2024-01-02T14:31:00Z"], close: [187.5, 187.3]),
        Shape(name: "yfinance three-row header (Price, Ticker, Date)",
              text: "Price,Adj Close,Close,High,Low,Open,Volume\nTicker,AAPL,AAPL,AAPL,AAPL,AAPL,AAPL\nDate,,,,,,\n2024-01-02,184.29,185.64,188.44,183.89,187.15,82488700\n2024-01-03,182.91,184.25,185.88,183.43,184.22,58414500\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], symbol: "AAPL", close: [185.64, 184.25], columns: ["open", "volume", "Adj Close"]),
        Shape(name: "Binance klines, no header, milliseconds",
              text: "1704153600000,42283.58,42554.57,42261.02,42475.23,1271.68,1704157199999,53910483.2,50000,700.1,29731532.7,0\n1704157200000,42475.23,42507.0,42400.0,42450.0,900.5,1704160799999,38240000.1,40000,450.2,19100000.3,0\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z"], close: [42475.23, 42450.0], columns: ["open", "volume", "close_time", "trades"],
              warning: "Binance kline columns"),
        Shape(name: "Binance klines, no header, microseconds (spot since 2025)",
              text: "1735689600000000,93576.0,94509.42,93489.03,94401.14,755.99,1735693199999999,71090580.7,100000,400.0,37600000.1,0\n1735693200000000,94401.14,94500.0,94300.0,94350.0,500.0,1735696799999999,47100000.0,80000,250.0,23500000.0,0\n",
              times: ["2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z"], close: [94401.14, 94350.0]),
        Shape(name: "MetaTrader 5 export, tab-separated <DATE> <TIME>",
              text: "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n2024.01.02\t00:00:00\t1.10427\t1.10450\t1.10400\t1.10420\t120\t0\t5\n2024.01.02\t00:01:00\t1.10420\t1.10431\t1.10410\t1.10415\t98\t0\t5\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T00:01:00Z"], close: [1.10420, 1.10415], columns: ["open", "tickvol", "volume", "spread"]),
        Shape(name: "MetaTrader export, semicolon-separated",
              text: "<DATE>;<TIME>;<OPEN>;<HIGH>;<LOW>;<CLOSE>;<TICKVOL>\n2024.01.02;13:00;1.1;1.2;1.0;1.15;10\n2024.01.02;14:00;1.15;1.25;1.1;1.2;12\n",
              times: ["2024-01-02T13:00:00Z", "2024-01-02T14:00:00Z"], close: [1.15, 1.2]),
        Shape(name: "MetaTrader 4 history export, no header",
              text: "2024.01.02,00:00,1.10427,1.10450,1.10400,1.10420,120\n2024.01.02,00:01,1.10420,1.10431,1.10410,1.10415,98\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T00:01:00Z"], close: [1.10420, 1.10415], columns: ["open", "volume"]),
        Shape(name: "Dukascopy, Gmt time dd.mm.yyyy HH:MM:SS.fff",
              text: "Gmt time,Open,High,Low,Close,Volume\n02.01.2024 00:00:00.000,1.10427,1.10450,1.10400,1.10420,1520.5\n02.01.2024 00:00:00.500,1.10420,1.10431,1.10410,1.10415,980.1\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T00:00:00.5Z"], close: [1.10420, 1.10415]),
        Shape(name: "Dukascopy, Local time with GMT offset",
              text: "Local time,Open,High,Low,Close,Volume\n02.01.2024 01:00:00.000 GMT+0100,1.1,1.2,1.0,1.15,10\n02.01.2024 02:00:00.000 GMT+0100,1.15,1.25,1.1,1.2,12\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z"], close: [1.15, 1.2]),
        Shape(name: "Stooq bulk export (<TICKER> <PER> <DATE> YYYYMMDD <TIME>)",
              text: "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\nAAPL.US,D,20240102,000000,187.15,188.44,183.885,185.64,82488700,0\nAAPL.US,D,20240103,000000,184.22,185.88,183.43,184.25,58414500,0\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], symbol: "AAPL.US", close: [185.64, 184.25], columns: ["volume", "openint"]),
        Shape(name: "Stooq YYYYMMDD Date column",
              text: "Date,Open,High,Low,Close,Volume\n20240102,187.15,188.44,183.885,185.64,82488700\n20240103,184.22,185.88,183.43,184.25,58414500\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [185.64, 184.25]),
        Shape(name: "Alpha Vantage daily CSV, newest first",
              text: "timestamp,open,high,low,close,volume\n2024-01-04,182.15,183.09,180.88,181.91,71983600\n2024-01-03,184.22,185.88,183.43,184.25,58414500\n2024-01-02,187.15,188.44,183.89,185.64,82488700\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z"], close: [185.64, 184.25, 181.91], columns: ["open", "volume"],
              warning: "rows are newest first"),
        Shape(name: "tushare daily, ts_code and YYYYMMDD trade_date, newest first",
              text: "ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount\n000001.SZ,20240104,9.19,9.22,9.15,9.16,9.19,-0.03,-0.3264,503240.62,461571.4\n000001.SZ,20240103,9.2,9.23,9.16,9.19,9.21,-0.02,-0.2172,617014.19,566718.5\n000001.SZ,20240102,9.39,9.42,9.21,9.21,9.39,-0.18,-1.9169,1158366.45,1075742.25\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z"], symbol: "000001.SZ", close: [9.21, 9.19, 9.16], columns: ["pre_close", "amount"],
              warning: "rows are newest first"),
        Shape(name: "Binance klines, no header, newest first",
              text: "1704157200000,42475.23,42507.0,42400.0,42450.0,900.5,1704160799999,38240000.1,40000,450.2,19100000.3,0\n1704153600000,42283.58,42554.57,42261.02,42475.23,1271.68,1704157199999,53910483.2,50000,700.1,29731532.7,0\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z"], close: [42475.23, 42450.0], warning: "rows are newest first"),
        Shape(name: "Finam export (<DTYYYYMMDD> and <TIME> HHMMSS)",
              text: "<TICKER>,<PER>,<DTYYYYMMDD>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>\nEURUSD,1,20240102,000000,1.1037,1.1045,1.1030,1.1040,1234\nEURUSD,1,20240102,000100,1.1040,1.1046,1.1036,1.1042,1300\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-02T00:01:00Z"], symbol: "EURUSD", close: [1.1040, 1.1042], columns: ["open", "volume"]),
        Shape(name: "US export, M/D/YYYY with Excel's one-digit hours",
              text: "Date,Open,High,Low,Close,Volume\n1/4/2024 9:30,10,11,9,10.5,100\n1/4/2024 10:00,10.5,12,10,11,200\n",
              times: ["2024-01-04T09:30:00Z", "2024-01-04T10:00:00Z"], close: [10.5, 11], warning: "taken month first (MM/DD/YYYY), as pandas does"),
        Shape(name: "US export, MM/DD/YYYY with a day past 12",
              text: "Date,Close\n12/29/2023,1\n01/02/2024,2\n",
              times: ["2023-12-29T00:00:00Z", "2024-01-02T00:00:00Z"], close: [1, 2]),
        Shape(name: "UK / European export, DD/MM/YYYY",
              text: "Date,Close\n29/12/2023,1\n02/01/2024,2\n",
              times: ["2023-12-29T00:00:00Z", "2024-01-02T00:00:00Z"], close: [1, 2], warning: "slash dates read day first (DD/MM/YYYY), as '29/12/2023' can only be"),
        Shape(name: "Nasdaq.com historical quotes (Close/Last, $ prices, MM/DD/YYYY, newest first)",
              text: "Date,Close/Last,Volume,Open,High,Low\n01/04/2024,$181.91,71983600,$182.15,$183.0872,$180.88\n01/03/2024,$184.25,58414460,$184.22,$185.88,$183.43\n01/02/2024,$185.64,82488670,$187.15,$188.44,$183.885\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z"], close: [185.64, 184.25, 181.91], columns: ["open", "high", "low", "volume"],
              warning: "'Close/Last' stored as close"),
        Shape(name: "Investing.com historical data (Price, quoted 44,179.0, Vol. 93.45K, newest first)",
              text: "\"Date\",\"Price\",\"Open\",\"High\",\"Low\",\"Vol.\",\"Change %\"\n\"01/04/2024\",\"44,179.0\",\"42,836.1\",\"44,729.8\",\"42,625.7\",\"93.45K\",\"3.14%\"\n\"01/03/2024\",\"42,836.1\",\"45,000.2\",\"45,500.0\",\"40,888.0\",\"120.11K\",\"-4.80%\"\n\"01/02/2024\",\"45,000.2\",\"44,183.4\",\"45,879.6\",\"44,175.6\",\"84.59K\",\"1.85%\"\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z"], close: [45000.2, 42836.1, 44179.0], columns: ["open", "high", "low", "volume"],
              warning: "'Price' stored as close"),
        Shape(name: "European spreadsheet export: ';' and decimal commas, '.' between thousands",
              text: "Date;Open;High;Low;Close;Volume\n02.01.2024;1.187,15;1.188,44;1.183,89;1.185,64;82488700\n03.01.2024;184,22;185,88;183,43;184,25;58414500\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [1185.64, 184.25], columns: ["open", "volume"],
              warning: "decimal commas ('Open', 'High', 'Low', 'Close')"),
        Shape(name: "Kaggle bitcoin, epoch seconds",
              text: "Timestamp,Open,High,Low,Close,Volume_(BTC),Volume_(Currency),Weighted_Price\n1325317920,4.39,4.39,4.39,4.39,0.455,2.0,4.39\n1325317980,4.39,4.39,4.39,4.39,0.1,0.439,4.39\n",
              times: ["2011-12-31T07:52:00Z", "2011-12-31T07:53:00Z"], close: [4.39, 4.39], columns: ["Volume_(BTC)", "Weighted_Price"]),
        Shape(name: "Kaggle bitcoin, epoch seconds written as floats",
              text: "Timestamp,Open,High,Low,Close,Volume\n1325412060.0,4.58,4.58,4.58,4.58,0.0\n1325412120.0,4.58,4.58,4.58,4.58,1.5\n",
              times: ["2012-01-01T10:01:00Z", "2012-01-01T10:02:00Z"], close: [4.58, 4.58]),
        Shape(name: "UTF-8 byte order mark and CRLF line ends",
              text: "\u{FEFF}Date,Close\r\n2024-01-02,1\r\n2024-01-03,2\r\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [1, 2]),
        Shape(name: "headerless epoch seconds and OHLCV",
              text: "1704153600,1,2,0.5,1.5,10\n1704240000,1.5,2.5,1,2,20\n",
              times: ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"], close: [1.5, 2], columns: ["open", "high", "low", "volume"]),
    ]

    static func nanoseconds(_ iso: String) -> Int64 {
        Array(iso.utf8).withUnsafeBufferPointer { TimestampParser.parse($0) }!
    }

    @Test(arguments: shapes)
    func downloadedShapeIngests(_ shape: Shape) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path
        try Data(shape.text.utf8).write(to: URL(fileURLWithPath: csv))
        let out = dir.appendingPathComponent("x.h5").path
        let result = try CSVIngestor.ingest(csv: csv, to: out)
        let file = try BarFile(path: out)
        #expect(file.symbols == [shape.symbol])
        let times = try file.timestamps(of: shape.symbol)
        #expect([times.first, times.last] == shape.times.map { Self.nanoseconds($0) }, "\(times.map(TimestampParser.format))")
        #expect(result.summary.timeRange == shape.times.map { TimestampParser.format(Self.nanoseconds($0)) })
        #expect(try file.column("close", of: shape.symbol) == shape.close)
        let stored = try file.columns(of: shape.symbol)
        for column in shape.columns { #expect(stored.contains(column), "\(column) in \(stored)") }
        #expect(file.metadata.hasTimestamps, "a real time axis, not row numbers")
        if let warning = shape.warning { #expect(result.summary.warnings.contains { $0.contains(warning) }, "\(result.summary.warnings)") }
        #expect(!result.summary.warnings.contains { $0.contains("no time axis") })
    }

    /// Broken files: each fails with the line, the column and the value, and writes nothing.
    @Test(arguments: [
        ("date,close\n2262-04-12,1\n", 2, "date", "2262-04-12", "outside the range int64 nanoseconds can hold"),
        ("date,close\n2024-01-02,1\n1677-09-20,1\n", 3, "date", "1677-09-20", "outside the range int64 nanoseconds can hold"),
        ("timestamp,close\n1704153600,1\n99999999999,1\n", 3, "timestamp", "99999999999", "outside the range int64 nanoseconds can hold"),
        ("date,close\n2024-01-02,1\n2024-01-03,inf\n", 3, "close", "inf", "not a finite number"),
        ("date,close\n2024-01-02,-inf\n2024-01-03,1\n", 2, "close", "-inf", "not a finite number"),
        ("date,close\n2024-01-02,1e400\n", 2, "close", "1e400", "not a finite number"),
        ("<DATE>,<TIME>,<CLOSE>\n2024.01.02,00:00,1\n2024.01.02,25:61,1\n", 3, "<TIME>", "25:61", "not a time of day"),
        ("Date,Close\n20240102,1\n20241302,1\n", 3, "Date", "20241302", "not a YYYYMMDD date"),
        // In a decimal-comma file, 1.234 could be 1234 or 1.234: a line error, not a guess.
        ("Date;Close\n02.01.2024;1,5\n03.01.2024;1.234\n04.01.2024;2,5\n", 3, "Close", "1.234", "not a number"),
    ] as [(String, Int, String, String, String)])
    func brokenValuesNameLineColumnAndValue(text: String, line: Int, column: String, value: String, message: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: csv))
        let out = dir.appendingPathComponent("x.h5").path
        do {
            _ = try CSVIngestor.ingest(csv: csv, to: out)
            Issue.record("must be rejected")
        } catch let failure as IngestFailure {
            let p = try #require(failure.problems.first)
            #expect(p.line == line && p.column == column && p.value == value, "\(p)")
            #expect(p.description.contains(message), "\(p)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Dates that read either way follow the option when one is given: `--date-order day-first`.
    @Test func theDateOrderOptionDecidesAmbiguousSlashDates() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path
        try Data("Date,Close\n01/02/2024,1\n01/03/2024,2\n".utf8).write(to: URL(fileURLWithPath: csv))
        for (dayFirst, first, last) in [(false, "2024-01-02", "2024-01-03"), (true, "2024-02-01", "2024-03-01")] {
            let out = dir.appendingPathComponent("x-\(dayFirst).h5").path
            var options = IngestOptions()
            options.dayFirst = dayFirst
            let result = try CSVIngestor.ingest(csv: csv, to: out, options: options)
            #expect(try BarFile(path: out).timestamps(of: "X") == [Self.nanoseconds(first), Self.nanoseconds(last)])
            #expect(!result.summary.warnings.contains { $0.contains("slash dates") }, "an explicit order needs no note")
        }
    }

    /// Decimal points in one column rule decimal commas out for the file: a ';' file whose prices
    /// are written 187.15 keeps them, whatever another column writes.
    @Test func decimalPointsRuleDecimalCommasOut() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path
        try Data("Date;Close;Weight\n2024-01-02;187.15;0,5\n2024-01-03;1.105;1,5\n".utf8).write(to: URL(fileURLWithPath: csv))
        let out = dir.appendingPathComponent("x.h5").path
        let result = try CSVIngestor.ingest(csv: csv, to: out)
        #expect(try BarFile(path: out).column("close", of: "X") == [187.15, 1.105])
        #expect(!result.summary.warnings.contains { $0.contains("decimal commas") }, "\(result.summary.warnings)")
    }

    @Test func aFileWithoutATimeAxisSaysSo() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A true 0..n−1 pandas index is still an index, not a time axis.
        for text in [",close,volume\n0,1,10\n1,2,20\n2,3,30\n", "a,close\n7,1\n3,2\n"] {
            let csv = dir.appendingPathComponent("x.csv").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: csv))
            let out = dir.appendingPathComponent("x.h5").path
            try? FileManager.default.removeItem(atPath: out)
            let result = try CSVIngestor.ingest(csv: csv, to: out)
            let file = try BarFile(path: out)
            #expect(!file.metadata.hasTimestamps)
            #expect(result.summary.warnings.contains { $0.contains("no time axis") && $0.contains("not annualised") }, "\(result.summary.warnings)")
        }
    }

    @Test func duplicateAndMissingColumnsAreNamed() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path
        let out = dir.appendingPathComponent("x.h5").path
        func ingest(_ text: String) throws -> IngestResult {
            try? FileManager.default.removeItem(atPath: out)
            try Data(text.utf8).write(to: URL(fileURLWithPath: csv))
            return try CSVIngestor.ingest(csv: csv, to: out)
        }
        #expect { _ = try ingest("date,close,volume,close\n2024-01-02,1,2,3\n") } throws: { "\($0)".contains("columns 2 and 4 are both named 'close'") }
        var result = try ingest("date,close,note,note\n2024-01-02,1,2,3\n")
        #expect(result.summary.warnings.contains { $0.contains("columns 3 and 4 are both named 'note'") && $0.contains("note.1") })
        result = try ingest("date,mid\n2024-01-02,1\n")
        #expect(result.summary.warnings.contains { $0.contains("no 'close' column") })
        // A Price column of text is not a close, and is not said to be one.
        result = try ingest("date,price\n2024-01-02,high\n2024-01-03,low\n")
        #expect(result.summary.warnings.contains { $0.contains("no 'close' column") })
        #expect(!result.summary.warnings.contains { $0.contains("stored as close") }, "\(result.summary.warnings)")
    }

    @Test func severalYFinanceTickersInOneRowAreRefusedWithTheWayOut() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path
        try Data("Price,Close,Close\nTicker,AAPL,MSFT\nDate,,\n2024-01-02,185.64,370.87\n".utf8).write(to: URL(fileURLWithPath: csv))
        #expect { _ = try CSVIngestor.ingest(csv: csv, to: dir.appendingPathComponent("x.h5").path) } throws: {
            "\($0)".contains("several tickers (AAPL, MSFT)") && "\($0)".contains("stack")
        }
    }

    /// The parser never wraps: every accepted instant formats back to itself, and the edges of
    /// int64 nanoseconds are refused rather than wrapped.
    @Test func timestampsOutsideInt64NanosecondsAreRefusedNotWrapped() {
        func parse(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { TimestampParser.parse($0) } }
        #expect(parse("2262-04-11T23:47:16Z") == 9_223_372_036_000_000_000)
        #expect(parse("2262-04-11T23:47:17Z") == nil)
        #expect(parse("9999-12-31") == nil && parse("0001-01-01") == nil)
        #expect(Array("9999-12-31".utf8).withUnsafeBufferPointer { TimestampParser.isOutOfRange($0) })
        #expect(parse("1677-09-21T00:12:44Z") == -9_223_372_036_000_000_000)
        #expect(parse("2024.01.02 10:00") == parse("2024-01-02T10:00:00Z"))
        #expect(parse("1/4/2024") == parse("2024-01-04") && parse("12/4/2024") == parse("2024-12-04"))
        #expect(parse("01/04/2024 9:05:30") == parse("2024-01-04T09:05:30Z"))
        #expect(parse("1/4/2024 9:05:30 PM") == parse("2024-01-04T21:05:30Z") && parse("1/4/2024 12:15 AM") == parse("2024-01-04T00:15:00Z"))
        #expect(parse("1/4/2024 12:15 pm") == parse("2024-01-04T12:15:00Z") && parse("2024-01-04 9:30am") == parse("2024-01-04T09:30:00Z"))
        #expect(parse("1/4/2024 13:15 PM") == nil && parse("1/4/2024 0:15 AM") == nil && parse("1/4/2024 9:15 XM") == nil)
        #expect(Array("1/4/2024".utf8).withUnsafeBufferPointer { TimestampParser.parse($0, dayFirst: true) } == parse("2024-04-01"))
        #expect(parse("13/01/2024") == nil && Array("13/01/2024".utf8).withUnsafeBufferPointer { TimestampParser.parse($0, dayFirst: true) } == parse("2024-01-13"))
        #expect(parse("1/4/24") == nil && parse("1/4/20245") == nil && parse("111/4/2024") == nil && parse("2/30/2024") == nil)
        #expect(parse("02.01.2024 10:00:00.250") == parse("2024-01-02T10:00:00.25Z"))
        #expect(parse("2024-01-02 10:00 GMT-0130") == parse("2024-01-02T11:30:00Z"))
        #expect(parse("2024-01-02 10:00 UTC") == parse("2024-01-02T10:00:00Z"))
        #expect(parse("2024-01-02T10:00:00+05") == parse("2024-01-02T05:00:00Z"))
        for bad in ["2024-01-0", "2024-01-02T", "2024-01-02 1", "2024-01-02T10:00:00+", "2024.01-02", "20240230", "2024/01/02 10:00 XYZ", "1.2", "12.34.5678"] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }
}
