import Expressions
import Ingest

/// The daily bars an algorithmic-trading episode walks: TradeMaster's 16 columns per day, or the
/// user's own feature expressions (`config.features`).
public struct AlgorithmicTradingData: Sendable {
    /// TradeMaster's technical columns, in its order (the observation's order).
    public static let columns = ["high", "low", "open", "close", "adjcp", "zopen", "zhigh", "zlow", "zadjcp", "zclose",
                                 "zd_5", "zd_10", "zd_15", "zd_20", "zd_25", "zd_30"]
    /// values[column][day]: TradeMaster's `columns` in order, or the feature expressions'.
    public let values: [[Double]]
    public let timestamps: [Int64]
    public var days: Int { timestamps.count }
    /// The close and the open of each day.
    public let close: [Double]
    public let open: [Double]
    /// The leading columns that are prices (divided by the last close in normalised observations):
    /// TradeMaster's first five; none for feature expressions, whose scale is the user's.
    public let priceColumns: Int

    /// TradeMaster's 16 columns.
    public init(values: [[Double]], timestamps: [Int64]) {
        precondition(values.count == Self.columns.count && values.allSatisfy { $0.count == timestamps.count },
                     "AlgorithmicTradingData: \(Self.columns.count) columns of one value per day")
        self.values = values
        self.timestamps = timestamps
        close = values[3]
        open = values[2]
        priceColumns = 5
    }

    /// Feature columns of the user's own, with the closes the account trades at (and the opens a
    /// backtest of the policy may fill at).
    public init(features: [[Double]], close: [Double], open: [Double], timestamps: [Int64]) {
        precondition(!features.isEmpty && features.allSatisfy { $0.count == timestamps.count } && close.count == timestamps.count
                     && open.count == timestamps.count, "AlgorithmicTradingData: feature columns of one value per day")
        values = features
        self.close = close
        self.open = open
        self.timestamps = timestamps
        priceColumns = 0
    }

    /// The days `range` (features or TradeMaster's columns alike).
    public func days(_ range: Range<Int>) -> AlgorithmicTradingData {
        let times = Array(timestamps[range])
        if priceColumns == 0 {
            return AlgorithmicTradingData(features: values.map { Array($0[range]) }, close: Array(close[range]), open: Array(open[range]), timestamps: times)
        }
        return AlgorithmicTradingData(values: values.map { Array($0[range]) }, timestamps: times)
    }

    /// `features` (expressions over the symbol's columns, docs/expressions.md) as the observation's
    /// columns: each computed over the whole file, the days before every feature exists (their
    /// warm-up) dropped, and a value that is not finite later (a division by zero) fed as 0.
    /// - Throws: `AgentsError.invalidConfiguration` naming `config.features[k]` and the mistake.
    public init(file: BarFile, symbol: String?, features: [String]) throws {
        guard let name = symbol ?? file.symbols.first else { throw AgentsError.invalidData("\(file.path) has no symbols") }
        var columns: [String: [Double]] = [:]
        for column in try file.columns(of: name) {
            let values = try file.column(column, of: name)
            columns[column] = values
            if columns[column.lowercased()] == nil { columns[column.lowercased()] = values }
        }
        guard let close = columns["close"] else { throw AgentsError.invalidData("\(file.path): symbol \(name) has no close column") }
        let computed = try FeatureExpressions.evaluate(features, on: Frame(symbol: name, columns: columns))
        // The first day on which every feature has a value.
        let first = computed.map { values in values.firstIndex { !$0.isNaN } ?? values.count }.max() ?? 0
        guard first < close.count else { throw AgentsError.invalidData("\(file.path): the features never all have a value (windows longer than the \(close.count) days?)") }
        let range = first..<close.count
        self.init(features: computed.map { values in values[range].map { $0.isFinite ? $0 : 0 } }, close: Array(close[range]),
                  open: Array((columns["open"] ?? close)[range]), timestamps: Array(try file.timestamps(of: name)[range]))
    }

    /// Reads the 16 columns of `symbol` (default: the first) from a bar file; features missing from
    /// the file are an error naming them (`qf data preprocess --op trademaster_features` adds them).
    /// A file without `adjcp` (most bar files outside TradeMaster's) uses its close, as the
    /// features do when they are computed without one.
    public init(file: BarFile, symbol: String? = nil) throws {
        guard let name = symbol ?? file.symbols.first else { throw AgentsError.invalidData("\(file.path) has no symbols") }
        let present = try file.columns(of: name)
        let missing = Self.columns.filter { !present.contains($0) && !($0 == "adjcp" && present.contains("close")) }
        guard missing.isEmpty else {
            throw AgentsError.invalidData("\(file.path): symbol \(name) lacks \(missing.joined(separator: ", ")) (add them with qf data preprocess --op trademaster_features)")
        }
        let stored = { (column: String) in column == "adjcp" && !present.contains("adjcp") ? "close" : column }
        self.init(values: try Self.columns.map { try file.column(stored($0), of: name) }, timestamps: try file.timestamps(of: name))
    }
}

