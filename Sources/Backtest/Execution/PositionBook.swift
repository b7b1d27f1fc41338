/// One asset's position under orders that may add to it, reduce it or reverse it, with trades
/// recorded as vectorbt's "exit trades": an addition moves the average entry price (weighted by
/// units) and adds its fee to the entry fees; each reduction closes that many units at the
/// average entry price as one trade, carrying its share of the entry fees plus the exit fee; a
/// reversal closes everything, then opens the rest. Pure: an order in, the new book and the
/// trades it closed out.
public struct PositionBook: Sendable, Equatable {
    /// Signed units held.
    public var units = 0.0
    /// Average entry price of the units held.
    public var entryPrice = 0.0
    /// Entry fees of the units held, not yet charged to a closed trade.
    public var entryFees = 0.0
    /// When the position was opened (from flat or by a reversal).
    public var entryBar = 0
    public var entryTime: Int64 = 0

    public init() {}

    /// Applies an order of `delta` units (positive buys) filled at `price` with `fee`.
    public func applying(_ delta: Double, price: Double, fee: Double, bar: Int, time: Int64) -> (PositionBook, [TradeRecord]) {
        guard delta != 0 else { return (self, []) }
        var book = self
        var closed: [TradeRecord] = []
        if units == 0 || (units > 0) == (delta > 0) {
            // Opening or adding: weighted average entry price.
            if units == 0 {
                book.entryBar = bar
                book.entryTime = time
                book.entryPrice = price
            } else {
                book.entryPrice = (units * entryPrice + delta * price) / (units + delta)
            }
            book.units = units + delta
            book.entryFees = entryFees + fee
            return (book, closed)
        }
        // Reducing: close min(|delta|, |units|) at the average entry price.
        let closing = Swift.min(abs(delta), abs(units))
        let share = closing / abs(units)
        let closingFee = abs(delta) > abs(units) ? fee * closing / abs(delta) : fee
        let signedClosed = units > 0 ? closing : -closing
        closed.append(TradeRecord(entryBar: entryBar, exitBar: bar, entryTime: entryTime, exitTime: time, entryPrice: entryPrice,
                                  exitPrice: price, units: signedClosed, commission: entryFees * share + closingFee))
        book.entryFees = entryFees * (1 - share)
        book.units = abs(delta) >= abs(units) ? 0 : units + delta
        if book.units == 0 {
            book.entryFees = 0
            book.entryPrice = 0
        }
        let rest = abs(delta) - closing
        if rest > 0 {
            // Reversal: the remainder opens a position the other way with the rest of the fee.
            book.units = delta > 0 ? rest : -rest
            book.entryPrice = price
            book.entryFees = fee - closingFee
            book.entryBar = bar
            book.entryTime = time
        }
        return (book, closed)
    }
}
