import Foundation
@testable import Ingest
import Testing

/// Our features against the feature columns TradeMaster's own code wrote into its data files.
@Suite struct TradeMasterFeatureTests {
    let data = CSVIngestTests.data

    func ingest(_ relative: String, in dir: URL) throws -> BarFile {
        let out = dir.appendingPathComponent(relative.replacingOccurrences(of: "/", with: "_") + ".h5").path
        _ = try CSVIngestor.ingest(csv: "\(data)/\(relative)", to: out)
        return try BarFile(path: out)
    }

    func maxDifference(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func btcFullHistoryMatchesEveryRow() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try ingest("algorithmic_trading/BTC/BTC.csv", in: dir)
        let s = file.symbols[0]
        let features = TradeMasterFeatures.compute(open: try file.column("open", of: s), high: try file.column("high", of: s),
                                                   low: try file.column("low", of: s), close: try file.column("close", of: s),
                                                   adjcp: try file.column("adjcp", of: s))
        for name in TradeMasterFeatures.names {
            let theirs = try file.column(name, of: s)
            #expect(theirs.count == 2991)
            #expect(maxDifference(features[name]![...], theirs[...]) <= 1e-9, "\(name)")
        }
    }

    /// DJ30 exists only as the 2020 and 2021 splits, whose first rows were computed with earlier
    /// history; joined, every row from the 30th on has its whole window inside the data.
    @Test func dj30MatchesWhereTheWindowIsInside() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let valid = try ingest("portfolio_management/dj30/valid.csv", in: dir)
        let test = try ingest("portfolio_management/dj30/test.csv", in: dir)
        #expect(valid.symbols == test.symbols && valid.symbols.count == 29)
        for symbol in valid.symbols {
            func joined(_ name: String) throws -> [Double] { try valid.column(name, of: symbol) + test.column(name, of: symbol) }
            let features = TradeMasterFeatures.compute(open: try joined("open"), high: try joined("high"), low: try joined("low"),
                                                       close: try joined("close"), adjcp: try joined("adjcp"))
            for name in TradeMasterFeatures.names {
                let theirs = try joined(name)
                let from = name.hasPrefix("zd_") ? Int(name.dropFirst(3))! - 1 : (name == "zclose" ? 1 : 0)
                #expect(maxDifference(features[name]![from...], theirs[from...]) <= 1e-9, "\(symbol) \(name)")
            }
        }
    }

    @Test func gapsAreForwardThenBackwardFilled() {
        let filled = TradeMasterFeatures.fillGaps([.nan, .nan, 1, .nan, 3, .nan])
        #expect(filled == [1, 1, 1, 1, 3, 3])
        let f = TradeMasterFeatures.compute(open: [1, 2, 3, 4, 5, 6], high: [2, 3, 4, 5, 6, 7], low: [0.5, 1, 2, 3, 4, 5],
                                            close: [1, 2, 4, 4, 5, 10], adjcp: nil)
        #expect(f["zclose"]! == [1, 1, 1, 0, 0.25, 1])
        // Window over close (no adjcp): rows 0…4 sum to 16 with price 5 at row 4; row 5 sums to 25 at price 10.
        let first: Double = 16.0 / 5 / 5 - 1, last: Double = 25.0 / 5 / 10 - 1
        #expect(f["zd_5"]! == [first, first, first, first, first, last])
        #expect(f["zd_30"]!.allSatisfy { $0.isNaN }, "no window fits: stays missing")
        #expect(f["zadjcp"]! == [0, 0, 0, 0, 0, 0])
    }
}

/// Every CSV under shared/data/trademaster ingests, and every data row comes back.
@Suite struct TradeMasterFilesTests {
    @Test func everyFileIngestsAndRoundTrips() throws {
        let root = CSVIngestTests.data
        let files = FileManager.default.enumerator(atPath: root)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".csv") }.sorted()
        #expect(files.count == 68)
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (k, relative) in files.enumerated() {
            let csv = "\(root)/\(relative)"
            // These files have no quoted newlines: data rows are the non-empty lines after the header.
            let lines = try String(contentsOfFile: csv, encoding: .utf8).split(whereSeparator: \.isNewline).count - 1
            let out = dir.appendingPathComponent("\(k).h5").path
            var options = IngestOptions()
            options.symbol = "S\(k)"
            let result = try CSVIngestor.ingest(csv: csv, to: out, options: options)
            let file = try BarFile(path: out)
            let stored = try file.symbols.reduce(0) { $0 + (try file.rowCount(of: $1)) }
            #expect(result.rowsWritten == lines && stored == lines, "\(relative): \(stored) rows stored of \(lines)")
        }
    }
}
