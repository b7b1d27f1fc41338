import Foundation

/// TradeMaster's episode metrics (its `evaluate()`, the same in every environment), so results
/// compare with its papers and tables. With a = total assets after each step (a₀ the initial
/// value), r_t = a_{t+1}/a_t − 1 and d = the environment's daily-return memory:
/// - total return TR = a_T / (a₀ + 1e-10) − 1
/// - Sharpe SR = mean(r)·√D / (std(r) + 1e-10), population std, D = 252 (31,536,000 for HFT)
/// - volatility VOL = std(r), not annualised
/// - max drawdown MDD = max_t (peak_t − a_t) / peak_t
/// - Calmar CR = Σd / (MDD + 1e-10) and Sortino SoR = Σd / (std(d | d < 0) + 1e-10) / (√len(d) + 1e-10)
///   — in dollars where d is (algorithmic trading), as TradeMaster computes them.
public struct EpisodeMetrics: Sendable, Codable, Equatable {
    public var totalReturn: Double
    public var sharpe: Double
    public var volatility: Double
    public var maxDrawdown: Double
    public var calmar: Double
    public var sortino: Double

    public init(assets: [Double], dailyReturns: [Double], periodsPerYear: Double = 252) {
        precondition(!assets.isEmpty, "EpisodeMetrics: no assets")
        totalReturn = assets[assets.count - 1] / (assets[0] + 1e-10) - 1
        let r = (0..<(assets.count - 1)).map { assets[$0 + 1] / assets[$0] - 1 }
        let std = Self.populationStd(r)
        sharpe = Self.mean(r) * periodsPerYear.squareRoot() / (std + 1e-10)
        volatility = std
        var peak = -Double.infinity, mdd = 0.0
        for a in assets {
            peak = max(peak, a)
            mdd = max(mdd, (peak - a) / peak)
        }
        maxDrawdown = mdd
        let total = dailyReturns.reduce(0, +)
        calmar = total / (mdd + 1e-10)
        let losses = dailyReturns.filter { $0 < 0 }
        sortino = total / (Self.populationStd(losses) + 1e-10) / (Double(dailyReturns.count).squareRoot() + 1e-10)
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    /// numpy's `std` (ddof 0), NaN for an empty array as numpy gives (a Sortino ratio without a
    /// losing day is NaN in TradeMaster too).
    static func populationStd(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)).squareRoot()
    }
}
