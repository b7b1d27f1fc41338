import Foundation

/// Which library's definitions the ratio metrics follow.
public enum MetricsConvention: String, Sendable, Codable, CaseIterable {
    /// Backtesting.py: geometric annualisation, Sharpe = annual return / annual volatility, trade
    /// statistics on trade returns.
    case backtestingPy = "backtesting.py"
    /// vectorbt: arithmetic Sharpe (mean / std · √D), trade statistics in money.
    case vectorbt
}

/// Every figure of a backtest, computed from its equity curve and trade records afterwards.
///
/// Notation: e = equity per bar, r_i = e_i / e_{i−1} − 1, D = bars per year, n = number of returns.
/// Undefined figures (a ratio with a zero denominator, trade statistics without trades) are NaN,
/// as both reference libraries report them.
public struct PerformanceMetrics: Sendable, Codable, Equatable {
    public var convention: MetricsConvention
    public var barsPerYear: Double
    /// e_end / e_start − 1.
    public var totalReturn: Double
    /// (e_end / e_start)^(1/years) − 1 with years = (t_end − t_start) / 365.25 days.
    public var cagr: Double
    /// Backtesting.py: (1 + g)^D − 1 with g = exp(mean(log(1 + r))) − 1.
    /// vectorbt: (1 + total return)^(D / n) − 1.
    public var annualReturn: Double
    /// Backtesting.py: √((var(r, ddof 1) + (1 + g)²)^D − (1 + g)^(2D)). vectorbt: std(r, ddof 1)·√D.
    public var annualVolatility: Double
    /// Backtesting.py: annual return / annual volatility. vectorbt: mean(r) / std(r, ddof 1)·√D.
    public var sharpe: Double
    /// Backtesting.py: annual return / (√mean(min(r, 0)²)·√D). vectorbt: mean(r) / √mean(min(r, 0)²)·√D.
    public var sortino: Double
    /// Annual return / maximum drawdown.
    public var calmar: Double
    /// max(1 − e / cummax(e)).
    public var maxDrawdown: Double
    /// Longest drawdown in bars, peak to recovery (or to the last bar).
    public var maxDrawdownDuration: Int
    /// Mean over drawdown spells of each spell's deepest drawdown.
    public var averageDrawdown: Double
    /// Mean spell length in bars.
    public var averageDrawdownDuration: Double
    /// Fraction of bars at whose close a position is held (bars entry ..< exit of every trade).
    public var exposure: Double
    public var tradeCount: Int
    /// Backtesting.py: share of trades with pnl > 0. vectorbt: the same over closed trades.
    public var winRate: Double
    /// Best, worst trade return; average trade: geometric mean of trade returns (Backtesting.py).
    public var bestTrade: Double
    public var worstTrade: Double
    public var averageTrade: Double
    public var maxTradeDuration: Int
    public var averageTradeDuration: Double
    /// Backtesting.py: Σ positive trade returns / |Σ negative trade returns|.
    /// vectorbt: Σ positive pnl / |Σ negative pnl| (money).
    public var profitFactor: Double
    /// Backtesting.py: mean trade return. vectorbt: mean trade pnl (money).
    public var expectancy: Double
    /// System quality number: √N · mean(pnl) / std(pnl, ddof 1).
    public var sqn: Double
    /// Historical value at risk of one bar's return at 95% / 99%, as a positive loss: −quantile(r, 5%).
    public var valueAtRisk95: Double
    public var valueAtRisk99: Double
    /// Mean loss beyond the VaR: −mean(r | r ≤ quantile(r, 5%)).
    public var conditionalValueAtRisk95: Double
    public var conditionalValueAtRisk99: Double
    /// Bias-corrected sample skewness and excess kurtosis of r (pandas `skew()`, `kurt()`).
    public var skew: Double
    public var kurtosis: Double
    /// Against a benchmark price series (Backtesting.py): β = cov(log returns)/var(benchmark log
    /// returns), α = total return − β·benchmark return. NaN without a benchmark.
    public var alpha: Double
    public var beta: Double

