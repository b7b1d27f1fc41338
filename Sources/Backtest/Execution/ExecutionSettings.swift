/// How orders fill and what they cost.
public struct ExecutionSettings: Sendable, Codable, Equatable {
    /// When a signal computed on bar i's close fills.
    public enum Fill: String, Sendable, Codable, CaseIterable {
        /// At bar i+1's open (Backtesting.py's default); whole units by default.
        case nextOpen = "next_open"
        /// At bar i's close (vectorbt's default); fractional units by default.
        case close
    }

    /// The smallest tradable quantity.
    public enum Lot: Sendable, Codable, Equatable {
        case fractional
        case whole
        case size(Double)
    }

    /// Equity at or below this fraction of the initial cash wipes the account out: the position is
    /// closed at that bar's close, cash is set to zero and nothing trades again (Backtesting.py
    /// stops at equity ≤ 0). The margin above zero also keeps an account that compounds fees
    /// towards zero out of subnormal numbers, where every operation costs ~100× more.
    public static let wipeOutFraction = 1e-12

    public var fill: Fill
    /// Commission as a fraction of traded value, charged on entry and on exit.
    public var commission: Double
    /// A fixed fee per order (entry or exit).
    public var fixedFee: Double
    /// Slippage in basis points, against the trader: buys fill higher, sells lower.
    public var slippageBps: Double
    public var initialCash: Double
    /// Whether short signals open short positions (otherwise they only close longs).
    public var allowShort: Bool
    public var lot: Lot
    /// Whose semantics to follow where the libraries differ (nil: QuantForge's own): how rolling
    /// means round (`MeanArithmetic`), whether a crossing may pass through a tie (vectorbt: yes,
    /// Backtesting.py's `crossover`: no), and whether a crossing into the position already held
    /// closes and reopens it (Backtesting.py with exclusive orders: yes). Set from the metrics
    /// convention, so a backtest makes that library's own trades.
    public var peer: MetricsConvention?

    public init(fill: Fill = .nextOpen, commission: Double = 0, fixedFee: Double = 0, slippageBps: Double = 0,
                initialCash: Double = 10_000, allowShort: Bool = false, lot: Lot? = nil) {
        self.fill = fill
        self.commission = commission
        self.fixedFee = fixedFee
        self.slippageBps = slippageBps
        self.initialCash = initialCash
        self.allowShort = allowShort
        self.lot = lot ?? (fill == .nextOpen ? .whole : .fractional)
    }
}

/// What a bar's signal asks for.
public enum Signal: Int8, Sendable, Codable {
    /// Keep whatever is held.
    case hold = 0
    /// Be long (closing a short first).
    case long = 1
    /// Be short (closing a long first); with shorting off, just be flat.
    case short = -1
    /// Be flat.
    case flat = 2
}
