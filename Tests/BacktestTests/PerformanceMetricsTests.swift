import Foundation
@testable import Backtest
import Testing

/// Metrics against values worked by hand on a four-bar curve and two trades, and against pandas.
@Suite struct PerformanceMetricsTests {
    // Equity 100 → 110 → 99 → 121: returns 0.1, −0.1, 2/9; total return 0.21; one drawdown of 10%
    // from bar 1 to the recovery at bar 3.
    let equity: [Double] = [100, 110, 99, 121]
    let days: [Int64] = (0..<4).map { Int64($0) * 86_400_000_000_000 }
    // Long 10 @ 100 → 110, commission 2: pnl 98, return 0.098.
    // Short 5 @ 50 → 55, commission 1: pnl −26, return −0.104.
    let trades = [TradeRecord(entryBar: 0, exitBar: 2, entryTime: 0, exitTime: 2, entryPrice: 100, exitPrice: 110, units: 10, commission: 2),
                  TradeRecord(entryBar: 2, exitBar: 3, entryTime: 2, exitTime: 3, entryPrice: 50, exitPrice: 55, units: -5, commission: 1)]

    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

    @Test func backtestingPyConventionByHand() {
        let m = PerformanceMetrics(equity: equity, timestamps: days, trades: trades, convention: .backtestingPy, annualization: .barsPerYear(4))
        #expect(close(m.totalReturn, 0.21))
        // g = (1.1 · 0.9 · 11/9)^(1/3) − 1 = 1.21^(1/3) − 1, so (1 + g)^4 − 1 = 1.21^(4/3) − 1.
        #expect(close(m.annualReturn, pow(1.21, 4.0 / 3) - 1))
        let g = pow(1.21, 1.0 / 3) - 1
        let r = [0.1, -0.1, 2.0 / 9], mean = (0.1 - 0.1 + 2.0 / 9) / 3
        let variance = r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2
        #expect(close(m.annualVolatility, (pow(variance + (1 + g) * (1 + g), 4) - pow(1 + g, 8)).squareRoot()))
        #expect(close(m.sharpe, m.annualReturn / m.annualVolatility))
        // Downside deviation √(0.01 / 3), times √4.
        #expect(close(m.sortino, m.annualReturn / ((0.01 / 3).squareRoot() * 2)))
        #expect(close(m.maxDrawdown, 0.1) && m.maxDrawdownDuration == 2)
        #expect(close(m.averageDrawdown, 0.1) && m.averageDrawdownDuration == 2)
        #expect(close(m.calmar, m.annualReturn / 0.1))
        #expect(close(m.cagr, pow(1.21, 365.25 / 3) - 1, 1e-9))
        #expect(m.exposure == 1)   // bars 0…2 (first trade, exit bar included) and 2…3 (second)
        #expect(m.tradeCount == 2 && m.winRate == 0.5)
        #expect(close(m.bestTrade, 0.098) && close(m.worstTrade, -0.104))
        #expect(close(m.averageTrade, (1.098 * 0.896).squareRoot() - 1))
        #expect(close(m.profitFactor, 0.098 / 0.104) && close(m.expectancy, -0.003))
        // SQN = √2 · mean(98, −26) / std(98, −26) = √2 · 36 / (124 / √2) = 72 / 124.
        #expect(close(m.sqn, 72.0 / 124))
        #expect(m.maxTradeDuration == 2 && m.averageTradeDuration == 1.5)
        // Sorted returns −0.1, 0.1, 2/9: the 5% quantile is −0.1 + 0.2 · 0.1 = −0.08.
        #expect(close(m.valueAtRisk95, 0.08) && close(m.conditionalValueAtRisk95, 0.1))
    }

