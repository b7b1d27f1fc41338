import ArgumentParser
import Backtest
import Foundation
import Ingest

/// `qf backtest`: one strategy over one symbol of a bar file, with a stats table in the style
/// Backtesting.py users know.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Backtest a built-in strategy on a bar file.")

    @Option(help: "The HDF5 bar file.") var data: String
    @Option(help: "Symbol (default: the first in the file).") var symbol: String?
    @Option(help: "Strategy: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")).") var strategy = "sma_cross"
    @Option(name: .customLong("param"), help: "A strategy parameter, name=value (repeatable).") var parameters: [String] = []
    @Option(help: "Fill at next_open (Backtesting.py) or close (vectorbt).") var fill: ExecutionSettings.Fill = .nextOpen
    @Option(help: "Commission, a fraction of traded value.") var commission = 0.0
    @Option(help: "Fixed fee per order.") var fee = 0.0
    @Option(help: "Slippage in basis points.") var slippage = 0.0
    @Option(help: "Initial cash.") var cash = 10_000.0
    @Flag(help: "Allow short positions.") var short = false
    @Option(help: "Metric convention: backtesting.py or vectorbt.") var convention: MetricsConvention = .backtestingPy
    @Flag(help: "Print the metrics as JSON.") var json = false

    func run() throws {
        var values: [String: Double] = [:]
        for item in parameters {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let v = Double(parts[1]) else { throw ValidationError("--param \(item): expected name=number") }
            values[String(parts[0])] = v
        }
        let bars = try BarFile(path: data)
        guard let symbol = symbol ?? bars.symbols.first else { throw ValidationError("\(data) has no symbols") }
        let open = try bars.column("open", of: symbol), close = try bars.column("close", of: symbol)
        let times = try bars.timestamps(of: symbol)
        let spec = StrategySpec(name: strategy, parameters: values)
        let signals = try Strategies.signals(spec, close: close)
        let settings = ExecutionSettings(fill: fill, commission: commission, fixedFee: fee, slippageBps: slippage, initialCash: cash, allowShort: short)
        let result = SignalBacktest.run(open: open, close: close, timestamps: times, signals: signals, settings: settings)
        let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, convention: convention, benchmark: close)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(m), as: UTF8.self))
            return
        }
        func pct(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.2f", v * 100) }
        func num(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.3f", v) }
        let rows: [(String, String)] = [
            ("Start", TimestampParser.format(times.first ?? 0)), ("End", TimestampParser.format(times.last ?? 0)),
            ("Strategy", "\(strategy) \(values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: " "))"),
            ("Exposure Time [%]", pct(m.exposure)), ("Equity Final [$]", String(format: "%.2f", result.equity.last ?? cash)),
            ("Return [%]", pct(m.totalReturn)), ("Buy & Hold Return [%]", pct(close.last! / close.first! - 1)),
            ("Return (Ann.) [%]", pct(m.annualReturn)), ("CAGR [%]", pct(m.cagr)), ("Volatility (Ann.) [%]", pct(m.annualVolatility)),
            ("Sharpe Ratio", num(m.sharpe)), ("Sortino Ratio", num(m.sortino)), ("Calmar Ratio", num(m.calmar)),
            ("Alpha [%]", pct(m.alpha)), ("Beta", num(m.beta)),
            ("Max. Drawdown [%]", pct(-m.maxDrawdown)), ("Avg. Drawdown [%]", pct(-m.averageDrawdown)),
            ("Max. Drawdown Duration", "\(m.maxDrawdownDuration) bars"), ("Avg. Drawdown Duration", "\(num(m.averageDrawdownDuration)) bars"),
            ("# Trades", "\(m.tradeCount)"), ("Win Rate [%]", pct(m.winRate)), ("Best Trade [%]", pct(m.bestTrade)),
            ("Worst Trade [%]", pct(m.worstTrade)), ("Avg. Trade [%]", pct(m.averageTrade)),
            ("Max. Trade Duration", "\(m.maxTradeDuration) bars"), ("Avg. Trade Duration", "\(num(m.averageTradeDuration)) bars"),
            ("Profit Factor", num(m.profitFactor)), convention == .vectorbt ? ("Expectancy [$]", String(format: "%.2f", m.expectancy)) : ("Expectancy [%]", pct(m.expectancy)), ("SQN", num(m.sqn)),
            ("VaR 95% (1 bar) [%]", pct(m.valueAtRisk95)), ("CVaR 95% (1 bar) [%]", pct(m.conditionalValueAtRisk95)),
            ("Skew", num(m.skew)), ("Kurtosis", num(m.kurtosis)),
        ]
        for (name, value) in rows { print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + value) }
    }
}

extension ExecutionSettings.Fill: ExpressibleByArgument {}
extension MetricsConvention: ExpressibleByArgument {}
