import Agents
import ArgumentParser
import Backtest
import Compute
import Expressions
import Foundation
import Ingest

/// `qf backtest`: one strategy over one symbol of a bar file, with a stats table in the style
/// Backtesting.py users know, JSON, and an HTML report.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Backtest a built-in strategy on a bar file.")

    @OptionGroup var market: MarketOptions
    @Option(help: "Strategy: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")) (default sma_cross), or policy (a trained agent, with --checkpoint).") var strategy: String?
    @OptionGroup var rules: RuleOptions
    @Option(help: "For --strategy policy: a qf train output directory (an algorithmic-trading agent).") var checkpoint: String?
    @Option(name: .customLong("param"), help: "A strategy parameter, name=value (repeatable).") var parameters: [String] = []
    @Flag(help: "Print the metrics as JSON.") var json = false
    @Option(help: "Write a self-contained HTML report (charts, statistics, trades) to this file.") var report: String?
    @Option(help: "Write the chart data (equity, drawdown, positions, trades) as JSON to this file.") var charts: String?

    func run() throws {
        let values = try parseParameters(parameters)
        let (symbol, open, close, times) = try market.bars()
        let settings = try market.settings()
        let outcome: (Run, String, [(String, String)])
        if let position = rules.position {
            _ = try rules.rules()
            guard strategy == nil, checkpoint == nil else { throw ValidationError("--position is the strategy: leave out --strategy and --checkpoint") }
            outcome = try positionRun(position, values, symbol: symbol, times: times, settings: settings)
        } else if let signalRules = try rules.rules() {
            guard strategy == nil, checkpoint == nil else { throw ValidationError("--entry (with --exit, --short-entry, --short-exit) is the strategy: leave out --strategy and --checkpoint") }
            outcome = try rulesRun(signalRules, values, symbol: symbol, times: times, settings: settings)
        } else if strategy == "policy" {
            outcome = try policyRun(symbol: symbol, settings: settings)
        } else {
            outcome = try builtInRun(values, open: open, close: close, times: times, settings: settings)
        }
        let (m, label, statistics) = outcome
        if let charts {
            let data = ChartData.charts(equity: m.equity, positions: m.positions, timestamps: times, trades: m.trades, benchmark: close)
            try StagedFile.write(try ChartData.json(data), to: charts)
        }
        if let report {
            let content = HTMLReport.Content(title: "Backtest: \(label)", metrics: m.metrics, statistics: statistics, equity: m.equity, timestamps: times,
                                             trades: m.trades, benchmark: close)
            try StagedFile.write(HTMLReport.html(content), to: report)
        }
        let metrics = m.metrics
        if json {
            try printJSON(metrics)
            return
        }
        for (name, value) in statistics { print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + value) }
        if let report { print("report: \(report)") }
        if let charts { print("charts: \(charts)") }
    }

    /// What a run leaves for the tables, charts and report.
    struct Run {
        var metrics: PerformanceMetrics
        var equity: [Double]
        var positions: [Double]
        var trades: [TradeRecord]
    }

    func builtInRun(_ values: [String: Double], open: [Double], close: [Double], times: [Int64], settings: ExecutionSettings) throws -> (Run, String, [(String, String)]) {
        guard checkpoint == nil else { throw ValidationError("--checkpoint goes with --strategy policy") }
        let strategy = self.strategy ?? "sma_cross"
        let spec = StrategySpec(name: strategy, parameters: values)
        let result = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
        let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, convention: market.convention,
                                   annualization: try market.annualizationValue(), benchmark: close,
                                   benchmarkStart: market.convention == .backtestingPy ? try Strategies.warmupBars(spec) : 0,
                                   initialCash: settings.initialCash, openTrade: result.openTrade)
        let label = "\(try market.bars().symbol) \(strategy) " + values.keys.sorted().map { "\($0)=\(SweepCSVWriter.format(values[$0]!))" }.joined(separator: " ")
        return (Run(metrics: m, equity: result.equity, positions: result.positions, trades: result.trades), label,
                StatsTable.rows(m, label: label, openTrade: result.openTrade))
    }

    /// The user's own rules as the strategy: conditions over the file's columns, run by the
    /// same executor, metrics and report as the built-ins.
    func rulesRun(_ rules: SignalRules, _ values: [String: Double], symbol: String, times: [Int64], settings: ExecutionSettings) throws -> (Run, String, [(String, String)]) {
        var settings = settings
        // Short rules are the user's explicit wish to go short.
        if rules.tradesShort { settings.allowShort = true }
        let (bars, frame) = try BarSeries.frame(path: market.data, symbol: symbol)
        let signals: [Signal]
        do {
            signals = try RuleSignals.signals(rules, frame: frame, parameters: values, arithmetic: market.convention.meanArithmetic)
        } catch let error as RuleError {
            throw ValidationError("--\(error.field.replacingOccurrences(of: "_", with: "-")):\n\(error.error)")
        }
        let unused = Set(values.keys).subtracting(try rules.parameterNames())
        guard unused.isEmpty else { throw ValidationError("--param \(unused.sorted().joined(separator: ", ")): no rule names {\(unused.sorted().joined(separator: "}, {"))}") }
        let result = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: times, signals: signals, settings: settings,
                                        reopensHeldPosition: false)
        let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, convention: market.convention,
                                   annualization: try market.annualizationValue(), benchmark: bars.close, benchmarkStart: 0,
                                   initialCash: settings.initialCash, openTrade: result.openTrade)
        let label = "\(symbol) " + rules.named.map { "\($0.field)=\"\($0.text)\"" }.joined(separator: " ")
            + values.keys.sorted().map { " \($0)=\(SweepCSVWriter.format(values[$0]!))" }.joined()
        return (Run(metrics: m, equity: result.equity, positions: result.positions, trades: result.trades), label,
                StatsTable.rows(m, label: label, openTrade: result.openTrade))
    }

    /// A target position per bar written as an expression, a fraction of equity in [−1, 1]
    /// (shorting on), rebalanced as `qf portfolio` rebalances one asset.
    func positionRun(_ expression: String, _ values: [String: Double], symbol: String, times: [Int64], settings: ExecutionSettings) throws -> (Run, String, [(String, String)]) {
        var settings = settings
        settings.allowShort = true
        let (bars, frame) = try BarSeries.frame(path: market.data, symbol: symbol)
        let targets: [Double]
        do {
            targets = try RuleSignals.positions(expression, frame: frame, parameters: values, arithmetic: market.convention.meanArithmetic)
        } catch let error as RuleError {
            throw ValidationError("--\(error.field):\n\(error.error)")
        }
        let unused = Set(values.keys).subtracting(try Compiler.parameterNames(expression))
        guard unused.isEmpty else { throw ValidationError("--param \(unused.sorted().joined(separator: ", ")): the position names no {\(unused.sorted().joined(separator: "}, {"))}") }
        let result = PortfolioBacktest.run(open: bars.open, close: bars.close, timestamps: times, targets: targets, kind: .fraction, settings: settings)
        let trades = result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
        let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: trades, convention: market.convention,
                                   annualization: try market.annualizationValue(), benchmark: bars.close, benchmarkStart: 0,
                                   initialCash: settings.initialCash, openTrade: nil)
        let label = "\(symbol) position=\"\(expression)\"" + values.keys.sorted().map { " \($0)=\(SweepCSVWriter.format(values[$0]!))" }.joined()
        return (Run(metrics: m, equity: result.equity, positions: result.units[0], trades: trades), label, StatsTable.rows(m, label: label, openTrade: nil))
    }

    /// A trained algorithmic-trading agent as the strategy: its units after each day's close,
    /// executed with this command's settings.
    func policyRun(symbol: String, settings: ExecutionSettings) throws -> (Run, String, [(String, String)]) {
        guard let checkpoint else { throw ValidationError("--strategy policy needs --checkpoint DIR (a qf train output directory)") }
        guard parameters.isEmpty else { throw ValidationError("--strategy policy takes no --param (the agent is the strategy)") }
        ComputeConfiguration(blasThreads: 1).apply()
        let run = try TrainingRun(directory: checkpoint)
        guard run.resolved.task == "algorithmic_trading" else {
            throw CommandFailure("\(checkpoint) holds a \(run.resolved.task) agent; policy backtests take algorithmic-trading agents (use qf evaluate for the others)")
        }
        _ = try run.resumeIfPossible()
        let agent = try run.bestAgent()
        let file = try BarFile(path: market.data)
        let data = try run.resolved.features.map { try AlgorithmicTradingData(file: file, symbol: symbol, features: $0) } ?? AlgorithmicTradingData(file: file, symbol: symbol)
        let report = PolicyStrategy.backtest(agent: agent, data: data, environment: run.resolved.environment, settings: settings,
                                             convention: market.convention, annualization: try market.annualizationValue())
        let trades = report.result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
        let label = "\(symbol) policy \(run.job.config.agentName) (\(checkpoint))"
        return (Run(metrics: report.metrics, equity: report.result.equity, positions: report.result.units[0], trades: trades), label,
                StatsTable.rows(report.metrics, label: label, openTrade: report.openTrade))
    }
}
