/// A strategy compiled for the per-bar paths: the indicator columns it reads (at most two) and
/// the rule that turns them into one signal per bar, with the little state the rule carries.
/// `Strategies.signals`, the fused single run and the sweeps all step through this, so a
/// strategy means the same thing everywhere.
public struct StrategyPlan: Sendable, Equatable {
    /// How indicator values become a signal.
    public enum Rule: Sendable, Equatable {
        /// a crosses above b → long, below → short; strict on both sides (a[i−1] < b[i−1] and
        /// a[i] > b[i]); NaNs compare false, so nothing fires before both exist on bar i − 1.
        case cross
        /// z below −entry → long, above +entry → short; a long closes once z ≥ −exit, a short once
        /// z ≤ exit. Each signal is given once.
        case bandReversion(entry: Double, exit: Double)
        /// value below `lower` → long, above `upper` → short.
        case levels(lower: Double, upper: Double)
        /// positive → long, negative → short.
        case sign
        /// long on bar 0.
        case buyAndHold
    }

    /// What a rule remembers from one bar to the next.
    public struct State: Sendable, Equatable {
        var previousA = Double.nan
        var previousB = Double.nan
        var wanted = 0
        public init() {}
    }

    public var rule: Rule
    public var kernels: [IndicatorKernel]
    /// The first bar at which every indicator exists (`Strategies.warmupBars`).
    public var warmup: Int

    /// Compiles and validates `spec`.
    /// - Throws: `BacktestError` for an unknown strategy or parameter, or a bad value.
    public init(_ spec: StrategySpec) throws {
        let unknown = spec.unknownParameters()
        guard unknown.isEmpty else {
            let known = (StrategySpec.catalog[spec.name] ?? [:]).keys.sorted().joined(separator: ", ")
            throw BacktestError.invalidParameter("\(spec.name): unknown parameter\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (known: \(known.isEmpty ? "none" : known))")
        }
        switch spec.name {
        case "sma_cross", "ema_cross":
            let (fast, slow) = (try spec.integer("fast"), try spec.integer("slow"))
            guard fast < slow else { throw BacktestError.invalidParameter("\(spec.name): parameter 'fast' (\(fast)) must be below 'slow' (\(slow))") }
            rule = .cross
            kernels = spec.name == "sma_cross" ? [.sma(fast), .sma(slow)] : [.ema(fast), .ema(slow)]
            warmup = slow - 1
        case "momentum":
            let lookback = try spec.integer("lookback")
            rule = .sign
            kernels = [.momentum(lookback)]
            warmup = lookback
        case "mean_reversion", "bollinger":
            let window = try spec.integer("window", minimum: 2)
            let entry = try spec.number(spec.name == "bollinger" ? "k" : "entry", minimum: 0)
            let exit = spec.name == "bollinger" ? 0 : try spec.number("exit", minimum: 0)
            guard exit <= entry else { throw BacktestError.invalidParameter("mean_reversion: parameter 'exit' (\(exit)) must not exceed 'entry' (\(entry))") }
            rule = .bandReversion(entry: entry, exit: exit)
            kernels = [.zScore(window)]
            warmup = window - 1
        case "rsi":
            let period = try spec.integer("period")
            let (lower, upper) = (try spec.number("lower", minimum: 0), try spec.number("upper", minimum: 0))
            guard lower < upper, upper <= 100 else { throw BacktestError.invalidParameter("rsi: parameters must satisfy 0 ≤ 'lower' (\(lower)) < 'upper' (\(upper)) ≤ 100") }
            rule = .levels(lower: lower, upper: upper)
            kernels = [.rsi(period)]
            warmup = period
        case "buy_and_hold":
            rule = .buyAndHold
            kernels = []
            warmup = 0
        default:
            throw BacktestError.unknownStrategy("unknown strategy '\(spec.name)' (known: \(StrategySpec.catalog.keys.sorted().joined(separator: ", ")))")
        }
    }

    /// The signal of bar `bar` from its indicator values `a` and `b` (b unused by one-column rules).
    public func step(a: Double, b: Double, bar: Int, state: inout State) -> Signal {
        func run<S: SignalStepper>(_ type: S.Type) -> Signal {
            var stepper = S(plan: self, state: state)
            let signal = stepper.step(a: a, b: b, bar: bar)
            state = stepper.state
            return signal
        }
        switch rule {
        case .cross: return run(CrossStepper.self)
        case .bandReversion: return run(BandStepper.self)
        case .levels: return run(LevelsStepper.self)
        case .sign: return run(SignStepper.self)
        case .buyAndHold: return run(BuyAndHoldStepper.self)
        }
    }
}
