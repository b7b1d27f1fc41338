import Ingest

/// Limit-order-book snapshots as an execution venue (TradeMaster's ETEO data: Binance BTC, one
/// snapshot a minute, 15 levels a side): a market order walks the bid levels (a sale) or the ask
/// levels (a purchase) of the snapshot it is decided on, level i at midpoint·(1 + distanceᵢ)
/// holding notionalᵢ / price units. What the 15 levels cannot absorb fills at the deepest level's
/// price (the book beyond it is not in the data). The reference price is the midpoint.
///
/// Observation (154 floats, TradeMaster's public features): the midpoint's change since the last
/// snapshot, the spread over the midpoint, buys and sells as fractions of their sum, the level
/// distances in basis points, and the four notional kinds of each level divided by the largest
/// notional of the snapshot.
public struct OrderBookVenue: ExecutionVenue {
    public static let levels = 15
    /// The five per-level columns of each side, in the file's naming.
    public static let kinds = ["distance", "notional", "cancel_notional", "limit_notional", "market_notional"]

    public let midpoint: [Double]
    public let spread: [Double]
    public let buys: [Double]
    public let sells: [Double]
    /// book[side][kind][level][row], side 0 bids, 1 asks.
    public let book: [[[[Double]]]]

    public init(midpoint: [Double], spread: [Double], buys: [Double], sells: [Double], book: [[[[Double]]]]) {
        precondition(book.count == 2 && book.allSatisfy { $0.count == Self.kinds.count && $0.allSatisfy { $0.count == Self.levels && $0.allSatisfy { $0.count == midpoint.count } } },
                     "OrderBookVenue: two sides of five kinds of 15 levels, one value per snapshot")
        self.midpoint = midpoint
        self.spread = spread
        self.buys = buys
        self.sells = sells
        self.book = book
    }

    /// Reads the snapshot columns of `symbol` (default: the first) from a bar file.
    public init(file: BarFile, symbol: String? = nil) throws {
        guard let name = symbol ?? file.symbols.first else { throw AgentsError.invalidData("\(file.path) has no symbols") }
        let present = Set(try file.columns(of: name))
        let needed = ["midpoint", "spread", "buys", "sells"] + ["bids", "asks"].flatMap { side in
            Self.kinds.flatMap { kind in (0..<Self.levels).map { "\(side)_\(kind)_\($0)" } }
        }
        let missing = needed.filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw AgentsError.invalidData("\(file.path): symbol \(name) lacks \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? " and \(missing.count - 5) more" : "") (an order-book snapshot file has midpoint, spread, buys, sells and {bids,asks}_{kind}_{0..14})")
        }
        let book = try ["bids", "asks"].map { side in
            try Self.kinds.map { kind in try (0..<Self.levels).map { try file.column("\(side)_\(kind)_\($0)", of: name) } }
        }
        self.init(midpoint: try file.column("midpoint", of: name), spread: try file.column("spread", of: name),
                  buys: try file.column("buys", of: name), sells: try file.column("sells", of: name), book: book)
    }

    /// Snapshots `range` only (a split).
    public func slice(_ range: Range<Int>) -> OrderBookVenue {
        OrderBookVenue(midpoint: Array(midpoint[range]), spread: Array(spread[range]), buys: Array(buys[range]), sells: Array(sells[range]),
                       book: book.map { $0.map { $0.map { Array($0[range]) } } })
    }

    public var rows: Int { midpoint.count }
    /// The first decision needs the previous midpoint.
    public var firstRow: Int { 1 }
    public var featureCount: Int { 4 + 2 * Self.kinds.count * Self.levels }

    public func observe(row: Int, into out: UnsafeMutablePointer<Float>) {
        let mid = midpoint[row]
        let flow = max(buys[row] + sells[row], 1e-12)
        out[0] = Float((mid / midpoint[max(row - 1, 0)] - 1) * 10_000)
        out[1] = Float(spread[row] / mid * 10_000)
        out[2] = Float(buys[row] / flow)
        out[3] = Float(sells[row] / flow)
        var largest = 1e-12
        for side in 0..<2 { for kind in 1..<Self.kinds.count { for level in 0..<Self.levels { largest = max(largest, book[side][kind][level][row]) } } }
        var k = 4
        for side in 0..<2 {
            for kind in 0..<Self.kinds.count {
                for level in 0..<Self.levels {
                    let v = book[side][kind][level][row]
                    out[k] = Float(kind == 0 ? v * 10_000 : v / largest)
                    k += 1
                }
            }
        }
    }

    public func fill(units: Double, side: OrderExecutionConfiguration.Side, row: Int) -> Double {
        let s = side == .sell ? 0 : 1
        var left = units, value = 0.0, price = midpoint[row]
        for level in 0..<Self.levels where left > 0 {
            price = midpoint[row] * (1 + book[s][0][level][row])
            let available = book[s][1][level][row] / price
            let take = min(left, available)
            value += take * price
            left -= take
        }
        return value + left * price
    }

    public func referencePrice(row: Int) -> Double { midpoint[row] }
}
