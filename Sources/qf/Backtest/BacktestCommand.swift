import ArgumentParser
import Backtest
import Foundation
import Ingest

/// `qf backtest`: one strategy over one symbol of a bar file, with a stats table in the style
/// Backtesting.py users know, JSON, and an HTML report.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Backtest a built-in strategy on a bar file.")

    @OptionGroup var market: MarketOptions
    @Option(help: "Strategy: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")).") var strategy = "sma_cross"
    @Option(name: .customLong("param"), help: "A strategy parameter, name=value (repeatable).") var parameters: [String] = []
    @Flag(help: "Print the metrics as JSON.") var json = false
    @Option(help: "Write a self-contained HTML report (charts, statistics, trades) to this file.") var report: String?
    @Option(help: "Write the chart data (equity, drawdown, positions, trades) as JSON to this file.") var charts: String?

    func run() throws {
        let values = try parseParameters(parameters)
        let (symbol, open, close, times) = try market.bars()
        let spec = StrategySpec(name: strategy, parameters: values)
        let settings = try market.settings()
        let result = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
        let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, convention: market.convention,
                                   annualization: try market.annualizationValue(), benchmark: close,
                                   benchmarkStart: market.convention == .backtestingPy ? try Strategies.warmupBars(spec) : 0,
                                   initialCash: settings.initialCash, openTrade: result.openTrade)
        let label = "\(symbol) \(strategy) " + values.keys.sorted().map { "\($0)=\(SweepCSVWriter.format(values[$0]!))" }.joined(separator: " ")
        let statistics = StatsTable.rows(m, label: label, openTrade: result.openTrade)
        if let charts {
            let data = ChartData.charts(equity: result.equity, positions: result.positions, timestamps: times, trades: result.trades, benchmark: close)
            try StagedFile.write(try ChartData.json(data), to: charts)
        }
        if let report {
            let content = HTMLReport.Content(title: "Backtest: \(label)", metrics: m, statistics: statistics, equity: result.equity, timestamps: times,
                                             trades: result.trades, benchmark: close)
            try StagedFile.write(HTMLReport.html(content), to: report)
        }
        if json {
            try printJSON(m)
            return
        }
        for (name, value) in statistics { print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + value) }
        if let report { print("report: \(report)") }
        if let charts { print("charts: \(charts)") }
    }
}