/// TradeMaster's `AlgorithmicTradingEnvironment` (single asset, daily): trade −1, 0 or +1 unit at
/// the last close each day, fee 0.1%.
///
/// Observation: the 16 columns over the last `backwardDays` days, oldest first, column-major,
/// then cash and holding. The trade fills at the close of the last day in the window; buys cost
/// P/(1 − c) a unit and are limited by cash, sells yield P·(1 − c). An episode starts at day
/// `backwardDays` with 100,000 cash and trades on days backwardDays … days − forwardDays − 2
/// (days − 11 steps for the defaults); the step after reports the end without trading.
///
/// `Configuration.tradeMaster` reproduces TradeMaster bit for bit, defects included (tested
/// against its golden vectors); the default configuration fixes them:
/// - reward: TradeMaster adds a hindsight bonus 0.2·h·(close[t+3] − close[t−1]) that reads future
///   prices; by default the reward is the realised change of portfolio value (fees included), and
///   the bonus is available for training only (`lookAheadBonus`);
/// - shorts: TradeMaster charges opening a short like a purchase (cash falls by P/(1 − c)) and
///   credits covering it like a sale, so a short position loses about 2P at once; by default a
///   short sale credits the proceeds and covering it costs cash (margin accounting), and a short
///   may not exceed the account's value, as purchases may not exceed its cash (no leverage);
/// - observations: TradeMaster feeds raw prices (~10⁴) and cash (~10⁵) to the network; by default
///   prices are divided by the last close, cash by the initial cash and the holding turned into
///   its value as a fraction of the initial cash.
public struct AlgorithmicTradingEnvironment: TradingEnvironment {
    /// How rewards are computed.
    public enum Reward: String, Sendable, Codable {
        /// The change in portfolio value over the step, fees included.
        case realised
        /// TradeMaster's h'·((p_new − p_old) + bonus·(p_future − p_old)).
        case tradeMaster = "trademaster"
    }

    /// How short positions touch cash.
    public enum ShortAccounting: String, Sendable, Codable {
        /// A short sale credits its proceeds; covering costs cash.
        case margin
        /// TradeMaster's: opening a short costs cash like a purchase, covering credits cash.
        case tradeMaster = "trademaster"
    }

    /// Every knob, with TradeMaster's values unless the fixes above.
    public struct Configuration: Sendable, Codable, Equatable {
        public var backwardDays = 5
        public var forwardDays = 5
        /// Units traded by an action: action − maxVolume ∈ −maxVolume…maxVolume.
        public var maxVolume = 1
        public var fee = 0.001
        public var initialCash = 100_000.0
        public var reward: Reward = .realised
        /// Weight of the hindsight bonus in TradeMaster's reward (training only).
        public var lookAheadBonus = 0.2
        public var shorts: ShortAccounting = .margin
        public var normalizeObservations = true

        public init() {}

        /// TradeMaster's environment exactly, defects included.
        public static var tradeMaster: Configuration {
            var c = Configuration()
            c.reward = .tradeMaster
            c.shorts = .tradeMaster
            c.normalizeObservations = false
            return c
        }
    }

    public let data: AlgorithmicTradingData
    public let configuration: Configuration
    public private(set) var day = 0
    public private(set) var cash = 0.0
    public private(set) var holding = 0.0
    /// Total assets after each step, the initial value first (TradeMaster's `asset_memory`).
    public private(set) var assets: [Double] = []
    /// h'·(p_new − p_old) of each step, 0 first (TradeMaster's `daily_return` memory, in dollars).
    public private(set) var dailyReturns: [Double] = []

    public var observationCount: Int { data.values.count * configuration.backwardDays + 2 }
    public var actionCount: Int { 2 * configuration.maxVolume + 1 }
    public var portfolioValue: Double { cash + holding * data.close[day - 1] }
    /// Trading steps in one episode.
    public var stepsPerEpisode: Int { max(0, data.days - configuration.forwardDays - 1 - configuration.backwardDays) }

    public init(data: AlgorithmicTradingData, configuration: Configuration = Configuration()) {
        precondition(data.days > configuration.backwardDays + configuration.forwardDays + 1,
                     "AlgorithmicTradingEnvironment: \(data.days) days is too few for windows of \(configuration.backwardDays) + \(configuration.forwardDays)")
        self.data = data
        self.configuration = configuration
        day = configuration.backwardDays
        cash = configuration.initialCash
    }

