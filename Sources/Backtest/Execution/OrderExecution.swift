/// The account between bars: cash and the open position.
public struct AccountState: Sendable, Equatable {
    public var cash: Double
    /// Signed units held (negative: short).
    public var units: Double = 0
    public var entryPrice = 0.0
    public var entryBar = 0
    public var entryTime: Int64 = 0
    /// Commission and fees paid when the open position was entered.
    public var entryCost = 0.0
    /// Set once equity has reached the wipe-out level: the account no longer trades.
    public var isBust = false

    public init(cash: Double) { self.cash = cash }

    /// Cash plus the position marked at `price` (a short is a liability).
    @inlinable public func equity(at price: Double) -> Double { cash + units * price }
}

/// Order execution as a pure function: the state before, a signal and a fill price in; the state
/// after and the trade it closed (if any) out. Exclusive orders: a reversal closes the open trade,
/// then opens the new one.
///
/// Sizing is "all in" and follows the reference library of each lot mode to the last bit:
/// - whole units and lot sizes (Backtesting.py): units = (C·(1 − 2⁻⁵²)) // (P + (1 − 2⁻⁵²)·P·c / (1 − 2⁻⁵²)),
///   with C the cash after any fixed fee, P the fill price, c the commission rate and `//` Python's
///   floor division (exact, not floor of a rounded quotient); a lot L divides by P·L and multiplies back;
/// - fractional units (vectorbt's `size=inf`): B = (C − fixed fee) / (1 + c) is spent on B / P units
///   and the rest of the cash, C − B, is the fee, so a long entry leaves exactly zero cash.
/// Commissions are (|units|·P)·c plus the fixed fee, on entry and on exit.
public enum OrderExecution {
    /// The fraction Backtesting.py's `size=1 − ε` orders ask for.
    @usableFromInline static let fullEquity = 1 - 0x1p-52

    @inlinable
    /// With `reopen`, a signal for the position already held closes it and opens it again
    /// (Backtesting.py's `buy()` with exclusive orders); otherwise it is held.
    public static func execute(_ state: AccountState, signal: Signal, price: Double, bar: Int, time: Int64,
                               settings: ExecutionSettings, reopen: Bool = false) -> (AccountState, TradeRecord?) {
        if signal == .hold || state.isBust { return (state, nil) }
        let current: Signal = state.units > 0 ? .long : (state.units < 0 ? .short : .flat)
        var target = signal
        if target == .short && !settings.allowShort { target = .flat }
        if target == current && !(reopen && target != .flat) { return (state, nil) }
        var s = state
        var closed: TradeRecord?
        let slip = settings.slippageBps / 10_000
        if s.units != 0 {
            // Close: sell a long (fill lower), buy back a short (fill higher).
            closed = close(&s, at: s.units > 0 ? price * (1 - slip) : price * (1 + slip), bar: bar, time: time, settings: settings)
        }
        if target == .long || target == .short {
            open(&s, long: target == .long, at: target == .long ? price * (1 + slip) : price * (1 - slip), bar: bar, time: time, settings: settings)
        }
        return (s, closed)
    }

    /// Closes the open position at `fillPrice` and returns its trade.
    @inlinable
    public static func close(_ s: inout AccountState, at fillPrice: Double, bar: Int, time: Int64, settings: ExecutionSettings) -> TradeRecord {
        let cost = commission(units: s.units, price: fillPrice, settings: settings)
        s.cash += s.units * fillPrice - cost
        let trade = TradeRecord(entryBar: s.entryBar, exitBar: bar, entryTime: s.entryTime, exitTime: time,
                                entryPrice: s.entryPrice, exitPrice: fillPrice, units: s.units, commission: s.entryCost + cost)
        s.units = 0
        s.entryCost = 0
        return trade
    }

    /// Opens a position with all the cash at `fillPrice` (nothing when the cash buys no lot).
    @inlinable
    public static func open(_ s: inout AccountState, long: Bool, at fillPrice: Double, bar: Int, time: Int64, settings: ExecutionSettings) {
        let units: Double, cost: Double
        let budget = s.cash - settings.fixedFee
        guard budget > 0 else { return }
        switch settings.lot {
        case .fractional:
            let spend = budget / (1 + settings.commission)
            units = spend / fillPrice
            cost = s.cash - spend
        case .whole, .size:
            let lot: Double
            if case .size(let l) = settings.lot { lot = l } else { lot = 1 }
            let perUnit = fillPrice + fullEquity * fillPrice * settings.commission / fullEquity
            units = pythonFloorDivide(budget * fullEquity, perUnit * lot) * lot
            cost = commission(units: units, price: fillPrice, settings: settings)
        }
        guard units > 0 else { return }
        let signed = long ? units : -units
        // A fractional long spends the cash exactly (vectorbt leaves 0, not a rounding residue).
        if long, case .fractional = settings.lot { s.cash = 0 } else { s.cash -= signed * fillPrice + cost }
        s.units = signed
        s.entryPrice = fillPrice
        s.entryBar = bar
        s.entryTime = time
        s.entryCost = cost
    }

    /// Fee of one order: (|units|·price)·c + fixed fee (Backtesting.py's order of operations).
    @inlinable
    public static func commission(units: Double, price: Double, settings: ExecutionSettings) -> Double {
        settings.fixedFee + abs(units) * price * settings.commission
    }

    /// Python's `a // b` for floats (positive b): the floor of the exact quotient, so that a
    /// quotient like 8.9999999999999999 gives 8, not 9. The rounded quotient is corrected by the
    /// exact remainder a − q·b (one fused multiply-add), which costs a fraction of CPython's
    /// `fmod`; `pythonFloorDivideReference` is CPython's algorithm, and the two are tested equal.
    @inlinable
    public static func pythonFloorDivide(_ a: Double, _ b: Double) -> Double {
        guard b > 0, a.isFinite, b.isFinite, abs(a / b) < 0x1p52 else { return pythonFloorDivideReference(a, b) }
        var q = (a / b).rounded(.down)
        let r = a.addingProduct(-q, b)
        if r < 0 { q -= 1 } else if r >= b { q += 1 }
        return q == 0 ? ((a / b).sign == .minus ? -0.0 : 0.0) : q
    }

    /// CPython's float floor division (`float_floor_div`: fmod, then a correction).
    @inlinable
    public static func pythonFloorDivideReference(_ a: Double, _ b: Double) -> Double {
        var mod = a.truncatingRemainder(dividingBy: b)
        var div = (a - mod) / b
        if mod != 0 {
            if (b < 0) != (mod < 0) { mod += b; div -= 1 }
        }
        guard div != 0 else { return (a / b).sign == .minus ? -0.0 : 0.0 }
        var floored = div.rounded(.down)
        if div - floored > 0.5 { floored += 1 }
        return floored
    }
}
