import Foundation

/// Which library's definitions the metrics follow.
public enum MetricsConvention: String, Sendable, Codable, CaseIterable {
    /// Backtesting.py: returns of equity resampled to days, geometric annualisation,
    /// Sharpe = annual return / annual volatility, trade statistics on trade returns.
    case backtestingPy = "backtesting.py"
    /// vectorbt: per-bar returns (the first against the initial cash), arithmetic Sharpe
    /// (mean / std · √D), trade statistics in money.
    case vectorbt
}

/// Every figure of a backtest, computed from its equity curve and trade records afterwards.
///
/// Notation: e = equity per bar, C = initial cash, r = the convention's return series
/// (`ReturnSeries`), D = returns per year (`Annualization`), n = number of returns, trades = the
/// closed trades (an open trade at the end counts in equity and `openTradeCount` only). Undefined
/// figures (a ratio with a zero denominator, trade statistics without trades) are NaN.
public struct PerformanceMetrics: Sendable, Codable, Equatable {
    public var convention: MetricsConvention
    /// D: returns per year used to annualise.
    public var barsPerYear: Double
    /// The series had no time axis (row numbers): returns are bar to bar, D is 1 unless an
    /// annualization was chosen, and durations exist in bars only (the seconds are NaN).
    public var perBar: Bool
    public var startTime: Int64
    public var endTime: Int64
    public var equityFinal: Double
    public var equityPeak: Double
    /// Commissions and fees of the closed trades.
    public var commissions: Double
    /// Backtesting.py: (e_end − e_0) / e_0. vectorbt: (e_end − C) / C.
    public var totalReturn: Double
    /// (c_end − c_s) / c_s of the close, from s = the strategy's warm-up bar (Backtesting.py) or 0.
    public var buyAndHoldReturn: Double
    /// (e_end / e_0)^(1/years) − 1 with years = (t_end − t_start) / 365.25 days; without a time
    /// axis (row numbers), (e_end / e_0)^(D/(n − 1)) − 1, growth per bar when D is 1.
    public var cagr: Double
    /// Backtesting.py: (1 + g)^D − 1 with g = exp(mean(log(1 + r))) − 1 (0 if some 1 + r ≤ 0).
    /// vectorbt: (e_end / C)^(D / n) − 1.
    public var annualReturn: Double
    /// Backtesting.py: √((var(r, ddof 1) + (1 + g)²)^D − (1 + g)^(2D)). vectorbt: std(r, ddof 1)·√D.
    public var annualVolatility: Double
    /// Backtesting.py: annual return / annual volatility. vectorbt: mean(r) / std(r, ddof 1)·√D.
    public var sharpe: Double
    /// Backtesting.py: annual return / (√mean(min(r, 0)²)·√D). vectorbt: mean(r)·D / (√mean(min(r, 0)²)·√D).
    public var sortino: Double
    /// Annual return / maximum drawdown.
    public var calmar: Double
    /// Σ max(r, 0) / Σ max(−r, 0) (vectorbt's Omega at threshold 0).
    public var omega: Double
    /// max(1 − e / cummax(e)).
    public var maxDrawdown: Double
    /// Longest drawdown spell (`Drawdown`), in bars and in seconds (Backtesting.py rounds the time
    /// up to the resolution of the bar spacing).
    public var maxDrawdownDuration: Int
    public var maxDrawdownDurationSeconds: Double
    /// Mean over spells of each spell's deepest drawdown (NaN without a spell), and the mean spell
    /// length.
    public var averageDrawdown: Double
    public var averageDrawdownDuration: Double
    public var averageDrawdownDurationSeconds: Double
    /// Backtesting.py: share of bars from the entry to the exit bar (inclusive) of a closed trade.
    /// vectorbt: share of bars at whose close a position is held, the open trade included.
    public var exposure: Double
    public var tradeCount: Int
    public var openTradeCount: Int
    /// Share of closed trades with pnl > 0.
    public var winRate: Double
    /// Best, worst trade return (pnl / |units · entry price|).
    public var bestTrade: Double
    public var worstTrade: Double
    /// Backtesting.py: geometric mean of trade returns. vectorbt: arithmetic mean.
    public var averageTrade: Double
    public var maxTradeDuration: Int
    public var averageTradeDuration: Double
    public var maxTradeDurationSeconds: Double
    public var averageTradeDurationSeconds: Double
    /// Backtesting.py: Σ positive trade returns / |Σ negative trade returns|.
    /// vectorbt: Σ positive pnl / |Σ negative pnl| (money).
    public var profitFactor: Double
    /// Backtesting.py: mean trade return. vectorbt: mean trade pnl (money).
    public var expectancy: Double
    /// System quality number: √N · mean(pnl) / std(pnl, ddof 1).
    public var sqn: Double
    /// Kelly criterion: W − (1 − W) / (mean winning pnl / |mean losing pnl|), W the win rate.
    public var kellyCriterion: Double
    /// Historical value at risk of one day's return at 95% / 99%, as a positive loss:
    /// −quantile(r_day, 5%) with numpy's linear interpolation; r_day are the daily returns
    /// (equity resampled to days as Backtesting.py does).
    public var valueAtRisk95: Double
    public var valueAtRisk99: Double
    /// Mean loss beyond the VaR: −mean(r_day | r_day ≤ quantile(r_day, 5%)).
    public var conditionalValueAtRisk95: Double
    public var conditionalValueAtRisk99: Double
    /// Bias-corrected sample skewness and excess kurtosis of r_day (pandas `skew()`, `kurt()`).
    public var skew: Double
    public var kurtosis: Double
    /// Against a benchmark price series (Backtesting.py): β = cov(log returns of e, of the
    /// benchmark) / var(benchmark log returns), α = total return − β·benchmark return. NaN without
    /// a benchmark.
    public var alpha: Double
    public var beta: Double

