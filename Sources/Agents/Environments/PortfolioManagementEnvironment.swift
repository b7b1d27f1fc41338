import Foundation
import Ingest

/// A panel of assets for portfolio management: per-day features and closes of N assets, aligned.
public struct PortfolioData: Sendable {
    /// TradeMaster's 11 DJ30 features, in its order.
    public static let features = ["zopen", "zhigh", "zlow", "zadjcp", "zclose", "zd_5", "zd_10", "zd_15", "zd_20", "zd_25", "zd_30"]
    public let symbols: [String]
    public let timestamps: [Int64]
    /// close[asset][day]
    public let close: [[Double]]
    /// features[feature][asset][day]
    public let features: [[[Double]]]
    public var days: Int { timestamps.count }
    public var assets: Int { symbols.count }

    public init(symbols: [String], timestamps: [Int64], close: [[Double]], features: [[[Double]]]) {
        precondition(close.count == symbols.count && close.allSatisfy { $0.count == timestamps.count }, "PortfolioData: one close per asset and day")
        self.symbols = symbols
        self.timestamps = timestamps
        self.close = close
        self.features = features
    }

    /// Every symbol of a bar file (in the file's order), aligned on the days they all have.
    public init(file: BarFile, symbols: [String]? = nil) throws {
        let names = symbols ?? file.symbols
        guard !names.isEmpty else { throw AgentsError.invalidData("\(file.path) has no symbols") }
        let present = try file.columns(of: names[0])
        let missing = (["close"] + Self.features).filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw AgentsError.invalidData("\(file.path): \(names[0]) lacks \(missing.joined(separator: ", ")) (add them with qf data preprocess --op trademaster_features)")
        }
        let panel = try Panel(file: file, symbols: names, columns: ["close"] + Self.features, alignment: .inner)
        self.init(symbols: names, timestamps: panel.timestamps, close: panel.values[0], features: Array(panel.values.dropFirst()))
    }
}

/// TradeMaster's portfolio-management environments: N assets and cash, the action a weight per
/// asset and for cash (index 0), rebalanced each day.
///
/// Each step: day += 1; the portfolio return R = Σᵢ wᵢ₊₁·(close_{t+1,i}/close_{t,i} − 1); the fee
/// c·V·Σ|w̃_prev − w| on the change from the previous step's drifted weights w̃_prev (all cash at
/// first); V' = (V − fee)(1 + R); the weights drift to w̃ = normalise([w₀, wᵢ₊₁·close_{t+1,i}/close_{t,i}]).
/// - `generic` (TradeMaster's `PortfolioManagementEnvironment`): the observation is today's 11
///   features × N assets (feature-major); the action is logits and w = softmax(action); the
///   reward is V' − V in money; the episode runs days − 1 steps.
/// - `eiie` (`PortfolioManagementEIIEEnvironment`): the observation is the last `window` days
///   of features per asset ((N, T, F) row-major); the action is the weights as given; the
///   previous weights start uniform; the reward is ln V' − ln V; the episode starts at day
///   window − 1 and runs days − window steps.
public struct PortfolioManagementEnvironment: TradingEnvironment {
    /// TradeMaster's two flavours.
    public enum Flavour: String, Sendable, Codable {
        case generic
        case eiie
    }

    public let data: PortfolioData
    public let flavour: Flavour
    public let fee: Double
    public let initialValue: Double
    public let window: Int
    public private(set) var day = 0
    public private(set) var value = 0.0
    /// The previous step's drifted weights (cash first).
    public private(set) var drifted: [Double] = []
    public private(set) var assets: [Double] = []
    public private(set) var dailyReturns: [Double] = []
    /// Per-step scratch, sized once by `reset`: this step's weights and each price's growth
    /// (cash first, growth 1).
    var weights: [Double] = []
    var growth: [Double] = []

    /// The weights the last step applied (cash first), after the softmax for `generic`.
    public var appliedWeights: [Double] { weights }

    public var actionCount: Int { data.assets + 1 }
    public var actionSpace: ActionSpace { .continuous(actionCount) }
    public var portfolioValue: Double { value }
    /// The reward: ln V′ − ln V (log return) or V′ − V (money); nil takes the flavour's
    /// (TradeMaster: money for `generic`, log return for `eiie`).
    public var logReturnReward: Bool?
    public var observationCount: Int { data.assets * data.features.count * (flavour == .eiie ? window : 1) }

