/// TradeMaster's order-execution task: sell (or buy) `quantity` units within `horizon` decisions,
/// back to back over the whole data (one episode = one pass, TradeMaster's epoch), each order
/// starting when the last one is complete. Where the units trade is the `Venue`: the closes of
/// daily bars (`DailyBarVenue`, TradeMaster's PD form on PD_BTC) or market orders walking a limit
/// order book (`OrderBookVenue`, over the LOB snapshot file).
///
/// Observation: the venue's public features for the decision row, then the fraction of the
/// horizon left and the fraction of the order left. Action k of `actionLevels` executes
/// k/(levels − 1) of what remains (TradeMaster's action is that share, continuous; here it takes
/// 11 levels so the discrete agents apply); an order's last decision executes the rest.
/// Reward (TradeMaster's PD reward): the executed share of the order times the fill price's
/// advantage over the running average of the venue's reference price during the order,
/// (q/Q)·(p/p̄ − 1) for a sale and (q/Q)·(1 − p/p̄) for a purchase; p̄ on an order's first
/// decision is the previous row's reference price.
///
/// Metric: implementation shortfall against TWAP — equal slices at every decision of the same
/// order, executed through the same venue (so TWAP pays the same book impact). `portfolioValue`
/// is an account that starts at `initialCash` and gains what the agent beats TWAP by (proceeds
/// minus TWAP's, plus the difference in what is still unexecuted marked at the reference price),
/// so the usual return and Sharpe metrics read as performance against TWAP.
public struct OrderExecutionEnvironment<Venue: ExecutionVenue>: TradingEnvironment {
    public typealias Configuration = OrderExecutionConfiguration

    /// One completed order.
    public struct Order: Sendable, Equatable {
        public var firstRow: Int
        public var proceeds: Double
        public var twapProceeds: Double
        /// (TWAP − agent) / TWAP for a sale, (agent − TWAP) / TWAP for a purchase, in basis
        /// points: positive means worse than TWAP.
        public var shortfallBps: Double
    }

    public let venue: Venue
    public let configuration: Configuration
    /// The row the next decision executes at.
    public private(set) var row = 0
    /// Decisions into the current order, and what is left of it (ours and TWAP's).
    public private(set) var step = 0
    public private(set) var remaining = 0.0
    var twapRemaining = 0.0
    var proceeds = 0.0, twapProceeds = 0.0
    var priceSum = 0.0
    var orderStart = 0
    /// Gains over TWAP of completed orders.
    var realisedEdge = 0.0
    public private(set) var orders: [Order] = []

    public var observationCount: Int { venue.featureCount + 2 }
    public var actionCount: Int { configuration.actionLevels }

    public init(venue: Venue, configuration: Configuration = Configuration()) {
        precondition(configuration.horizon >= 1 && configuration.actionLevels >= 2 && configuration.quantity > 0,
                     "OrderExecutionEnvironment: horizon ≥ 1, at least 2 action levels, positive quantity")
        precondition(venue.rows - venue.firstRow >= configuration.horizon,
                     "OrderExecutionEnvironment: \(venue.rows - venue.firstRow) decision rows is too few for a horizon of \(configuration.horizon)")
        self.venue = venue
        self.configuration = configuration
    }

    /// Orders that fit in the data, back to back.
    public var orderCount: Int { (venue.rows - venue.firstRow) / configuration.horizon }

    var sign: Double { configuration.side == .sell ? 1 : -1 }

    public var portfolioValue: Double {
        configuration.initialCash + realisedEdge + sign * ((proceeds - twapProceeds) + (remaining - twapRemaining) * venue.referencePrice(row: row))
    }

    /// Mean shortfall against TWAP over the completed orders, in basis points.
    public var meanShortfallBps: Double {
        orders.isEmpty ? .nan : orders.reduce(0) { $0 + $1.shortfallBps } / Double(orders.count)
    }

