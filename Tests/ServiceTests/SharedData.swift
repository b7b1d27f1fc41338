import Foundation

/// The read-only `shared/` folder of real market data: `$QF_SHARED_DIR`, by default the one
/// beside the repository.
enum SharedData {
    static let directory: String = ProcessInfo.processInfo.environment["QF_SHARED_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized.path

    /// The first `rows` data lines of DJI's daily bars (TradeMaster's dj30 folder), header kept.
    static func dji(rows: Int) throws -> String {
        try String(contentsOfFile: "\(directory)/data/trademaster/portfolio_management/dj30/DJI.csv", encoding: .utf8)
            .split(separator: "\n").prefix(rows + 1).joined(separator: "\n") + "\n"
    }
}
