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

    public init(cash: Double) { self.cash = cash }

    /// Cash plus the position marked at `price` (a short is a liability).
    public func equity(at price: Double) -> Double { cash + units * price }
}

/// Order execution as a pure function: the state before, a signal and a fill price in; the state
/// after and the trade it closed (if any) out. Exclusive orders: a reversal closes the open trade,
/// then opens the new one.
public enum OrderExecution {
    public static func execute(_ state: AccountState, signal: Signal, price: Double, bar: Int, time: Int64,
                               settings: ExecutionSettings) -> (AccountState, TradeRecord?) {
        let current: Signal = state.units > 0 ? .long : (state.units < 0 ? .short : .flat)
        var target = signal
        if target == .hold { return (state, nil) }
        if target == .short && !settings.allowShort { target = .flat }
        if target == current { return (state, nil) }
        var s = state
        var closed: TradeRecord?
        let slip = settings.slippageBps / 10_000
        if s.units != 0 {
            // Close: sell a long (fill lower), buy back a short (fill higher).
            let fillPrice = s.units > 0 ? price * (1 - slip) : price * (1 + slip)
            let cost = settings.commission * abs(s.units) * fillPrice + settings.fixedFee
            s.cash += s.units * fillPrice - cost
            closed = TradeRecord(entryBar: s.entryBar, exitBar: bar, entryTime: s.entryTime, exitTime: time,
                                 entryPrice: s.entryPrice, exitPrice: fillPrice, units: s.units, commission: s.entryCost + cost)
            s.units = 0
            s.entryCost = 0
        }
        if target == .long || target == .short {
            let fillPrice = target == .long ? price * (1 + slip) : price * (1 - slip)
            // All in: Backtesting.py's sizing, floor(cash·(1 − 2⁻⁵²) / (P·(1 + c))), after the fixed fee.
            let available = (s.cash - settings.fixedFee) * (1 - 0x1p-52)
            let units = available > 0 ? settings.lot.round(available / (fillPrice * (1 + settings.commission))) : 0
            if units > 0 {
                let cost = settings.commission * units * fillPrice + settings.fixedFee
                let signed = target == .long ? units : -units
                s.cash -= signed * fillPrice + cost
                s.units = signed
                s.entryPrice = fillPrice
                s.entryBar = bar
                s.entryTime = time
                s.entryCost = cost
            }
        }
        return (s, closed)
    }
}
