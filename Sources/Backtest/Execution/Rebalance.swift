/// Cash shared by several assets and a position book for each.
public struct PortfolioState: Sendable, Equatable {
    public var cash: Double
    public var books: [PositionBook]
    public var isBust = false

    public init(cash: Double, assets: Int) {
        self.cash = cash
        books = [PositionBook](repeating: PositionBook(), count: assets)
    }

    /// Cash plus every position marked at `prices`.
    public func equity(at prices: [Double]) -> Double {
        var e = cash
        for (book, p) in zip(books, prices) where book.units != 0 { e += book.units * p }
        return e
    }
}

/// One executed order of a rebalance.
public struct Fill: Sendable, Equatable {
    public var asset: Int
    /// Signed units (positive bought).
    public var units: Double
    public var price: Double
    public var fee: Double
}

/// A closed trade of one asset of a portfolio.
public struct AssetTrade: Sendable, Equatable {
    public var asset: Int
    public var trade: TradeRecord
}

/// Moving a portfolio to target units, as a pure function (state in → new state, fills and closed
/// trades out).
///
/// Rules: targets are rounded toward zero to the lot (and floored at 0 without shorting); sells
/// run first (selling longs, opening or adding to shorts), raising cash; then buys, and when
/// their cost with fees exceeds the cash every buy is scaled down by the same factor (then
/// rounded down to the lot) — vectorbt's cash-sharing order with sells first. Each order pays
/// (|units|·price)·commission plus the fixed fee, at a price moved by the slippage against it.
public enum Rebalance {
    /// Executes orders towards `targets` (units per asset; NaN leaves an asset alone) at `prices`.
    public static func execute(_ state: PortfolioState, targets: [Double], prices: [Double], bar: Int, time: Int64,
                               settings: ExecutionSettings) -> (PortfolioState, [Fill], [AssetTrade]) {
        precondition(targets.count == state.books.count && prices.count == state.books.count, "Rebalance: one target and price per asset")
        guard !state.isBust else { return (state, [], []) }
        var s = state
        var fills: [Fill] = []
        var closed: [AssetTrade] = []
        let slip = settings.slippageBps / 10_000
        var deltas = [Double](repeating: 0, count: targets.count)
        for j in targets.indices where !targets[j].isNaN && prices[j].isFinite && prices[j] > 0 {
            let target = roundTowardZero(settings.allowShort ? targets[j] : Swift.max(targets[j], 0), lot: settings.lot)
            deltas[j] = target - s.books[j].units
        }
        func order(_ j: Int, _ delta: Double) {
            guard delta != 0 else { return }
            let price = delta > 0 ? prices[j] * (1 + slip) : prices[j] * (1 - slip)
            fill(asset: j, units: delta, price: price, bar: bar, time: time, settings: settings, state: &s, fills: &fills, closed: &closed)
        }
        for j in deltas.indices where deltas[j] < 0 { order(j, deltas[j]) }
        let buys = deltas.indices.filter { deltas[$0] > 0 }
        let variable = buys.reduce(0.0) { $0 + deltas[$1] * prices[$1] * (1 + slip) * (1 + settings.commission) }
        let needed = variable + settings.fixedFee * Double(buys.count)
        let scale = needed > s.cash ? Swift.max(0, (s.cash - settings.fixedFee * Double(buys.count)) / variable) : 1
        for j in buys {
            let delta = scale < 1 ? roundDown(deltas[j] * scale, lot: settings.lot) : deltas[j]
            order(j, delta)
        }
        return (s, fills, closed)
    }

    /// One order of `units` of `asset` at `price` (slippage already applied): cash pays for it and
    /// its fee, the book moves, and the fill and any trades it closes are recorded.
    static func fill(asset j: Int, units delta: Double, price: Double, bar: Int, time: Int64, settings: ExecutionSettings,
                     state s: inout PortfolioState, fills: inout [Fill], closed: inout [AssetTrade]) {
        let fee = OrderExecution.commission(units: delta, price: price, settings: settings)
        s.cash -= delta * price + fee
        let (book, trades) = s.books[j].applying(delta, price: price, fee: fee, bar: bar, time: time)
        s.books[j] = book
        closed += trades.map { AssetTrade(asset: j, trade: $0) }
        fills.append(Fill(asset: j, units: delta, price: price, fee: fee))
    }

    /// Target units of weights `w` (fractions of equity, negative short) at `prices`.
    public static func targetUnits(weights w: [Double], state: PortfolioState, prices: [Double]) -> [Double] {
        let value = state.equity(at: prices)
        return zip(w, prices).map { weight, price in weight.isNaN ? .nan : weight * value / price }
    }

    static func roundTowardZero(_ units: Double, lot: ExecutionSettings.Lot) -> Double {
        switch lot {
        case .fractional: return units
        case .whole: return units.rounded(.towardZero)
        case .size(let l): return (units / l).rounded(.towardZero) * l
        }
    }

    static func roundDown(_ units: Double, lot: ExecutionSettings.Lot) -> Double {
        switch lot {
        case .fractional: return units
        case .whole: return units.rounded(.down)
        case .size(let l): return (units / l).rounded(.down) * l
        }
    }
}