    /// Computes every figure.
    /// - Parameters:
    ///   - timestamps: the bars' times (ns since the epoch, UTC).
    ///   - trades: the closed trades; `openTrade` is the position still open at the end, if any.
    ///   - benchmark: prices per bar for alpha, beta and the buy & hold return (usually the close).
    ///   - benchmarkStart: the first bar of the buy & hold return (the strategy's warm-up).
    ///   - initialCash: C (vectorbt's base for the first return and the total return); e_0 if nil.
    public init(equity: [Double], timestamps: [Int64], trades: [TradeRecord], convention: MetricsConvention = .backtestingPy,
                annualization: Annualization = .inferred, benchmark: [Double]? = nil, benchmarkStart: Int = 0,
                initialCash: Double? = nil, openTrade: TradeRecord? = nil) {
        precondition(equity.count == timestamps.count && equity.count >= 1, "PerformanceMetrics: equity and timestamps must match and be non-empty")
        let nan = Double.nan
        self.convention = convention
        let n = equity.count
        let first = equity[0], last = equity[n - 1]
        let cash = initialCash ?? first
        startTime = timestamps[0]
        endTime = timestamps[n - 1]
        equityFinal = last
        equityPeak = equity.max() ?? nan
        commissions = trades.reduce(0) { $0 + $1.commission }
        // A file without a time axis (row numbers): no calendar to resample to, so Backtesting.py's
        // day returns become bar-to-bar returns, growth is compounded per bar (`barsPerYear` is
        // 1 unless an annualization was chosen), and durations exist in bars only.
        let rowNumbers = ReturnSeries.isRowNumberAxis(timestamps)
        perBar = rowNumbers
        let period = ReturnSeries.resamplingPeriod(timestamps)
        let dayReturns = rowNumbers ? ReturnSeries.consecutiveReturns(equity)
            : ReturnSeries.periodReturns(equity: equity, timestamps: timestamps, period: period)
        // Returns per year, once: it scans the timestamps (for the row-number test among others).
        let d = annualization.periodsPerYear(timestamps: timestamps, convention: convention)
        if rowNumbers {
            cagr = n > 1 ? Foundation.pow(last / first, d / Double(n - 1)) - 1 : nan
        } else {
            cagr = ReturnSeries.cagr(first: first, last: last, start: startTime, end: endTime)
        }

        let drawdown = equity.withUnsafeBufferPointer { Drawdown(equity: $0, countsTrailingBar: convention == .vectorbt) }
        maxDrawdown = drawdown.maximum
        let resolution = Self.timeResolution(ReturnSeries.dataPeriod(timestamps))
        // Backtesting.py measures a spell in time between its two ends; vectorbt counts bars from
        // the first one underwater and multiplies by the bar spacing.
        let spellBars = drawdown.spells.map { convention == .vectorbt ? $0.vectorbtBars : $0.bars }
        let spacing = Double(ReturnSeries.medianSpacing(timestamps))
        let spellSeconds = convention == .vectorbt ? spellBars.map { Double($0) * spacing } : drawdown.spells.map { Double(timestamps[$0.end] - timestamps[$0.start]) }
        maxDrawdownDuration = spellBars.max() ?? 0
        maxDrawdownDurationSeconds = Self.roundedUp(spellSeconds.max() ?? nan, resolution)
        averageDrawdown = drawdown.spells.isEmpty ? nan : Stats.mean(drawdown.spellDepths)
        averageDrawdownDuration = drawdown.spells.isEmpty ? nan : Stats.mean(spellBars.map(Double.init))
        averageDrawdownDurationSeconds = Self.roundedUp(Stats.mean(spellSeconds), resolution)

        let r: [Double]
        switch convention {
        case .backtestingPy:
            totalReturn = (last - first) / first
            barsPerYear = d
            r = dayReturns
            let g = Stats.geometricMean(r)
            annualReturn = Foundation.pow(1 + g, d) - 1
            let variance = Stats.variance(r)
            annualVolatility = (Foundation.pow(variance + (1 + g) * (1 + g), d) - Foundation.pow(1 + g, 2 * d)).squareRoot()
            sharpe = annualVolatility == 0 ? nan : (annualReturn * 100) / (annualVolatility * 100)
            sortino = annualReturn / (Stats.downsideDeviation(r) * d.squareRoot())
            calmar = maxDrawdown == 0 ? nan : annualReturn / maxDrawdown
        case .vectorbt:
            totalReturn = (last - cash) / cash
            barsPerYear = d
            r = ReturnSeries.barReturns(equity: equity, initialValue: cash)
            let meanR = Stats.mean(r), stdR = Stats.standardDeviation(r)
            annualReturn = Foundation.pow(last / cash, d / Double(r.count)) - 1
            annualVolatility = stdR * d.squareRoot()
            sharpe = stdR == 0 || r.count < 2 ? nan : meanR / stdR * d.squareRoot()
            sortino = r.count < 2 ? nan : meanR * d / (Stats.downsideDeviation(r) * d.squareRoot())
            calmar = maxDrawdown == 0 ? nan : annualReturn / maxDrawdown
        }
        let gains = r.filter { $0 > 0 }.reduce(0, +), losses = -r.filter { $0 < 0 }.reduce(0, +)
        omega = losses == 0 ? nan : gains / losses

        // Bars covered by the trades' spans (trades follow each other, so only shared end bars
        // can overlap): entry…exit inclusive (Backtesting.py), or entry..<exit plus the open
        // trade to the end (vectorbt: positions held at a close).
        var exposedBars = 0, covered = -1
        func cover(_ from: Int, _ to: Int) {
            let start = Swift.max(from, covered + 1, 0), end = Swift.min(to, n - 1)
            if end >= start { exposedBars += end - start + 1; covered = end }
        }
        switch convention {
        case .backtestingPy:
            for t in trades { cover(t.entryBar, t.exitBar) }
        case .vectorbt:
            for t in trades { cover(t.entryBar, t.exitBar - 1) }
            if let openTrade { cover(openTrade.entryBar, n - 1) }
        }
        exposure = Double(exposedBars) / Double(n)

        tradeCount = trades.count
        openTradeCount = openTrade == nil ? 0 : 1
        let pnl = trades.map(\.pnl), returns = trades.map(\.returnFraction)
        winRate = trades.isEmpty ? nan : Double(pnl.filter { $0 > 0 }.count) / Double(trades.count)
        bestTrade = returns.max() ?? nan
        worstTrade = returns.min() ?? nan
        averageTrade = trades.isEmpty ? nan : (convention == .backtestingPy ? Stats.geometricMean(returns) : Stats.mean(returns))
        maxTradeDuration = trades.map(\.durationBars).max() ?? 0
        averageTradeDuration = trades.isEmpty ? nan : Stats.mean(trades.map { Double($0.durationBars) })
        let tradeSeconds = trades.map { Double($0.durationNanoseconds) }
        maxTradeDurationSeconds = Self.roundedUp(tradeSeconds.max() ?? nan, resolution)
        averageTradeDurationSeconds = Self.roundedUp(Stats.mean(tradeSeconds), resolution)
        let basis = convention == .backtestingPy ? returns : pnl
        let won = basis.filter { $0 > 0 }.reduce(0, +), lost = -basis.filter { $0 < 0 }.reduce(0, +)
        profitFactor = trades.isEmpty || lost == 0 ? nan : won / lost
        expectancy = trades.isEmpty ? nan : Stats.mean(basis)
        let pnlStd = Stats.standardDeviation(pnl)
        sqn = trades.count > 1 && pnlStd > 0 ? Double(trades.count).squareRoot() * Stats.mean(pnl) / pnlStd : nan
        let wins = pnl.filter { $0 > 0 }, lossesPnl = pnl.filter { $0 < 0 }
        kellyCriterion = trades.isEmpty ? nan : winRate - (1 - winRate) / (Stats.mean(wins) / -Stats.mean(lossesPnl))

        let daily = period == .day || rowNumbers ? dayReturns : ReturnSeries.periodReturns(equity: equity, timestamps: timestamps, period: .day)
        if rowNumbers {
            maxDrawdownDurationSeconds = nan
            averageDrawdownDurationSeconds = nan
            maxTradeDurationSeconds = nan
            averageTradeDurationSeconds = nan
        }
        let q95 = Stats.quantile(daily, 0.05), q99 = Stats.quantile(daily, 0.01)
        valueAtRisk95 = -q95
        valueAtRisk99 = -q99
        conditionalValueAtRisk95 = -Stats.mean(daily.filter { $0 <= q95 })
        conditionalValueAtRisk99 = -Stats.mean(daily.filter { $0 <= q99 })
        skew = Stats.skewness(daily)
        kurtosis = Stats.excessKurtosis(daily)

        if let benchmark, benchmark.count == n {
            let start = Swift.min(Swift.max(benchmarkStart, 0), n - 1)
            buyAndHoldReturn = (benchmark[n - 1] - benchmark[start]) / benchmark[start]
        } else {
            buyAndHoldReturn = nan
        }
        if let benchmark, benchmark.count == n, n > 2 {
            let (le, lm) = Self.logReturns(equity, benchmark)
            beta = Stats.covariance(le, lm) / Stats.covariance(lm, lm)
            alpha = totalReturn - beta * buyAndHoldReturn
        } else {
            alpha = nan
            beta = nan
        }
    }

