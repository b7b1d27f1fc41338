/// When a portfolio is brought back to its targets; between rebalances the weights drift with
/// prices.
public enum RebalanceSchedule: Sendable, Equatable {
    /// Every bar.
    case everyBar
    /// Bars 0, n, 2n, …
    case everyBars(Int)
    /// The first bar of each calendar period (UTC), bar 0 included.
    case calendar(ReturnSeries.Period)

    func isDue(_ i: Int, _ times: [Int64]) -> Bool {
        switch self {
        case .everyBar: return true
        case .everyBars(let n): return i % Swift.max(n, 1) == 0
        case .calendar(let period): return i == 0 || ReturnSeries.periodKey(times[i], period) != ReturnSeries.periodKey(times[i - 1], period)
        }
    }
}

/// The result of a portfolio backtest: equity, cash and units per bar, fills and trades.
public struct PortfolioResult: Sendable {
    public var equity: [Double]
    public var cash: [Double]
    /// Units of each asset at each bar's close: units[asset][bar].
    public var units: [[Double]]
    public var fills: [Fill]
    public var trades: [AssetTrade]
    /// Σ |units|·price over all fills.
    public var tradedValue: Double
    public var fees: Double
    public var finalState: PortfolioState
}

/// Several assets with shared cash, driven by target weights (fractions of equity) rebalanced on a
/// schedule, or one asset driven by target positions (units or a fraction of equity) — each
/// bar's targets, like signals, are decided at its close and fill at the next open (`next_open`)
/// or at that close (`close`). Orders go through `Rebalance.execute`; equity is marked at every
/// close; the wipe-out rule of `SignalBacktest` applies (all positions closed at that close).
public enum PortfolioBacktest {
    /// How a single asset's targets are given.
    public enum TargetKind: String, Sendable, Codable {
        /// Units (negative: short).
        case units
        /// A fraction of equity (1: all in long, −0.5: half the equity short).
        case fraction
    }

    /// Target weights per asset. `open[asset][bar]`, `close[asset][bar]`; `weights(bar)` returns
    /// the weights decided at that bar's close (NaN for an asset leaves it alone), or nil to keep
    /// the previous ones; they are acted on at bars the schedule makes due.
    public static func run(open: [[Double]], close: [[Double]], timestamps: [Int64], schedule: RebalanceSchedule,
                           settings: ExecutionSettings, weights: (Int) -> [Double]?) -> PortfolioResult {
        var current: [Double]?
        return simulate(open: open, close: close, timestamps: timestamps, settings: settings) { bar, state, prices in
            if let w = weights(bar) { current = w }
            guard let w = current, schedule.isDue(bar, timestamps) else { return nil }
            return { state, prices in Rebalance.targetUnits(weights: w, state: state, prices: prices) }
        }
    }

    /// One asset driven by a target per bar (NaN: no change).
    public static func run(open: [Double], close: [Double], timestamps: [Int64], targets: [Double], kind: TargetKind,
                           settings: ExecutionSettings) -> PortfolioResult {
        precondition(targets.count == close.count, "PortfolioBacktest: one target per bar")
        return simulate(open: [open], close: [close], timestamps: timestamps, settings: settings) { bar, _, _ in
            let target = targets[bar]
            guard !target.isNaN else { return nil }
            switch kind {
            case .units: return { _, _ in [target] }
            case .fraction: return { state, prices in Rebalance.targetUnits(weights: [target], state: state, prices: prices) }
            }
        }
    }

    /// The bar loop. `decide(bar, state, close prices)` returns, for a bar whose close asks for
    /// orders, how to turn the state and fill prices at execution into target units.
    static func simulate(open: [[Double]], close: [[Double]], timestamps: [Int64], settings: ExecutionSettings,
                         decide: (Int, PortfolioState, [Double]) -> ((PortfolioState, [Double]) -> [Double])?) -> PortfolioResult {
        let assets = close.count, n = timestamps.count
        precondition(assets > 0 && open.count == assets && close.allSatisfy { $0.count == n } && open.allSatisfy { $0.count == n },
                     "PortfolioBacktest: every asset needs open and close for every bar")
        var state = PortfolioState(cash: settings.initialCash, assets: assets)
        var equity = [Double](repeating: 0, count: n), cash = [Double](repeating: 0, count: n)
        var units = [[Double]](repeating: [Double](repeating: 0, count: n), count: assets)
        var fills: [Fill] = [], trades: [AssetTrade] = []
        var pending: ((PortfolioState, [Double]) -> [Double])?
        let wipeOut = settings.initialCash * ExecutionSettings.wipeOutFraction
        func execute(_ targetsFor: (PortfolioState, [Double]) -> [Double], prices: [Double], bar: Int) {
            let (next, newFills, closed) = Rebalance.execute(state, targets: targetsFor(state, prices), prices: prices, bar: bar,
                                                             time: timestamps[bar], settings: settings)
            state = next
            fills += newFills
            trades += closed
        }
        for i in 0..<n {
            let closes = (0..<assets).map { close[$0][i] }
            if settings.fill == .nextOpen, let order = pending {
                execute(order, prices: (0..<assets).map { open[$0][i] }, bar: i)
                pending = nil
            }
            if let order = decide(i, state, closes) {
                if settings.fill == .close { execute(order, prices: closes, bar: i) } else { pending = order }
            }
            var e = state.equity(at: closes)
            if e <= wipeOut && !state.isBust {
                // Wiped out: everything is closed at this close and nothing trades again.
                for j in 0..<assets where state.books[j].units != 0 {
                    Rebalance.fill(asset: j, units: -state.books[j].units, price: closes[j], bar: i, time: timestamps[i],
                                   settings: settings, state: &state, fills: &fills, closed: &trades)
                }
                state.cash = 0
                state.isBust = true
                e = 0
            }
            equity[i] = e
            cash[i] = state.cash
            for j in 0..<assets { units[j][i] = state.books[j].units }
        }
        return PortfolioResult(equity: equity, cash: cash, units: units, fills: fills, trades: trades,
                               tradedValue: fills.reduce(0) { $0 + abs($1.units) * $1.price }, fees: fills.reduce(0) { $0 + $1.fee },
                               finalState: state)
    }
}
