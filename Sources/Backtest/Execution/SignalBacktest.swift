/// The result of a backtest: equity and position per bar, and the closed trades.
public struct BacktestResult: Sendable {
    public var equity: [Double]
    /// Units held at each bar's close.
    public var positions: [Double]
    public var trades: [TradeRecord]
    /// The state after the last bar (an open trade stays in equity, not in `trades`).
    public var finalState: AccountState
    /// The last close, at which an open position is marked.
    public var lastClose: Double
    public var lastTime: Int64

    /// The position still open after the last bar, as a trade marked at the last close with only
    /// its entry commission (vectorbt's "open trade"); nil when flat.
    public var openTrade: TradeRecord? {
        guard finalState.units != 0 else { return nil }
        return TradeRecord(entryBar: finalState.entryBar, exitBar: equity.count - 1, entryTime: finalState.entryTime, exitTime: lastTime,
                           entryPrice: finalState.entryPrice, exitPrice: lastClose, units: finalState.units, commission: finalState.entryCost)
    }
}

/// Runs one strategy's signals over one symbol's bars in a single pass.
///
/// `next_open`: the signal of bar i fills at bar i+1's open (the last bar's signal never fills);
/// `close`: it fills at bar i's close. Equity is marked at every close after that bar's fills.
/// When equity falls to the wipe-out level (`ExecutionSettings.wipeOutFraction` of the initial
/// cash, or below zero) the position is closed at that close, and equity stays zero from there.
public enum SignalBacktest {
    public static func run(open: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>, timestamps: UnsafeBufferPointer<Int64>,
                           signals: UnsafeBufferPointer<Signal>, settings: ExecutionSettings,
                           reopensHeldPosition: Bool = false) -> BacktestResult {
        let n = close.count
        precondition(open.count == n && timestamps.count == n && signals.count == n, "SignalBacktest: columns of unequal length")
        var state = AccountState(cash: settings.initialCash)
        var equity = [Double](repeating: 0, count: n), positions = [Double](repeating: 0, count: n)
        var trades: [TradeRecord] = []
        let wipeOut = settings.initialCash * ExecutionSettings.wipeOutFraction
        for i in 0..<n {
            switch settings.fill {
            case .nextOpen:
                if i > 0 {
                    let (next, trade) = OrderExecution.execute(state, signal: signals[i - 1], price: open[i], bar: i, time: timestamps[i], settings: settings,
                                                                  reopen: reopensHeldPosition)
                    state = next
                    if let trade { trades.append(trade) }
                }
            case .close:
                let (next, trade) = OrderExecution.execute(state, signal: signals[i], price: close[i], bar: i, time: timestamps[i], settings: settings,
                                                              reopen: reopensHeldPosition)
                state = next
                if let trade { trades.append(trade) }
            }
            var e = state.equity(at: close[i])
            if e <= wipeOut && !state.isBust {
                if state.units != 0 { trades.append(OrderExecution.close(&state, at: close[i], bar: i, time: timestamps[i], settings: settings)) }
                state.cash = 0
                state.isBust = true
                e = 0
            }
            equity[i] = e
            positions[i] = state.units
        }
        return BacktestResult(equity: equity, positions: positions, trades: trades, finalState: state,
                              lastClose: n > 0 ? close[n - 1] : .nan, lastTime: n > 0 ? timestamps[n - 1] : 0)
    }

    /// Convenience over arrays.
    public static func run(open: [Double], close: [Double], timestamps: [Int64], signals: [Signal], settings: ExecutionSettings,
                           reopensHeldPosition: Bool = false) -> BacktestResult {
        open.withUnsafeBufferPointer { o in
            close.withUnsafeBufferPointer { c in
                timestamps.withUnsafeBufferPointer { t in
                    signals.withUnsafeBufferPointer { s in run(open: o, close: c, timestamps: t, signals: s, settings: settings, reopensHeldPosition: reopensHeldPosition) }
                }
            }
        }
    }
}