    public mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>) {
        orders = []
        orders.reserveCapacity(orderCount)
        realisedEdge = 0
        beginOrder(at: venue.firstRow)
        observe(into: observation)
    }

    mutating func beginOrder(at first: Int) {
        row = first
        orderStart = first
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
        let last = step == c.horizon - 1
        let share = last ? 1 : Double(action) / Double(c.actionLevels - 1)
        let executed = remaining * share
        let slice = c.quantity / Double(c.horizon)
        let value = executed > 0 ? venue.fill(units: executed, side: c.side, row: row) : 0
        let twapValue = venue.fill(units: slice, side: c.side, row: row)
        let average = step == 0 ? venue.referencePrice(row: max(row - 1, 0)) : priceSum / Double(step)
        let price = executed > 0 ? value / executed : 0
        let reward = executed > 0 ? executed / c.quantity * sign * (price / average - 1) : 0
        remaining -= executed
        proceeds += value
        twapRemaining -= slice
        twapProceeds += twapValue
        priceSum += venue.referencePrice(row: row)
        step += 1
        if last {
            orders.append(Order(firstRow: orderStart, proceeds: proceeds, twapProceeds: twapProceeds,
                                shortfallBps: sign * (twapProceeds - proceeds) / twapProceeds * 10_000))
            realisedEdge += sign * (proceeds - twapProceeds)
            // The next order starts at the next row; after the last one the row stays in range.
            beginOrder(at: orders.count < orderCount ? row + 1 : row)
        } else {
            row += 1
        }
        observe(into: observation)
        return StepOutcome(reward: reward, done: false)
    }

    func observe(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= observationCount, "OrderExecutionEnvironment: observation buffer of \(out.count) for \(observationCount)")
        venue.observe(row: row, into: out.baseAddress!)
        let k = venue.featureCount
        out[k] = Float(configuration.horizon - step) / Float(configuration.horizon)
        out[k + 1] = Float(remaining / configuration.quantity)
    }
}

/// The knobs of an order-execution task.
public struct OrderExecutionConfiguration: Sendable, Codable, Equatable {
    public enum Side: String, Sendable, Codable {
        case sell, buy
    }

    /// Decisions per order (days for PD, minutes for the order book).
    public var horizon = 20
    public var quantity = 1.0
    public var side: Side = .sell
    public var actionLevels = 11
    public var initialCash = 100_000.0

    public init() {}
}

/// Where an order's units trade: rows of market data, each a decision point.
public protocol ExecutionVenue: Sendable {
    /// Rows of data.
    var rows: Int { get }
    /// The first row a decision can be taken at (earlier rows fill the observation window).
    var firstRow: Int { get }
    /// Floats of public features in an observation.
    var featureCount: Int { get }
    /// Writes the public features for a decision at `row` (from rows ≤ row only).
    func observe(row: Int, into out: UnsafeMutablePointer<Float>)
    /// The money `units` fetch (sell) or cost (buy) when executed at `row`.
    func fill(units: Double, side: OrderExecutionConfiguration.Side, row: Int) -> Double
    /// The price the reward's running average and the account's marking use.
    func referencePrice(row: Int) -> Double
}

/// Daily bars: units trade at the row's close; the observation is the 16 TradeMaster columns (or
/// the job's feature expressions) over the last `window` days (TradeMaster's prices divided by the
/// last close).
public struct DailyBarVenue: ExecutionVenue {
    public let data: AlgorithmicTradingData
    public let window: Int

    public init(data: AlgorithmicTradingData, window: Int = 10) {
        precondition(window >= 1 && data.days >= window, "DailyBarVenue: \(data.days) days for a window of \(window)")
        self.data = data
        self.window = window
    }

    public var rows: Int { data.days }
    public var firstRow: Int { window - 1 }
    /// The data's columns (TradeMaster's 16, or the job's feature expressions) over the window.
    public var featureCount: Int { data.values.count * window }

    public func observe(row: Int, into out: UnsafeMutablePointer<Float>) {
        let lastClose = data.close[row]
        var k = 0
        for (column, values) in data.values.enumerated() {
            for r in (row - window + 1)...row {
                out[k] = Float(column < data.priceColumns ? values[r] / lastClose : values[r])
                k += 1
            }
        }
    }

    public func fill(units: Double, side: OrderExecutionConfiguration.Side, row: Int) -> Double { units * data.close[row] }
    public func referencePrice(row: Int) -> Double { data.close[row] }
}

extension OrderExecutionEnvironment where Venue == DailyBarVenue {
    /// TradeMaster's PD task on daily bars, with a `window`-day observation.
    public init(data: AlgorithmicTradingData, window: Int = 10, configuration: Configuration = Configuration()) {
        self.init(venue: DailyBarVenue(data: data, window: window), configuration: configuration)
    }
}