    /// Computes every figure. `timestamps` (ns) date the bars; `benchmark` holds prices per bar.
    public init(equity: [Double], timestamps: [Int64], trades: [TradeRecord], convention: MetricsConvention = .backtestingPy,
                annualization: Annualization = .inferred, benchmark: [Double]? = nil) {
        precondition(equity.count == timestamps.count && equity.count >= 1, "PerformanceMetrics: equity and timestamps must match and be non-empty")
        self.convention = convention
        let d = annualization.barsPerYear(timestamps: timestamps)
        barsPerYear = d
        let r = (1..<equity.count).map { equity[$0] / equity[$0 - 1] - 1 }
        let n = Double(r.count)
        totalReturn = equity.last! / equity.first! - 1
        let years = Double(timestamps.last! - timestamps.first!) / (365.25 * 86_400e9)
        cagr = years > 0 ? Foundation.pow(equity.last! / equity.first!, 1 / years) - 1 : .nan
        let meanR = Stats.mean(r), stdR = Stats.standardDeviation(r)
        let downside = (r.map { Swift.min($0, 0) * Swift.min($0, 0) }.reduce(0, +) / n).squareRoot()
        switch convention {
        case .backtestingPy:
            let g = Stats.geometricMean(r)
            annualReturn = Foundation.pow(1 + g, d) - 1
            let variance = stdR * stdR
            annualVolatility = (Foundation.pow(variance + (1 + g) * (1 + g), d) - Foundation.pow(1 + g, 2 * d)).squareRoot()
            sharpe = annualReturn / annualVolatility
            sortino = annualReturn / (downside * d.squareRoot())
        case .vectorbt:
            annualReturn = Foundation.pow(1 + totalReturn, d / n) - 1
            annualVolatility = stdR * d.squareRoot()
            sharpe = meanR / stdR * d.squareRoot()
            sortino = meanR / downside * d.squareRoot()
        }
        let drawdown = equity.withUnsafeBufferPointer { Drawdown(equity: $0) }
        maxDrawdown = drawdown.maximum
        maxDrawdownDuration = drawdown.longestDuration
        averageDrawdown = drawdown.spellDepths.isEmpty ? 0 : Stats.mean(drawdown.spellDepths)
        averageDrawdownDuration = drawdown.spellDurations.isEmpty ? 0 : Stats.mean(drawdown.spellDurations.map(Double.init))
        calmar = annualReturn / maxDrawdown

        var exposed = [Bool](repeating: false, count: equity.count)
        for t in trades { for bar in Swift.max(t.entryBar, 0)..<Swift.min(Swift.max(t.exitBar, t.entryBar), equity.count) { exposed[bar] = true } }
        exposure = Double(exposed.filter { $0 }.count) / Double(equity.count)

        tradeCount = trades.count
        let pnl = trades.map(\.pnl), returns = trades.map(\.returnFraction)
        let nan = Double.nan
        winRate = trades.isEmpty ? nan : Double(pnl.filter { $0 > 0 }.count) / Double(trades.count)
        bestTrade = returns.max() ?? nan
        worstTrade = returns.min() ?? nan
        averageTrade = trades.isEmpty ? nan : Stats.geometricMean(returns)
        maxTradeDuration = trades.map(\.durationBars).max() ?? 0
        averageTradeDuration = trades.isEmpty ? nan : Stats.mean(trades.map { Double($0.durationBars) })
        let basis = convention == .backtestingPy ? returns : pnl
        let gains = basis.filter { $0 > 0 }.reduce(0, +), losses = -basis.filter { $0 < 0 }.reduce(0, +)
        profitFactor = trades.isEmpty ? nan : gains / losses
        expectancy = trades.isEmpty ? nan : Stats.mean(basis)
        sqn = trades.count > 1 ? Double(trades.count).squareRoot() * Stats.mean(pnl) / Stats.standardDeviation(pnl) : nan

        let q95 = Stats.quantile(r, 0.05), q99 = Stats.quantile(r, 0.01)
        valueAtRisk95 = -q95
        valueAtRisk99 = -q99
        conditionalValueAtRisk95 = -Stats.mean(r.filter { $0 <= q95 })
        conditionalValueAtRisk99 = -Stats.mean(r.filter { $0 <= q99 })
        skew = Stats.skewness(r)
        kurtosis = Stats.excessKurtosis(r)

        if let benchmark, benchmark.count == equity.count, benchmark.count > 2 {
            let le = (1..<equity.count).map { Foundation.log(equity[$0] / equity[$0 - 1]) }
            let lm = (1..<benchmark.count).map { Foundation.log(benchmark[$0] / benchmark[$0 - 1]) }
            beta = Stats.covariance(le, lm) / Stats.covariance(lm, lm)
            alpha = totalReturn - beta * (benchmark.last! / benchmark.first! - 1)
        } else {
            alpha = nan
            beta = nan
        }
    }
}

/// Sample statistics with pandas' conventions.
enum Stats {
    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    /// Sample standard deviation (ddof 1).
    static func standardDeviation(_ x: [Double]) -> Double { covariance(x, x).squareRoot() }

    /// Sample covariance (ddof 1).
    static func covariance(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count > 1, x.count == y.count else { return .nan }
        let mx = mean(x), my = mean(y)
        return zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +) / Double(x.count - 1)
    }

    /// exp(mean(log(1 + x))) − 1; 0 when some 1 + x ≤ 0 (Backtesting.py's `geometric_mean`).
    static func geometricMean(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        guard x.allSatisfy({ $0 > -1 }) else { return 0 }
        return Foundation.exp(x.map { Foundation.log1p($0) }.reduce(0, +) / Double(x.count)) - 1
    }

    /// The q-quantile by linear interpolation (numpy's default).
    static func quantile(_ x: [Double], _ q: Double) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        let p = q * Double(s.count - 1)
        let lo = Int(p.rounded(.down)), hi = Swift.min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (p - Double(lo))
    }

    /// Adjusted Fisher–Pearson skewness, G1 = √(n(n−1))/(n−2) · m3 / m2^{3/2} (pandas `skew()`).
    static func skewness(_ x: [Double]) -> Double {
        let n = Double(x.count)
        guard n > 2 else { return .nan }
        let m = mean(x)
        let m2 = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / n
        let m3 = x.map { ($0 - m) * ($0 - m) * ($0 - m) }.reduce(0, +) / n
        guard m2 > 0 else { return 0 }
        return (n * (n - 1)).squareRoot() / (n - 2) * m3 / Foundation.pow(m2, 1.5)
    }

    /// Bias-corrected excess kurtosis, G2 = ((n+1)·g2 + 6)·(n−1)/((n−2)(n−3)), g2 = m4/m2² − 3
    /// (pandas `kurt()`).
    static func excessKurtosis(_ x: [Double]) -> Double {
        let n = Double(x.count)
        guard n > 3 else { return .nan }
        let m = mean(x)
        let m2 = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / n
        let m4 = x.map { Foundation.pow($0 - m, 4) }.reduce(0, +) / n
        guard m2 > 0 else { return 0 }
        let g2 = m4 / (m2 * m2) - 3
        return ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
    }
}
