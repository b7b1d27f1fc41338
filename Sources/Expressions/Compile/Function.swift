/// The functions an expression may call, with what each takes and gives. Semantics are pandas'
/// (NaN until a window is full: `min_periods` = window; a window holding a NaN is NaN) unless
/// said otherwise; `Kernels` computes them.
public enum Function: String, Sendable, Hashable, CaseIterable {
    case sma, ema, wma, std, sum, highest, lowest, shift, diff
    case pctChange = "pct_change"
    case zscore, rank, corr, rsi, atr
    case abs, log, exp, sqrt, sign, min, max
    case `where`
    case crossedAbove = "crossed_above"
    case crossedBelow = "crossed_below"
    case csRank = "cs_rank"
    case csZscore = "cs_zscore"
    case csDemean = "cs_demean"

    /// What one argument must be.
    public enum Argument: Sendable, Equatable {
        /// A per-bar number series (a number is a constant series).
        case series
        /// A per-bar condition.
        case condition
        /// A whole number of bars, known before the run (a number, a parameter, or arithmetic on
        /// them), at least `minimum`.
        case bars(minimum: Int)
    }

    /// The arguments in order.
    public var arguments: [Argument] {
        switch self {
        case .sma, .ema, .wma, .sum, .highest, .lowest, .rank, .rsi: return [.series, .bars(minimum: 1)]
        case .std, .zscore: return [.series, .bars(minimum: 2)]
        case .shift, .diff, .pctChange: return [.series, .bars(minimum: 0)]
        case .corr: return [.series, .series, .bars(minimum: 2)]
        case .atr: return [.bars(minimum: 1)]
        case .abs, .log, .exp, .sqrt, .sign, .csRank, .csZscore, .csDemean: return [.series]
        case .min, .max: return [.series, .series]
        case .where: return [.condition, .series, .series]
        case .crossedAbove, .crossedBelow: return [.series, .series]
        }
    }

    /// Whether the result is a condition (else a number series).
    public var givesCondition: Bool { self == .crossedAbove || self == .crossedBelow }

    /// The columns a function reads by itself (`atr` reads the bars' high, low and close).
    public var impliedColumns: [String] { self == .atr ? ["high", "low", "close"] : [] }

    /// Whether each bar's value depends on that bar's inputs alone (no window, no state).
    public var isElementwise: Bool {
        switch self {
        case .abs, .log, .exp, .sqrt, .sign, .min, .max, .where: return true
        default: return false
        }
    }

    /// Whether the function works across the symbols of one bar.
    public var isCrossSectional: Bool { self == .csRank || self == .csZscore || self == .csDemean }

    /// How it is called, for messages: `sma(x, n)`.
    public var signature: String {
        let names: [String]
        switch self {
        case .corr: names = ["x", "y", "n"]
        case .atr: names = ["n"]
        case .min, .max, .crossedAbove, .crossedBelow: names = ["a", "b"]
        case .where: names = ["condition", "a", "b"]
        case .shift, .diff, .pctChange: names = ["x", "k"]
        default: names = arguments.count == 1 ? ["x"] : ["x", "n"]
        }
        return "\(rawValue)(\(names.joined(separator: ", ")))"
    }
}
