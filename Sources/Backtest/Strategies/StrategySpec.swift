/// A strategy by name and parameters, as the seed's `strategies.config` / `parameters` JSON holds
/// it: `{"name": "sma_cross", "parameters": {"fast": 10, "slow": 20}}`.
public struct StrategySpec: Sendable, Codable, Equatable {
    public var name: String
    public var parameters: [String: Double]

    public init(name: String, parameters: [String: Double] = [:]) {
        self.name = name
        self.parameters = parameters
    }

    /// The built-in strategies and their parameters (with defaults).
    public static let catalog: [String: [String: Double]] = [
        "sma_cross": ["fast": 10, "slow": 20],
        "ema_cross": ["fast": 12, "slow": 26],
        "momentum": ["lookback": 20],
        "mean_reversion": ["window": 20, "entry": 2, "exit": 0],
        "bollinger": ["window": 20, "k": 2],
        "rsi": ["period": 14, "lower": 30, "upper": 70],
        "buy_and_hold": [:],
    ]

    /// A finite number ≥ `minimum`, or its default.
    /// - Throws: `BacktestError.invalidParameter` naming the strategy and parameter.
    func number(_ key: String, minimum: Double) throws -> Double {
        let value = parameters[key] ?? StrategySpec.catalog[name]?[key] ?? .nan
        guard value.isFinite, value >= minimum else {
            throw BacktestError.invalidParameter("\(name): parameter '\(key)' must be a number ≥ \(minimum), got \(parameters[key].map { String($0) } ?? "nothing")")
        }
        return value
    }

    /// Parameters this strategy does not know, so a typo (`--param fsat=5`) is an error rather
    /// than a silent default.
    public func unknownParameters() -> [String] {
        guard let known = StrategySpec.catalog[name] else { return [] }
        return parameters.keys.filter { known[$0] == nil }.sorted()
    }

    /// An integer parameter ≥ `minimum`, or its default.
    /// - Throws: `BacktestError.invalidParameter` naming the strategy and parameter.
    func integer(_ key: String, minimum: Int = 1) throws -> Int {
        let value = parameters[key] ?? StrategySpec.catalog[name]?[key] ?? .nan
        guard value.isFinite, value == value.rounded(), Int(value) >= minimum else {
            throw BacktestError.invalidParameter("\(name): parameter '\(key)' must be an integer ≥ \(minimum), got \(parameters[key].map { String($0) } ?? "nothing")")
        }
        return Int(value)
    }
}

/// Errors from Backtest that name what is wrong.
public enum BacktestError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownStrategy(String)
    case invalidParameter(String)
    case io(String)

    public var description: String {
        switch self {
        case .unknownStrategy(let message), .invalidParameter(let message), .io(let message): return message
        }
    }
}
