import Backtest
import Foundation
import Ingest
import Testing

/// `qf walkforward` end to end on real BTC days: its JSON equals `WalkForward.run` in process
/// (windows from durations, the chosen parameters, the stitched figures), and bad options are
/// errors naming the option.
@Suite struct WalkForwardCommandTests {
    @Test func theCommandPrintsWhatTheEngineComputes() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("btc.h5").path
        _ = try CSVIngestor.ingest(csv: SharedData.directory + "/data/trademaster/algorithmic_trading/BTC/BTC.csv", to: path, options: IngestOptions())
        let arguments = ["walkforward", "--data", path, "--grid", "fast=2:20:6", "--grid", "slow=20:60:20", "--train", "1y", "--test", "6m",
                         "--fill", "close", "--convention", "vectorbt", "--commission", "0.001", "--json"]
        let run = await (try ProcessRunner.start(arguments, environment: [:]))()
        #expect(run.status == 0, "\(run.output)")
        let start = try #require(run.output.range(of: "\n{")?.lowerBound ?? (run.output.hasPrefix("{") ? run.output.startIndex : nil), "\(run.output)")
        let document = try JSONSerialization.jsonObject(with: Data(run.output[start...].utf8)) as? [String: Any] ?? [:]
        let windows = document["windows"] as? [[String: Any]] ?? []

        let bars = try BarSeries.read(path: path, symbol: nil)
        let grid = ParameterGrid(axes: try ["fast=2:20:6", "slow=20:60:20"].map { try ParameterGrid.Axis(parsing: $0) })
        let split = try WalkForwardWindows(bars: bars.count, train: WalkForwardWindows.bars("1y", option: "--train", timestamps: bars.timestamps),
                                           test: WalkForwardWindows.bars("6m", option: "--test", timestamps: bars.timestamps))
        var settings = ExecutionSettings(fill: .close, commission: 0.001, initialCash: 10_000)
        settings.peer = .vectorbt
        let expected = try WalkForward.run(.strategy("sma_cross"), configuration: WalkForwardConfiguration(grid: grid, settings: settings, convention: .vectorbt),
                                           windows: split, bars: bars)
        #expect(windows.count == expected.windows.count && windows.count > 5)
        for (printed, window) in zip(windows, expected.windows) {
            let parameters = printed["parameters"] as? [String: Double] ?? [:]
            #expect(parameters["fast"] == window.parameters[0] && parameters["slow"] == window.parameters[1], "\(printed)")
        }
        let sharpe = (document["metrics"] as? [String: Any])?["sharpe"] as? Double ?? .nan
        #expect(abs(sharpe - expected.metrics.sharpe) < 1e-9, "\(sharpe) vs \(expected.metrics.sharpe)")

        for (option, bad) in [("--train", "2x"), ("--test", "0"), ("--select", "luck")] {
            var wrong = arguments
            if let k = wrong.firstIndex(of: option) { wrong[k + 1] = bad } else { wrong += [option, bad] }
            let refused = await (try ProcessRunner.start(wrong, environment: [:]))()
            #expect(refused.status != 0 && refused.output.contains(option), "\(option) \(bad): \(refused.output)")
        }
    }
}