    public init(data: PortfolioData, flavour: Flavour = .generic, fee: Double = 0.001, initialValue: Double = 100_000, window: Int = 10) {
        precondition(data.days > window, "PortfolioManagementEnvironment: \(data.days) days is too few for a window of \(window)")
        self.data = data
        self.flavour = flavour
        self.fee = fee
        self.initialValue = initialValue
        self.window = window
    }

    public var metrics: EpisodeMetrics { EpisodeMetrics(assets: assets, dailyReturns: dailyReturns) }

    public mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>) { reset(observation: observation) }

    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        preconditionFailure("PortfolioManagementEnvironment takes a weight (or logit) per asset and cash: step(continuous:)")
    }

    public mutating func step(continuous action: UnsafeBufferPointer<Float>, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        step(action, observation: observation)
    }

    public mutating func reset(observation: UnsafeMutableBufferPointer<Float>) {
        day = flavour == .eiie ? window - 1 : 0
        value = initialValue
        let n = data.assets + 1
        drifted = flavour == .eiie ? [Double](repeating: 1 / Double(n), count: n) : [1] + [Double](repeating: 0, count: n - 1)
        assets = [initialValue]
        dailyReturns = [0]
        assets.reserveCapacity(data.days)
        dailyReturns.reserveCapacity(data.days)
        weights = [Double](repeating: 0, count: n)
        growth = [Double](repeating: 1, count: n)
        observe(into: observation)
    }

    /// Takes an action from a network (logits for `generic`, weights for `eiie`).
    public mutating func step(_ action: UnsafeBufferPointer<Float>, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(action.count == actionCount, "PortfolioManagementEnvironment: \(action.count) action values for \(actionCount)")
        // The step that reports the end takes no action, and leaves the last weights readable.
        if day >= data.days - 1 { return advance(observation: observation) }
        for k in 0..<actionCount { weights[k] = Double(action[k]) }
        return advance(observation: observation)
    }

    /// Takes an action in double precision (TradeMaster's own actions are float64 arrays).
    public mutating func step(_ action: [Double], observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(action.count == actionCount, "PortfolioManagementEnvironment: \(action.count) action values for \(actionCount)")
        // The step that reports the end takes no action, and leaves the last weights readable.
        if day >= data.days - 1 { return advance(observation: observation) }
        for k in 0..<actionCount { weights[k] = action[k] }
        return advance(observation: observation)
    }

    /// One step with the action in `weights` (logits for `generic`), in the buffers set up by
    /// `reset`: nothing is allocated per step.
    mutating func advance(observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        guard day < data.days - 1 else {
            observe(into: observation)
            return StepOutcome(reward: 0, done: true)
        }
        if flavour == .generic { Self.softmax(&weights) }
        let t = day
        day += 1
        var r = 0.0
        for i in 0..<data.assets {
            growth[i + 1] = data.close[i][t + 1] / data.close[i][t]
            r += weights[i + 1] * (growth[i + 1] - 1)
        }
        var turnover = 0.0
        for k in 0..<actionCount { turnover += abs(drifted[k] - weights[k]) }
        let cost = turnover * fee * value
        let next = (value - cost) * (1 + r)
        let reward = (logReturnReward ?? (flavour == .eiie)) ? log(next) - log(value) : next - value
        var total = 0.0
        for k in 0..<actionCount {
            drifted[k] = weights[k] * growth[k]
            total += drifted[k]
        }
        for k in 0..<actionCount { drifted[k] /= total }
        value = next
        assets.append(next)
        dailyReturns.append(r)
        observe(into: observation)
        return StepOutcome(reward: reward, done: false)
    }

    /// Softmax in double precision, in place, stable for large logits.
    static func softmax(_ x: inout [Double]) {
        let m = x.max() ?? 0
        var s = 0.0
        for k in x.indices {
            x[k] = exp(x[k] - m)
            s += x[k]
        }
        for k in x.indices { x[k] /= s }
    }

    func observe(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= observationCount, "PortfolioManagementEnvironment: observation buffer of \(out.count) for \(observationCount)")
        var k = 0
        switch flavour {
        case .generic:
            for feature in data.features { for asset in 0..<data.assets { out[k] = Float(feature[asset][day]); k += 1 } }
        case .eiie:
            for asset in 0..<data.assets {
                for row in (day - window + 1)...day {
                    for feature in data.features { out[k] = Float(feature[asset][row]); k += 1 }
                }
            }
        }
    }
}
