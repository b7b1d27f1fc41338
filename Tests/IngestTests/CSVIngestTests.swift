import Foundation
@testable import Ingest
import PythonCheck
import Testing

/// CSV ingestion end to end: real TradeMaster files, every validation error, policies, memory.
@Suite struct CSVIngestTests {
    /// TradeMaster's files: `$QF_SHARED_DIR/data/trademaster`, by default the `shared/` folder beside
    /// the repository (where CI lays it).
    static let data: String = {
        let shared = ProcessInfo.processInfo.environment["QF_SHARED_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized.path
        return "\(shared)/data/trademaster"
    }()

    func write(_ text: String, in dir: URL, name: String = "bars.csv") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A slow, independent reading of a simple CSV (no quotes) with Foundation.
    func naiveColumns(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (lines[0], Array(lines.dropFirst()))
    }

    @Test func tradeMasterBTCRoundTripsExactly() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = "\(Self.data)/algorithmic_trading/BTC/train.csv"
        let out = dir.appendingPathComponent("btc.h5").path
        let result = try CSVIngestor.ingest(csv: csv, to: out)
        let (header, rows) = try naiveColumns(csv)
        let file = try BarFile(path: out)
        #expect(file.symbols == ["BTC"] && result.rowsWritten == 900 && rows.count == 900)
        #expect(file.metadata.frequency == "1D")
        let dates = try file.timestamps(of: "BTC")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime]
        for name in ["open", "high", "low", "close", "adjcp", "zopen", "zd_30"] {
            let k = header.firstIndex(of: name)!
            #expect(try file.column(name, of: "BTC") == rows.map { Double($0[k])! }, "column \(name)")
        }
        let d = header.firstIndex(of: "date")!
        #expect(dates == rows.map { Int64(formatter.date(from: $0[d])!.timeIntervalSince1970) * 1_000_000_000 })
        let summary = result.summary
        #expect(summary.rowCount == 900 && summary.columns.map(\.name).contains("zd_5") && !summary.columns.map(\.name).contains("Unnamed: 0"))
        let close = rows.map { Double($0[header.firstIndex(of: "close")!])! }
        let mean = close.reduce(0, +) / 900
        let std = (close.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 899).squareRoot()
        let stats = try #require(summary.statistics.numericalSummary["close"])
        #expect(abs(stats.mean! - mean) < 1e-9 * mean && abs(stats.std! - std) < 1e-9 * std)
        let sorted = close.sorted()
        #expect(stats.min == sorted.first && stats.max == sorted.last)
        #expect(abs(stats.p50! - (sorted[449] + sorted[450]) / 2) < 1e-12)   // pandas' median of 900 values
        #expect(abs(stats.p25! - (sorted[224] + 0.75 * (sorted[225] - sorted[224]))) < 1e-9)
        #expect(summary.sampleData.count == 5 && summary.sampleData[0]["date"] == .text("2014-02-23T23:59:59Z"))
        #expect(summary.statistics.dataTypes["tic"] == "string" && summary.statistics.dataTypes["date"] == "datetime")
    }

    @Test func dj30SplitsIntoTwentyNineSymbols() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("dj30.h5").path
        let result = try CSVIngestor.ingest(csv: "\(Self.data)/portfolio_management/dj30/test.csv", to: out)
        let file = try BarFile(path: out)
        #expect(file.symbols.count == 29 && file.symbols.contains("AAPL") && file.symbols.contains("WMT"))
        #expect(result.summary.symbols.values.allSatisfy { $0 == 252 } && result.rowsWritten == 7308)
        let panel = try Panel(file: file, symbols: file.symbols, columns: ["close"], alignment: .inner)
        #expect(panel.timestamps.count == 252)
        #expect(try file.column("close", of: "AAPL").first == 129.41000366210938)
    }

    @Test func orderBookSnapshotsKeepSubSecondTimes() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("lob.h5").path
        let result = try CSVIngestor.ingest(csv: "\(Self.data)/order_execution/BTC/test.csv", to: out, options: { var o = IngestOptions(); o.symbol = "BTCUSDT"; return o }())
        let file = try BarFile(path: out)
        #expect(result.rowsWritten == 600 && file.symbols == ["BTCUSDT"])
        #expect(try file.columns(of: "BTCUSDT").count == 154)
        #expect(try file.timestamps(of: "BTCUSDT").first == 1_618_680_120_172_344_000)
    }

    /// Bool columns become 0/1, a varying text column is dropped with a warning, and the summary
    /// encodes to the seed's `datasets` JSON keys.
    @Test func typesTextColumnsAndSummaryJSON() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try write("date,close,halted,venue,count\n2021-01-01,1.5,False,NYSE,3\n2021-01-02,,True,ARCA,4\n2021-01-03,1.7,false,NYSE,5\n", in: dir)
        let out = dir.appendingPathComponent("t.h5").path
        var options = IngestOptions()
        options.symbol = "T"
        let result = try CSVIngestor.ingest(csv: csv, to: out, options: options)
        let file = try BarFile(path: out)
        #expect(try file.column("halted", of: "T") == [0, 1, 0])
        #expect(try file.columns(of: "T") == ["close", "count", "halted"], "the varying text column is not stored")
        #expect(result.summary.warnings.contains { $0.contains("text column 'venue' varies: dropped") })
        #expect(result.summary.statistics.dataTypes == ["date": "datetime", "close": "float64", "halted": "bool", "venue": "string", "count": "int64"])
        #expect(result.summary.statistics.missingValues["close"] == 1)
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(result.summary)) as! [String: Any]
        #expect(json["row_count"] as? Int == 3 && json["column_count"] as? Int == 5)
        let columns = json["columns"] as! [[String: String]]
        #expect(columns.first == ["name": "date", "type": "datetime", "description": "Bar time, stored as int64 nanoseconds since 1970-01-01 UTC"])
        let statistics = json["statistics"] as! [String: Any]
        let close = (statistics["numerical_summary"] as! [String: [String: Any]])["close"]!
        #expect(close["count"] as? Int == 2 && close["25%"] as? Double == 1.55 && close["mean"] as? Double == 1.6)
        #expect((statistics["missing_values"] as! [String: Int])["close"] == 1)
        let sample = json["sample_data"] as! [[String: Any]]
        #expect(sample.count == 3 && sample[1]["close"] is NSNull && sample[0]["venue"] as? String == "NYSE")
    }

    /// Chunks compressed in parallel outside libhdf5 read back through its own filters, through
    /// the parallel reader, and through h5py, with every value intact.
    @Test func parallelCompressedChunksReadBackEverywhere() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "date,open,high,low,close,volume\n"
        for i in 0..<3_500 { text += "\(TimestampParser.format(Int64(i) * 60_000_000_000)),\(100 + Double(i) / 7),\(101 + Double(i) / 7),\(99 + Double(i) / 7),\(100.5 + Double(i) / 7),\(i)\n" }
        let csv = try write(text, in: dir)
        var options = IngestOptions()
        options.symbol = "C"
        options.chunkLength = 1_000   // 3 full chunks and a partial one
        let out = dir.appendingPathComponent("c.h5").path
        _ = try CSVIngestor.ingest(csv: csv, to: out, options: options)
        let file = try BarFile(path: out)
        let expected = (0..<3_500).map { 100.5 + Double($0) / 7 }
        #expect(try file.column("close", of: "C") == expected)
        #expect(try file.openColumn("close", of: "C").readAllParallel() == expected)
        #expect(try file.openColumn("close", of: "C").isShuffleDeflate)
        #expect(try file.timestamps(of: "C") == (0..<3_500).map { Int64($0) * 60_000_000_000 })
        #expect(try file.read(["volume"], of: "C", in: (1_500 * 60_000_000_000)...(2_499 * 60_000_000_000)).columns[0] == (1_500..<2_500).map(Double.init))
        guard PythonCheck.isAvailable else { return }
        let (status, output) = try PythonCheck.run("""
        import sys, h5py, numpy as np
        d = h5py.File(sys.argv[1], "r")["symbols/C/close"]
        assert d.chunks == (1000,) and d.shuffle and d.compression == "gzip", (d.chunks, d.shuffle, d.compression)
        assert np.array_equal(d[:], 100.5 + np.arange(3500) / 7), "values differ"
        """, arguments: [out])
        #expect(status == 0, "h5py could not read the parallel-compressed chunks: \(output)")
    }

    /// Each kind of bad input, with the file, line, column and value in the report.
    @Test(arguments: [
        ("date,open,high,low,close,volume\n2021-01-01,1,2,0.5,1.5,10\n2021-01-02,1,2,0.5\n", 3, nil as String?, "expected 6 fields, found 4"),
        ("date,open,high,low,close,volume\n2021-01-01,1,2,0.5,1.5,10\n2021-01-02,1,2,0.5,abc,10\n", 3, "close", "'abc': not a number"),
        ("date,open,high,low,close,volume\n2021-01-01,1,2,0.5,1.5,10\n2021-13-02,1,2,0.5,1.5,10\n", 3, "date", "'2021-13-02': not a date/time"),
        ("date,open,high,low,close,volume\n2021-01-01,1,2,0.5,1.5,10\n2021-01-02,1,0.4,0.5,0.45,10\n", 3, "high", "high is below low"),
        ("date,open,high,low,close,volume\n2021-01-01,1,2,0.5,1.5,10\n2021-01-02,-1,2,0.5,1.5,10\n", 3, "open", "negative price"),
        ("date,open,high,low,close,volume\n2021-01-01,1,2,0.5,1.5,10\n2021-01-02,1,2,0.5,1.5,-3\n", 3, "volume", "negative volume"),
        ("date,open,high,low,close,volume\n2021-01-02,1,2,0.5,1.5,10\n2021-01-02,1,2,0.5,1.5,10\n", 3, "date", "duplicate timestamp for X (also on line 2)"),
    ] as [(String, Int, String?, String)])
    func badInputIsReportedPrecisely(text: String, line: Int, column: String?, message: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try write(text, in: dir, name: "x.csv")
        let out = dir.appendingPathComponent("x.h5").path
        var options = IngestOptions()
        options.symbol = "X"
        do {
            _ = try CSVIngestor.ingest(csv: csv, to: out, options: options)
            Issue.record("must be rejected")
        } catch let failure as IngestFailure {
            #expect(failure.totalProblems == 1)
            let p = try #require(failure.problems.first)
            #expect(p.file == csv && p.line == line && p.column == column)
            #expect(p.description.contains(message), "\(p)")
        }
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.csv"], "no temporary file is left")
        // Under the skip policy the bad row is left out and the rest is written.
        options.onError = .skip
        let result = try CSVIngestor.ingest(csv: csv, to: out, options: options)
        #expect(result.rowsSkipped == 1 && result.rowsWritten == 1 && result.totalProblems == 1)
    }

    /// A file listing each symbol newest first (Alpha Vantage, Investing.com, tushare) is stored
    /// as the same rows written oldest first would be: every column, both symbols, over whole
    /// compressed chunks and a partial one, and the same statistics.
    @Test func newestFirstFilesAreStoredAsTheirOldestFirstTwin() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Two symbols, their rows interleaved by date as a panel download lists them.
        var rows: [String] = []
        for i in 0..<2_300 {
            let time = TimestampParser.format(Int64(i) * 86_400_000_000_000)
            rows.append("\(time),AAA,\(100 + Double(i) / 7),\(101 + Double(i) / 7),\(99 + Double(i) / 7),\(100.5 + Double(i) / 7),\(i)")
            rows.append("\(time),BBB,\(50 - Double(i) / 97),\(51 - Double(i) / 97),\(49 - Double(i) / 97),\(50.5 - Double(i) / 97),\(2 * i)")
        }
        let header = "date,tic,open,high,low,close,volume\n"
        let oldestFirst = try write(header + rows.joined(separator: "\n") + "\n", in: dir, name: "old.csv")
        let newestFirst = try write(header + rows.reversed().joined(separator: "\n") + "\n", in: dir, name: "new.csv")
        var options = IngestOptions()
        options.chunkLength = 1_000   // 2 full chunks and a partial one per symbol
        let oldOut = dir.appendingPathComponent("old.h5").path, newOut = dir.appendingPathComponent("new.h5").path
        let old = try CSVIngestor.ingest(csv: oldestFirst, to: oldOut, options: options)
        let new = try CSVIngestor.ingest(csv: newestFirst, to: newOut, options: options)
        #expect(new.summary.warnings.contains { $0.contains("newest first") }, "\(new.summary.warnings)")
        #expect(!old.summary.warnings.contains { $0.contains("newest first") })
        let a = try BarFile(path: oldOut), b = try BarFile(path: newOut)
        #expect(b.symbols.sorted() == ["AAA", "BBB"])
        for symbol in ["AAA", "BBB"] {
            #expect(try b.timestamps(of: symbol) == (0..<2_300).map { Int64($0) * 86_400_000_000_000 })
            for column in ["open", "high", "low", "close", "volume"] {
                #expect(try b.column(column, of: symbol) == a.column(column, of: symbol), "\(symbol) \(column)")
            }
        }
        // The same statistics; means and deviations to 1e-12 relative, as the symbols' batches
        // reach the accumulators in another order (all of AAA, then BBB, instead of in turns).
        #expect(new.summary.statistics.missingValues == old.summary.statistics.missingValues)
        #expect(new.summary.statistics.dataTypes == old.summary.statistics.dataTypes)
        for (column, o) in old.summary.statistics.numericalSummary {
            let n = try #require(new.summary.statistics.numericalSummary[column])
            #expect(n.count == o.count && n.min == o.min && n.max == o.max && n.p25 == o.p25 && n.p50 == o.p50 && n.p75 == o.p75, "\(column)")
            for (x, y) in [(n.mean, o.mean), (n.std, o.std)] {
                let (x, y) = (try #require(x), try #require(y))
                #expect(abs(x - y) <= 1e-12 * abs(y), "\(column): \(x) against \(y)")
            }
        }
        #expect(new.summary.timeRange == old.summary.timeRange && new.summary.symbols == old.summary.symbols)
        #expect(new.rowsWritten == 4_600)
    }

    /// In a newest-first file a row that steps forward is the error, on its own line; one
    /// mistyped date near the top of an oldest-first file does not turn the file around.
    @Test func rowsOutOfTheFilesOrderAreReportedOnTheirLines() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = IngestOptions()
        options.symbol = "X"
        let cases: [(String, Int, String)] = [
            ("date,close\n2021-01-05,1\n2021-01-04,1\n2021-01-06,1\n2021-01-03,1\n2021-01-02,1\n", 4,
             "timestamp goes forward in time in a newest-first file for X (line 3 has 2021-01-04T00:00:00Z)"),
            ("date,close\n2021-01-01,1\n2020-01-02,1\n2021-01-03,1\n2021-01-04,1\n2021-01-05,1\n", 3,
             "timestamp goes back in time for X (line 2 has 2021-01-01T00:00:00Z)"),
        ]
        for (text, line, message) in cases {
            let csv = try write(text, in: dir)
            let out = dir.appendingPathComponent("x.h5").path
            do {
                _ = try CSVIngestor.ingest(csv: csv, to: out, options: options)
                Issue.record("must be rejected: \(text)")
            } catch let failure as IngestFailure {
                #expect(failure.totalProblems == 1, "\(failure)")
                let p = try #require(failure.problems.first)
                #expect(p.line == line && p.column == "date", "\(p)")
                #expect(p.description.contains(message), "\(p)")
            }
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func reportListsTheFirstProblemsAndCountsAll() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "date,close\n"
        for day in 1...28 { text += "2021-02-\(day < 10 ? "0" : "")\(day),\(day % 2 == 0 ? "bad" : "1.5")\n" }
        let csv = try write(text, in: dir)
        #expect {
            _ = try CSVIngestor.ingest(csv: csv, to: dir.appendingPathComponent("o.h5").path)
        } throws: { error in
            guard let failure = error as? IngestFailure else { return false }
            return failure.totalProblems == 14 && failure.problems.count == 14 && "\(failure)".contains("14 problems in 28 rows")
        }
    }

    @Test func emptyNonUTF8AndHeaderOnlyFilesAreErrors() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.h5").path
        #expect { _ = try CSVIngestor.ingest(csv: try write("", in: dir, name: "empty.csv"), to: out) } throws: { "\($0)".contains("the file is empty") }
        #expect { _ = try CSVIngestor.ingest(csv: try write("date,close\n", in: dir, name: "header.csv"), to: out) } throws: { "\($0)".contains("no data rows") }
        let bad = dir.appendingPathComponent("latin1.csv")
        try Data([0x64, 0x61, 0x74, 0x65, 0x2C, 0x74, 0x69, 0x63, 0x2C, 0x63, 0x6C, 0x6F, 0x73, 0x65, 0x0A] + Array("2021-01-01,".utf8) + [0x4D, 0xFC, 0x6E] + Array(",1.5\n".utf8)).write(to: bad)
        #expect { _ = try CSVIngestor.ingest(csv: bad.path, to: out) } throws: { "\($0)".contains("latin1.csv:2: column tic: '<non-UTF-8 bytes 4d fc 6e>': not valid UTF-8") }
        #expect { _ = try CSVIngestor.ingest(csv: dir.appendingPathComponent("missing.csv").path, to: out) } throws: { "\($0)".contains("no such file") }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func dialectsAndTimestampForms() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let forms = [
            ("semicolon.csv", "Date;Open;High;Low;Close;Volume\n2021-01-01 09:30:00;1;2;0.5;1.5;10\n2021-01-01 09:31:00;1;2;0.5;1.5;10\n"),
            ("tab.tsv", "timestamp\tclose\n1609493400\t1.5\n1609493460\t1.6\n"),
            ("millis.csv", "time,close\n1609493400000,1.5\n1609493460000,1.6\n"),
            ("pandas.csv", ",Datetime,Close\n0,2021-01-01T09:30:00+00:00,1.5\n1,2021-01-01T10:31:00+01:00,1.6\n"),
            ("quoted.csv", "\"\",\"date\",\"close\",\"note\"\n\"0\",\"2021-01-01T09:30:00Z\",\"1.5\",\"a, b\"\n\"1\",\"2021-01-01T09:31:00Z\",\"1.6\",\"a, b\"\n"),
        ]
        for (name, text) in forms {
            let out = dir.appendingPathComponent(name + ".h5").path
            let result = try CSVIngestor.ingest(csv: try write(text, in: dir, name: name), to: out)
            let file = try BarFile(path: out)
            let symbol = try #require(file.symbols.first)
            #expect(try file.timestamps(of: symbol) == [1_609_493_400_000_000_000, 1_609_493_460_000_000_000], "\(name)")
            #expect(try file.column("close", of: symbol).first == 1.5, "\(name)")
            #expect(result.rowsWritten == 2)
        }
        let quoted = try BarFile(path: dir.appendingPathComponent("quoted.csv.h5").path)
        #expect(try quoted.attributes(of: quoted.symbols[0])["note"] == .string("a, b"), "a constant text column is kept as an attribute")
    }

    /// A file 45× the read block, ingested with small buffers in a child process (so that tests
    /// running in parallel do not share the measurement): the resident set, sampled while the
    /// ingest runs, grows by far less than the file's size (about 19 MB for 45 or 90 MB files,
    /// flat), so nothing holds the whole file. The file is written in 1 MB pieces so the test never
    /// holds it either. The child exits with status 3 when the limit is exceeded.
    @Test func memoryStaysBoundedForLargeFiles() async {
        await #expect(processExitsWith: .success) {
            let dir = try folder()
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("big.csv").path
            guard FileManager.default.createFile(atPath: path, contents: nil) else { exit(2) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.write(contentsOf: Data("date,open,high,low,close,volume\n".utf8))
            let rows = 700_000
            var price = 100.0, piece = ""
            for i in 0..<rows {
                price *= 1 + Double((i * 7919) % 101 - 50) * 1e-5
                piece += "\(TimestampParser.format(Int64(i) * 60_000_000_000)),\(price),\(price * 1.001),\(price * 0.999),\(price),\(i % 977)\n"
                if piece.utf8.count > 1 << 20 { try handle.write(contentsOf: Data(piece.utf8)); piece = "" }
            }
            try handle.write(contentsOf: Data(piece.utf8))
            try handle.close()
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            var options = IngestOptions()
            options.symbol = "BIG"
            options.blockSize = 1 << 20
            options.flushRows = 4096
            options.chunkLength = 4096
            options.statisticsSampleLimit = 10_000
            let before = CSVIngestTests.residentBytes()
            var peak = before
            let out = dir.appendingPathComponent("big.h5").path
            let result = try CSVIngestor.ingest(csv: path, to: out, options: options) { _, _ in
                peak = max(peak, CSVIngestTests.residentBytes())
            }
            guard result.rowsWritten == rows, size > 40 << 20, try BarFile(path: out).rowCount(of: "BIG") == rows,
                  result.summary.statistics.numericalSummary["close"]?.exactQuantiles == false else { exit(2) }
            if peak - before >= 28 << 20 { exit(3) }
        }
    }

    /// Current resident set size, from /proc/self/statm (pages).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