    /// The metrics of the episode so far (TradeMaster's `evaluate`).
    public var metrics: EpisodeMetrics { EpisodeMetrics(assets: assets, dailyReturns: dailyReturns) }

    public mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>) {
        day = configuration.backwardDays
        cash = configuration.initialCash
        holding = 0
        assets = [configuration.initialCash]
        dailyReturns = [0]
        // Room for the whole episode, so steps append without reallocating.
        assets.reserveCapacity(stepsPerEpisode + 1)
        dailyReturns.reserveCapacity(stepsPerEpisode + 1)
        observe(into: observation)
    }

    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition((0..<actionCount).contains(action), "AlgorithmicTradingEnvironment: action \(action) outside 0..<\(actionCount)")
        let c = configuration
        guard day < data.days - c.forwardDays - 1 else {
            observe(into: observation)
            return StepOutcome(reward: 0, done: true)
        }
        let before = portfolioValue
        let price = data.close[day - 1]
        execute(Double(action - c.maxVolume), at: price)
        day += 1
        let now = data.close[day - 1], previous = data.close[day - 2]
        if c.shorts == .margin && holding < 0 && portfolioValue <= 0 {
            // A short that has lost the whole account is closed out at this close (a margin
            // call); the account keeps its non-positive value and can no longer trade.
            cash = portfolioValue
            holding = 0
        }
        let value = portfolioValue
        let reward: Double
        switch c.reward {
        case .tradeMaster:
            let future = data.close[day + c.forwardDays - 2]
            reward = holding * ((now - previous) + c.lookAheadBonus * (future - previous))
        case .realised:
            reward = value - before
        }
        assets.append(value)
        dailyReturns.append(holding * (now - previous))
        observe(into: observation)
        return StepOutcome(reward: reward, done: false)
    }

    /// Trades `volume` units (positive buys) at `price`.
    mutating func execute(_ volume: Double, at price: Double) {
        let c = configuration.fee
        let buyCost = price / (1 - c), sellProceeds = price * (1 - c)
        switch configuration.shorts {
        case .tradeMaster:
            // TradeMaster's rule by the size of the position, not by the side of the order.
            let next = holding + volume
            let change = abs(next) - abs(holding)
            if change < 0 {
                cash += abs(change) * sellProceeds
                holding = next
            } else {
                let cost = abs(volume) * buyCost
                if cash > cost {
                    cash -= cost
                    holding = next
                } else {
                    let affordable = (cash / buyCost).rounded(.towardZero)
                    let filled = volume < 0 ? -affordable : (volume > 0 ? affordable : 0)
                    holding += filled
                    cash -= affordable * buyCost
                }
            }
        case .margin:
            if volume > 0 {
                // A purchase (or covering a short) costs cash and is limited by it.
                let units = cash > volume * buyCost ? volume : (cash / buyCost).rounded(.towardZero)
                holding += units
                cash -= units * buyCost
            } else if volume < 0 {
                // Selling what is held always goes through; a short sale only while the short
                // position stays within the account's value (no leverage, as buys are limited
                // by cash).
                let held = Swift.max(holding, 0)
                let value = cash + holding * price
                let shortRoom = Swift.max(0, (value / price).rounded(.down) - Swift.max(-holding, 0))
                let units = Swift.min(-volume, held + shortRoom)
                holding -= units
                cash += units * sellProceeds
            }
        }
    }

    /// Writes the observation of the current day.
    func observe(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= observationCount, "AlgorithmicTradingEnvironment: observation buffer of \(out.count) for \(observationCount)")
        let b = configuration.backwardDays
        let lastClose = data.close[day - 1]
        var k = 0
        for (column, values) in data.values.enumerated() {
            let isPrice = column < data.priceColumns
            for row in (day - b)..<day {
                let v = values[row]
                out[k] = Float(configuration.normalizeObservations && isPrice ? v / lastClose : v)
                k += 1
            }
        }
        if configuration.normalizeObservations {
            out[k] = Float(cash / configuration.initialCash)
            out[k + 1] = Float(holding * lastClose / configuration.initialCash)
        } else {
            out[k] = Float(cash)
            out[k + 1] = Float(holding)
        }
    }
}

/// Errors from Agents that name what is wrong.
public enum AgentsError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidData(String)
    case invalidConfiguration(String)
    /// Work stopped on request (Ctrl-C) before it finished; its checkpoints stay.
    case cancelled(String)

    public var description: String {
        switch self {
        case .invalidData(let message), .invalidConfiguration(let message), .cancelled(let message): return message
        }
    }
}
