import Foundation
import Ingest

/// The stats table of `qf backtest` and of the HTML report, laid out as Backtesting.py prints its
/// `Stats`: percentages as percent, durations as "D days HH:MM:SS", undefined figures as NaN.
public enum StatsTable {
    public static func rows(_ m: PerformanceMetrics, label: String, openTrade: TradeRecord?) -> [(String, String)] {
        func pct(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.5f", v * 100) }
        func num(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.5f", v) }
        func money(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.2f", v) }
        var rows: [(String, String)] = [
            ("Start", m.perBar ? "bar \(m.startTime)" : TimestampParser.format(m.startTime)),
            ("End", m.perBar ? "bar \(m.endTime)" : TimestampParser.format(m.endTime)),
            ("Duration", m.perBar ? "\(m.endTime - m.startTime + 1) bars" : duration(Double(m.endTime - m.startTime) / 1e9)), ("Strategy", label),
            ("Exposure Time [%]", pct(m.exposure)), ("Equity Final [$]", money(m.equityFinal)), ("Equity Peak [$]", money(m.equityPeak)),
            ("Commissions [$]", money(m.commissions)), ("Return [%]", pct(m.totalReturn)), ("Buy & Hold Return [%]", pct(m.buyAndHoldReturn)),
            ("Return (Ann.) [%]", pct(m.annualReturn)), ("Volatility (Ann.) [%]", pct(m.annualVolatility)), ("CAGR [%]", pct(m.cagr)),
            ("Sharpe Ratio", num(m.sharpe)), ("Sortino Ratio", num(m.sortino)), ("Calmar Ratio", num(m.calmar)),
            ("Alpha [%]", pct(m.alpha)), ("Beta", num(m.beta)),
            ("Max. Drawdown [%]", pct(-m.maxDrawdown)), ("Avg. Drawdown [%]", pct(-m.averageDrawdown)),
            ("Max. Drawdown Duration", duration(m.maxDrawdownDurationSeconds)), ("Avg. Drawdown Duration", duration(m.averageDrawdownDurationSeconds)),
            ("# Trades", "\(m.tradeCount)"), ("Win Rate [%]", pct(m.winRate)), ("Best Trade [%]", pct(m.bestTrade)),
            ("Worst Trade [%]", pct(m.worstTrade)), ("Avg. Trade [%]", pct(m.averageTrade)),
            ("Max. Trade Duration", duration(m.maxTradeDurationSeconds)), ("Avg. Trade Duration", duration(m.averageTradeDurationSeconds)),
            ("Profit Factor", num(m.profitFactor)),
            m.convention == .vectorbt ? ("Expectancy [$]", money(m.expectancy)) : ("Expectancy [%]", pct(m.expectancy)),
            ("SQN", num(m.sqn)), ("Kelly Criterion", num(m.kellyCriterion)),
            ("VaR 95% (1 day) [%]", pct(m.valueAtRisk95)), ("CVaR 95% (1 day) [%]", pct(m.conditionalValueAtRisk95)),
            ("VaR 99% (1 day) [%]", pct(m.valueAtRisk99)), ("CVaR 99% (1 day) [%]", pct(m.conditionalValueAtRisk99)),
            ("Skew", num(m.skew)), ("Kurtosis", num(m.kurtosis)),
            ("Convention", "\(m.convention.rawValue), \(SweepCSVWriter.format(m.barsPerYear)) returns a year"
                + (m.perBar ? " (no time axis: returns per bar)" : "")),
        ]
        if let openTrade { rows.append(("Open Trade", "\(SweepCSVWriter.format(openTrade.units)) units since bar \(openTrade.entryBar) (in equity, not in trade figures)")) }
        return rows
    }

    /// Seconds as pandas prints a Timedelta: "45 days 00:00:00".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "NaN" }
        let s = Int(seconds.rounded())
        return String(format: "%d days %02d:%02d:%02d", s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60)
    }
}
