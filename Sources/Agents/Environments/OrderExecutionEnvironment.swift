/// TradeMaster's order-execution task in its PD (policy distillation) form on daily bars: sell
/// (or buy) `quantity` units within `horizon` days, one decision per day, back to back over the
/// whole split (one episode = one pass, TradeMaster's epoch), each order starting when the last
/// one is complete.
///
/// Observation: the 16 TradeMaster columns over the last `window` days (prices divided by the last
/// close, as `AlgorithmicTradingEnvironment` normalises them), then the fraction of the horizon
/// left and the fraction of the order left. Action k of `actionLevels` executes k/(levels − 1) of
/// what remains at the last close of the window (TradeMaster's action is that share, continuous;
/// here it takes 11 levels so the discrete agents apply); the order's last day executes the rest.
/// Reward (TradeMaster's PD reward): the executed share of the order times the price's advantage
/// over the running average price of the order so far, (q/Q)·(p/p̄ − 1) for a sale and
/// (q/Q)·(1 − p/p̄) for a purchase; p̄ on an order's first day is the previous close.
///
/// Metric: implementation shortfall against TWAP (equal slices at each day's close over the same
/// days). `portfolioValue` is an account that starts at `initialCash` and gains what the agent
/// beats TWAP by (proceeds minus TWAP's, plus the mark-to-market of the difference in what is
/// still unexecuted), so the usual return and Sharpe metrics read as performance against TWAP.
public struct OrderExecutionEnvironment: TradingEnvironment {
    public enum Side: String, Sendable, Codable {
        case sell, buy
    }

    public struct Configuration: Sendable, Codable, Equatable {
        public var window = 10
        public var horizon = 20
        public var quantity = 1.0
        public var side: Side = .sell
        public var actionLevels = 11
        public var initialCash = 100_000.0

        public init() {}
    }

    /// One completed order.
    public struct Order: Sendable, Equatable {
        public var firstDay: Int
        public var proceeds: Double
        public var twapProceeds: Double
        /// (TWAP − agent) / TWAP for a sale, (agent − TWAP) / TWAP for a purchase, in basis points:
        /// positive means worse than TWAP.
        public var shortfallBps: Double
    }

    public let data: AlgorithmicTradingData
    public let configuration: Configuration
    public private(set) var day = 0
    /// Steps into the current order, and what is left of it (ours and TWAP's).
    public private(set) var step = 0
    public private(set) var remaining = 0.0
    var twapRemaining = 0.0
    var proceeds = 0.0, twapProceeds = 0.0
    var priceSum = 0.0
    var orderStart = 0
    /// Gains over TWAP of completed orders.
    var realisedEdge = 0.0
    public private(set) var orders: [Order] = []

    public var observationCount: Int { AlgorithmicTradingData.columns.count * configuration.window + 2 }
    public var actionCount: Int { configuration.actionLevels }

    public init(data: AlgorithmicTradingData, configuration: Configuration = Configuration()) {
        precondition(configuration.window >= 1 && configuration.horizon >= 1 && configuration.actionLevels >= 2 && configuration.quantity > 0,
                     "OrderExecutionEnvironment: window, horizon ≥ 1, at least 2 action levels, positive quantity")
        precondition(data.days >= configuration.window + configuration.horizon,
                     "OrderExecutionEnvironment: \(data.days) days is too few for a window of \(configuration.window) and a horizon of \(configuration.horizon)")
        self.data = data
        self.configuration = configuration
    }

    /// Orders that fit in the data, back to back.
    public var orderCount: Int { (data.days - configuration.window + 1) / configuration.horizon }

    public var portfolioValue: Double {
        let sign = configuration.side == .sell ? 1.0 : -1.0
        let price = data.close[day - 1]
        return configuration.initialCash + realisedEdge + sign * ((proceeds - twapProceeds) + (remaining - twapRemaining) * price)
    }

    /// Mean shortfall against TWAP over the completed orders, in basis points.
    public var meanShortfallBps: Double {
        orders.isEmpty ? .nan : orders.reduce(0) { $0 + $1.shortfallBps } / Double(orders.count)
    }

    public mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>) {
        orders = []
        orders.reserveCapacity(orderCount)
        realisedEdge = 0
        beginOrder(at: configuration.window)
        observe(into: observation)
    }

    mutating func beginOrder(at firstDay: Int) {
        day = firstDay
        orderStart = firstDay
        step = 0
        remaining = configuration.quantity
        twapRemaining = configuration.quantity
        proceeds = 0
        twapProceeds = 0
        priceSum = 0
    }

    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition((0..<actionCount).contains(action), "OrderExecutionEnvironment: action \(action) outside 0..<\(actionCount)")
        let c = configuration
        guard orders.count < orderCount else {
            observe(into: observation)
            return StepOutcome(reward: 0, done: true)
        }
        let price = data.close[day - 1]
        let last = step == c.horizon - 1
        let share = last ? 1 : Double(action) / Double(c.actionLevels - 1)
        let executed = remaining * share
        let slice = c.quantity / Double(c.horizon)
        let average = step == 0 ? data.close[day - 2 < 0 ? 0 : day - 2] : priceSum / Double(step)
        let advantage = c.side == .sell ? price / average - 1 : 1 - price / average
        let reward = executed / c.quantity * advantage
        remaining -= executed
        proceeds += executed * price
        twapRemaining -= slice
        twapProceeds += slice * price
        priceSum += price
        step += 1
        if last {
            let sign = c.side == .sell ? 1.0 : -1.0
            let shortfall = sign * (twapProceeds - proceeds) / twapProceeds * 10_000
            orders.append(Order(firstDay: orderStart, proceeds: proceeds, twapProceeds: twapProceeds, shortfallBps: shortfall))
            realisedEdge += sign * (proceeds - twapProceeds)
            // The next order starts on the next day, if a whole one still fits.
            beginOrder(at: day + 1)
            if orders.count == orderCount { day -= 1 }
        } else {
            day += 1
        }
        observe(into: observation)
        return StepOutcome(reward: reward, done: false)
    }

    func observe(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= observationCount, "OrderExecutionEnvironment: observation buffer of \(out.count) for \(observationCount)")
        let w = configuration.window
        let lastClose = data.close[day - 1]
        var k = 0
        for (column, values) in data.values.enumerated() {
            for row in (day - w)..<day {
                out[k] = Float(column < 5 ? values[row] / lastClose : values[row])
                k += 1
            }
        }
        out[k] = Float(configuration.horizon - step) / Float(configuration.horizon)
        out[k + 1] = Float(remaining / configuration.quantity)
    }
}
