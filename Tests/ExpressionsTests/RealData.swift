import Expressions
import Foundation
import Ingest

/// Bars from the read-only `shared/` folder (`$QF_SHARED_DIR`, by default the one beside the
/// repository), ingested as users ingest them, as a `Frame`.
enum RealData {
    static let shared: String = ProcessInfo.processInfo.environment["QF_SHARED_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized.path

    static let columns = ["open", "high", "low", "close", "volume"]

    /// DJI's daily bars (2000–), or the 29 symbols of DJ30's test split (which has no volume).
    static func frame(_ name: String) throws -> Frame {
        let csv = name == "dji" ? "\(shared)/data/trademaster/portfolio_management/dj30/DJI.csv"
            : "\(shared)/data/trademaster/portfolio_management/dj30/test.csv"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-expr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("\(name).h5").path
        _ = try CSVIngestor.ingest(csv: csv, to: out, options: IngestOptions())
        let file = try BarFile(path: out)
        let symbols = file.symbols
        var columns: [String: [Double]] = [:]
        var bars = 0
        for column in Self.columns where name == "dji" || column != "volume" {
            var values: [Double] = []
            for symbol in symbols {
                let series = try file.column(column, of: symbol)
                bars = series.count
                values += series
            }
            columns[column] = values
        }
        return Frame(symbols: symbols, bars: bars, columns: columns)
    }
}