    /// Per-bar log returns of equity and of the benchmark; a bar whose equity did not change
    /// (flat) skips the logarithm.
    static func logReturns(_ equity: [Double], _ benchmark: [Double]) -> ([Double], [Double]) {
        let m = equity.count - 1
        let le = [Double](unsafeUninitializedCapacity: m) { buffer, count in
            for i in 0..<m { buffer[i] = equity[i + 1] == equity[i] && equity[i] > 0 ? 0 : Foundation.log(equity[i + 1] / equity[i]) }
            count = m
        }
        let lm = [Double](unsafeUninitializedCapacity: m) { buffer, count in
            for i in 0..<m { buffer[i] = Foundation.log(benchmark[i + 1] / benchmark[i]) }
            count = m
        }
        return (le, lm)
    }

    /// The smallest unit (ns) in which a bar spacing is whole: day, hour, minute, second, ms, µs,
    /// ns (pandas' `Timedelta.resolution_string`), to which Backtesting.py rounds durations up.
    static func timeResolution(_ spacing: Int64) -> Int64 {
        for unit: Int64 in [86_400_000_000_000, 3_600_000_000_000, 60_000_000_000, 1_000_000_000, 1_000_000, 1_000] where spacing % unit == 0 {
            return unit
        }
        return 1
    }

    /// Nanoseconds rounded up to a multiple of `unit`, in seconds.
    static func roundedUp(_ nanoseconds: Double, _ unit: Int64) -> Double {
        guard nanoseconds.isFinite else { return .nan }
        return (nanoseconds / Double(unit)).rounded(.up) * Double(unit) / 1e9
    }
}
