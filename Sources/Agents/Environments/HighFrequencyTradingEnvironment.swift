/// TradeMaster's high-frequency trading task on one-second order-book snapshots: action a of 11
/// sets the target position to a/10 of `maxPosition` (0.01 BTC); the order walks the five book
/// levels of the snapshot it was decided on (asks for a purchase, bids for a sale) and what the
/// book cannot fill stays unfilled; fee 0.005% of the traded value; the account is marked at the
/// next snapshot's best bid, and the reward is the change in that value.
///
/// Observation: the snapshot's 76 normalised features, then the position as a fraction of
/// `maxPosition`. One episode walks the whole series.
public struct HighFrequencyTradingEnvironment: TradingEnvironment {
    public struct Configuration: Sendable, Codable, Equatable {
        public var maxPosition = 0.01
        public var fee = 0.00005
        public var initialCash = 100_000.0
        public var actions = 11

        public init() {}
    }

    public let data: HighFrequencyData
    public let configuration: Configuration
    /// The snapshot the next decision is taken on.
    public private(set) var row = 0
    public private(set) var cash = 0.0
    public private(set) var position = 0.0
    /// Units the last order could not fill for lack of depth.
    public private(set) var unfilled = 0.0

    public var observationCount: Int { HighFrequencyData.features.count + 1 }
    public var actionCount: Int { configuration.actions }
    public var portfolioValue: Double { cash + position * data.bidPrice[0][row] }

    public init(data: HighFrequencyData, configuration: Configuration = Configuration()) {
        precondition(data.rows >= 2, "HighFrequencyTradingEnvironment: at least two snapshots")
        self.data = data
        self.configuration = configuration
    }

    public mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>) {
        row = 0
        cash = configuration.initialCash
        position = 0
        unfilled = 0
        observe(into: observation)
    }

    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition((0..<actionCount).contains(action), "HighFrequencyTradingEnvironment: action \(action) outside 0..<\(actionCount)")
        guard row < data.rows - 1 else {
            observe(into: observation)
            return StepOutcome(reward: 0, done: true)
        }
        let before = portfolioValue
        let target = Double(action) / Double(configuration.actions - 1) * configuration.maxPosition
        let wanted = target - position
        if wanted > 0 {
            let (units, cost) = Self.walk(prices: data.askPrice, sizes: data.askSize, row: row, units: wanted)
            position += units
            cash -= cost * (1 + configuration.fee)
            unfilled = wanted - units
        } else if wanted < 0 {
            let (units, proceeds) = Self.walk(prices: data.bidPrice, sizes: data.bidSize, row: row, units: -wanted)
            position -= units
            cash += proceeds * (1 - configuration.fee)
            unfilled = -wanted - units
        } else {
            unfilled = 0
        }
        row += 1
        observe(into: observation)
        return StepOutcome(reward: portfolioValue - before, done: false)
    }

    /// Takes up to `units` from the five levels in order; returns the units filled and their value.
    static func walk(prices: [[Double]], sizes: [[Double]], row: Int, units: Double) -> (units: Double, value: Double) {
        var left = units, value = 0.0
        for level in 0..<prices.count where left > 0 {
            let take = min(left, sizes[level][row])
            value += take * prices[level][row]
            left -= take
        }
        return (units - left, value)
    }

    func observe(into out: UnsafeMutableBufferPointer<Float>) {
        let f = HighFrequencyData.features.count
        precondition(out.count >= f + 1, "HighFrequencyTradingEnvironment: observation buffer of \(out.count) for \(f + 1)")
        for j in 0..<f { out[j] = data.features[row * f + j] }
        out[f] = Float(position / configuration.maxPosition)
    }
}
