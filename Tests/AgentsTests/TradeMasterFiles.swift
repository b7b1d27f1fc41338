import Foundation
import Ingest

/// TradeMaster's data in ../shared/data/trademaster, read the way a user's data is: CSV → ingest →
/// HDF5 → columns, through a temporary file.
enum TradeMasterFiles {
    static let directory: String = (ProcessInfo.processInfo.environment["QF_SHARED_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized.path)
        + "/data/trademaster"

    /// Ingests `csv` (a path under data/trademaster) and hands the bar file to `read`; the
    /// temporary HDF5 file is removed afterwards.
    static func ingested<T>(_ csv: String, _ read: (BarFile) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-tm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bars.h5").path
        _ = try CSVIngestor.ingest(csv: "\(directory)/\(csv)", to: out)
        return try read(try BarFile(path: out))
    }

    /// Whether `value` shows as `printed` with `decimals` decimals (half a unit of the last digit,
    /// plus float slack on large numbers): the golden values are printed figures.
    static func shows(_ value: Double, _ printed: Double, decimals: Int) -> Bool {
        abs(value - printed) <= 0.5 * pow(10, -Double(decimals)) + 1e-12 * abs(printed)
    }
}