    @Test func vectorbtConventionByHand() {
        // vectorbt's first return is against the initial cash (90 here), then bar to bar.
        let m = PerformanceMetrics(equity: equity, timestamps: days, trades: trades, convention: .vectorbt, annualization: .barsPerYear(4), initialCash: 90)
        let r = [10.0 / 90, 0.1, -0.1, 2.0 / 9], mean = r.reduce(0, +) / 4
        let std = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(close(m.totalReturn, 121.0 / 90 - 1))
        #expect(close(m.sharpe, mean / std * 2))
        #expect(close(m.annualReturn, pow(121.0 / 90, 4.0 / 4) - 1))   // (e_end / C)^(D / n) with n = 4
        #expect(close(m.annualVolatility, std * 2))
        #expect(close(m.sortino, mean * 4 / ((0.01 / 4).squareRoot() * 2)))
        #expect(close(m.omega, (10.0 / 90 + 0.1 + 2.0 / 9) / 0.1))
        // Spell from bar 1 (peak 110) to the recovery at bar 3: vectorbt counts bars 2…2 = 1.
        // Positions held at the closes of bars 0, 1 (first trade) and 2 (second): 3 of 4.
        #expect(m.maxDrawdownDuration == 1 && m.exposure == 0.75)
        #expect(close(m.profitFactor, 98.0 / 26) && close(m.expectancy, 36))
        #expect(m.winRate == 0.5)
    }

    @Test func alphaAndBetaAgainstABenchmark() {
        // A benchmark with the same log returns has β = 1 and α = 0; squaring prices doubles the
        // log returns, so β = 1/2 and α = 0.21 − ½ · (1.21² − 1).
        let same = PerformanceMetrics(equity: equity, timestamps: days, trades: [], benchmark: equity.map { $0 / 10 })
        #expect(close(same.beta, 1) && close(same.alpha, 0, 1e-12))
        let doubled = PerformanceMetrics(equity: equity, timestamps: days, trades: [], benchmark: equity.map { $0 * $0 / 100 })
        #expect(close(doubled.beta, 0.5) && close(doubled.alpha, 0.21 - 0.5 * (1.21 * 1.21 - 1)))
        #expect(PerformanceMetrics(equity: equity, timestamps: days, trades: []).beta.isNaN)
    }

    @Test func skewAndKurtosisMatchPandas() {
        // pandas 3.1.1: Series(x).skew() and Series(x).kurt().
        let x = [0.013, -0.02, 0.005, 0.031, -0.007, 0.0, 0.012, -0.041, 0.022, 0.004]
        #expect(close(Stats.skewness(x), -0.8486725991093237, 1e-12))
        #expect(close(Stats.excessKurtosis(x), 0.944490246140186, 1e-12))
    }

    @Test func noTradesAndConstantPrices() {
        let flat = PerformanceMetrics(equity: [100, 100, 100, 100], timestamps: days, trades: [])
        #expect(flat.totalReturn == 0 && flat.maxDrawdown == 0 && flat.tradeCount == 0 && flat.exposure == 0)
        #expect(flat.winRate.isNaN && flat.profitFactor.isNaN && flat.sqn.isNaN && flat.sharpe.isNaN)
        #expect(flat.annualReturn == 0 && flat.skew == 0)
    }

    @Test func annualizationIsInferredFromSpacing() {
        let day: Int64 = 86_400_000_000_000
        let monday: Int64 = 4 * day   // 1970-01-05
        let weekdays: [Int64] = (0..<20).map { (k: Int) -> Int64 in
            let offset = Int64(k / 5 * 7 + k % 5)
            return monday + offset * day
        }
        let everyDay = (0..<20).map { Int64($0) * day }, hourly = (0..<200).map { Int64($0) * 3_600_000_000_000 }
        // Backtesting.py: returns per day; 252 without weekend bars, 365 with.
        #expect(Annualization.inferred.periodsPerYear(timestamps: weekdays, convention: .backtestingPy) == 252)
        #expect(Annualization.inferred.periodsPerYear(timestamps: everyDay, convention: .backtestingPy) == 365)
        #expect(Annualization.inferred.periodsPerYear(timestamps: hourly, convention: .backtestingPy) == 365)
        #expect(Annualization.inferred.periodsPerYear(timestamps: (0..<20).map { Int64($0) * 7 * day }, convention: .backtestingPy) == 52)
        // vectorbt: bars of a 365-day year at the median spacing.
        #expect(Annualization.inferred.periodsPerYear(timestamps: weekdays, convention: .vectorbt) == 365)
        #expect(Annualization.inferred.periodsPerYear(timestamps: hourly, convention: .vectorbt) == 365 * 24)
        #expect(Annualization.tradingDays.periodsPerYear(timestamps: hourly, convention: .vectorbt) == 252 * 24)
        #expect(Annualization.barsPerYear(12).periodsPerYear(timestamps: hourly, convention: .vectorbt) == 12)
    }

