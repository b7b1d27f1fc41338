import Foundation
@testable import Agents
import Ingest
import Testing

/// `config.symbol` picks the traded symbol of a single-asset task from a file of several (real
/// DJ30 bars): the bars read are that symbol's, checked against the CSV's own rows; a symbol the
/// file lacks is an error naming `config.symbol` and what the file holds.
@Suite struct TrainingSymbolTests {
    @Test func theNamedSymbolIsTheOneRead() throws {
        let csv = "\(TradeMasterFiles.directory)/portfolio_management/dj30/valid.csv"
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        // The CSV's own AMGN closes (column 5), in date order.
        let amgn = rows.filter { $0[7] == "AMGN" }.map { Double($0[5])! }
        try TradeMasterFiles.ingested("portfolio_management/dj30/valid.csv") { file in
            #expect(file.symbols.count == 29)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-symbol-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bars = dir.appendingPathComponent("dj30.h5").path
        _ = try CSVIngestor.ingest(csv: csv, to: bars)
        let data = try TrainingRun.loadBars(bars, split: "train", symbol: "AMGN")
        #expect(data.close == amgn && amgn.count > 200)
        let first = try TrainingRun.loadBars(bars, split: "train")
        #expect(first.close != amgn, "without a symbol: the file's first (AAPL)")
        #expect {
            _ = try TrainingRun.loadBars(bars, split: "train", symbol: "TSLA")
        } throws: { error in
            "\(error)".contains("config.symbol") && "\(error)".contains("AMGN")
        }
    }
}
