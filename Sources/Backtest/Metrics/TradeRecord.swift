/// One closed (or, at the end, still open) trade, as the engine records it; every trade statistic
/// is computed from these records afterwards.
public struct TradeRecord: Sendable, Equatable, Codable {
    /// Bar index of the entry fill and of the exit fill.
    public var entryBar: Int
    public var exitBar: Int
    /// Fill times, ns since the epoch.
    public var entryTime: Int64
    public var exitTime: Int64
    public var entryPrice: Double
    public var exitPrice: Double
    /// Signed size: positive long, negative short.
    public var units: Double
    /// Commissions and fees paid on entry and exit together.
    public var commission: Double

    public init(entryBar: Int, exitBar: Int, entryTime: Int64, exitTime: Int64, entryPrice: Double, exitPrice: Double, units: Double, commission: Double) {
        self.entryBar = entryBar
        self.exitBar = exitBar
        self.entryTime = entryTime
        self.exitTime = exitTime
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.units = units
        self.commission = commission
    }

    /// Profit in money: units·(exit − entry) − commission.
    public var pnl: Double { units * (exitPrice - entryPrice) - commission }

    /// Return on the capital committed, after commission: sign·(exit/entry − 1) − commission/|units·entry|,
    /// which is pnl / |units·entry| written as Backtesting.py's `Trade.pl_pct` computes it.
    public var returnFraction: Double {
        (units < 0 ? -1 : 1) * (exitPrice / entryPrice - 1) - commission / (abs(units) * entryPrice)
    }

    /// Holding time in nanoseconds.
    public var durationNanoseconds: Int64 { exitTime - entryTime }

    /// Holding time in bars.
    public var durationBars: Int { exitBar - entryBar }
}