    @Test func intradayEquityIsResampledToDaysForBacktestingPy() {
        // Six hourly bars over two days: the daily returns are last(day 2) / last(day 1) − 1 only.
        let hour: Int64 = 3_600_000_000_000
        let times = [20, 21, 22, 23, 24, 25].map { Int64($0) * hour }
        let equity: [Double] = [100, 101, 99, 102, 98, 110]
        #expect(ReturnSeries.periodReturns(equity: equity, timestamps: times, period: .day) == [110.0 / 102 - 1])
        // Calendar helpers: 2024-02-29 is day 19,782 and a Thursday.
        #expect(ReturnSeries.civilDate(day: 19_782) == (2024, 2, 29))
        #expect(ReturnSeries.periodKey(19_782 * 86_400_000_000_000, .week) == ReturnSeries.periodKey(19_785 * 86_400_000_000_000, .week))
        #expect(ReturnSeries.periodKey(19_782 * 86_400_000_000_000, .week) != ReturnSeries.periodKey(19_786 * 86_400_000_000_000, .week))
    }

    /// A series without a time axis (row numbers, as a CSV without a date column is ingested) is
    /// measured per bar: the same figures as the series on consecutive calendar days with one
    /// return a year — computed there through the day-resampling path — on DJI's real closes
    /// (../shared), under both conventions; an explicit annualization counts bars as days.
    @Test func rowNumberSeriesAreMeasuredPerBar() throws {
        let shared = PeerAgreementTests.shared
        let lines = try String(contentsOfFile: "\(shared)/data/trademaster/portfolio_management/dj30/DJI.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let closes = lines.compactMap { Double($0.split(separator: ",")[6]) }
        try #require(closes.count > 1000)
        let equity = closes.map { 10_000 * $0 / closes[0] }
        let rows = (0..<equity.count).map(Int64.init)
        let calendarDays = (0..<equity.count).map { 946_857_600_000_000_000 + Int64($0) * 86_400_000_000_000 }   // from 2000-01-03
        #expect(ReturnSeries.isRowNumberAxis(rows) && !ReturnSeries.isRowNumberAxis(calendarDays))
        for convention in [MetricsConvention.backtestingPy, .vectorbt] {
            for (chosen, equivalent) in [(Annualization.inferred, Annualization.barsPerYear(1)), (.tradingDays, .barsPerYear(252)), (.calendarDays, .barsPerYear(365))] {
                let perBar = PerformanceMetrics(equity: equity, timestamps: rows, trades: [], convention: convention, annualization: chosen)
                let daily = PerformanceMetrics(equity: equity, timestamps: calendarDays, trades: [], convention: convention, annualization: equivalent)
                let label = "\(convention) \(chosen)"
                #expect(perBar.barsPerYear == daily.barsPerYear, "\(label)")
                for (name, ours, theirs) in [("annual return", perBar.annualReturn, daily.annualReturn), ("volatility", perBar.annualVolatility, daily.annualVolatility),
                                             ("sharpe", perBar.sharpe, daily.sharpe), ("sortino", perBar.sortino, daily.sortino),
                                             ("VaR 95", perBar.valueAtRisk95, daily.valueAtRisk95), ("skew", perBar.skew, daily.skew),
                                             ("max drawdown", perBar.maxDrawdown, daily.maxDrawdown)] {
                    #expect(ours.isFinite && close(ours, theirs, 1e-9), "\(label) \(name): \(ours) vs \(theirs)")
                }
                let growth = Foundation.pow(equity.last! / equity[0], perBar.barsPerYear / Double(equity.count - 1)) - 1
                #expect(close(perBar.cagr, growth, 1e-12), "\(label) cagr")
                #expect(perBar.maxDrawdownDurationSeconds.isNaN && perBar.maxDrawdownDuration > 0, "durations in bars only")
            }
        }
    }
}
