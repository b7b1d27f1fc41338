/// The strategy statuses of the seed and the transitions `start` and `stop` may make:
/// `start` runs a strategy that is not running (draft, paused, stopped or error → active);
/// `stop` ends one that is running or paused (active, paused → stopped). Anything else is a 409
/// naming the current status. Edits never change the status; only these two actions do.
public enum StrategyLifecycle {
    public static let types = ["algorithmic_trading", "portfolio_management", "order_execution", "high_frequency_trading"]
    public static let statuses = StrategyStatus.allCases.map(\.rawValue)

    /// An action on a strategy's status.
    public enum Action: String, Sendable {
        case start, stop

        /// The statuses the action may leave from.
        public var allowedFrom: [StrategyStatus] {
            switch self {
            case .start: [.draft, .paused, .stopped, .error]
            case .stop: [.active, .paused]
            }
        }

        public var target: StrategyStatus {
            switch self {
            case .start: .active
            case .stop: .stopped
            }
        }
    }
}
