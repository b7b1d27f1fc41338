import Backtest
import Foundation
import Testing

/// What `BarSeries.read` says when the bar file is not what a backtest needs: the file named
/// once, then what is wrong with it.
@Suite struct BarSeriesReadTests {
    static let sampleBars = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../data/synthetic.h5").standardized.path

    static func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as BacktestError { return error.description } catch { return "not a BacktestError: \(error)" }
        return nil
    }

    @Test func aMissingFileIsNamedOnce() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qf-missing-\(UUID().uuidString).h5").path
        #expect(Self.message { _ = try BarSeries.read(path: path, symbol: nil) } == "\(path): no such file")
    }

    @Test func aFileThatIsNotHDF5IsNamedOnce() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qf-text-\(UUID().uuidString).h5").path
        try Data("date,close\n2020-01-01,1\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(Self.message { _ = try BarSeries.read(path: path, symbol: nil) } == "\(path) is not an HDF5 file")
    }

    @Test func anUnknownSymbolListsTheFilesSymbols() throws {
        let message = try #require(Self.message { _ = try BarSeries.read(path: Self.sampleBars, symbol: "NOPE") })
        #expect(message.hasPrefix("\(Self.sampleBars) has no symbol NOPE (it has "))
        #expect(message.components(separatedBy: Self.sampleBars).count == 2)
    }
}
