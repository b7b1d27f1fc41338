/// One signal rule as a small value stepped bar by bar. `StrategyPlan.step` and the fused loops
/// both use these, so a rule is written once; the fused loops pick the stepper type once per
/// block, which leaves a loop with no dispatch inside.
protocol SignalStepper {
    init(plan: StrategyPlan, state: StrategyPlan.State)
    var state: StrategyPlan.State { get }
    mutating func step(a: Double, b: Double, bar: Int) -> Signal
}

/// a crosses above b → long, below → short, strict on both sides.
struct CrossStepper: SignalStepper {
    var previousA: Double, previousB: Double
    init(plan: StrategyPlan, state: StrategyPlan.State) { previousA = state.previousA; previousB = state.previousB }
    var state: StrategyPlan.State { var s = StrategyPlan.State(); s.previousA = previousA; s.previousB = previousB; return s }

    @inline(__always)
    mutating func step(a: Double, b: Double, bar: Int) -> Signal {
        let pa = previousA, pb = previousB
        previousA = a
        previousB = b
        // Branch-free tests (which side a was on is a coin flip bar to bar); only the rare
        // crossing itself branches.
        let up = (pa < pb ? 1 : 0) & (a > b ? 1 : 0), down = (pa > pb ? 1 : 0) & (a < b ? 1 : 0)
        if up | down == 0 { return .hold }
        return up != 0 ? .long : .short
    }
}

/// z below −entry → long, above +entry → short; exits once z is back to ∓exit; each signal once.
struct BandStepper: SignalStepper {
    let entry: Double, exit: Double
    var wanted: Int
    init(plan: StrategyPlan, state: StrategyPlan.State) {
        if case .bandReversion(let e, let x) = plan.rule { entry = e; exit = x } else { entry = .nan; exit = .nan }
        wanted = state.wanted
    }
    var state: StrategyPlan.State { var s = StrategyPlan.State(); s.wanted = wanted; return s }

    @inline(__always)
    mutating func step(a z: Double, b: Double, bar: Int) -> Signal {
        if z.isNaN { return .hold }
        if z < -entry {
            if wanted != 1 { wanted = 1; return .long }
        } else if z > entry {
            if wanted != -1 { wanted = -1; return .short }
        } else if wanted == 1 && z >= -exit {
            wanted = 0
            return .flat
        } else if wanted == -1 && z <= exit {
            wanted = 0
            return .flat
        }
        return .hold
    }
}

/// value below `lower` → long, above `upper` → short.
struct LevelsStepper: SignalStepper {
    let lower: Double, upper: Double
    init(plan: StrategyPlan, state: StrategyPlan.State) {
        if case .levels(let l, let u) = plan.rule { lower = l; upper = u } else { lower = .nan; upper = .nan }
    }
    var state: StrategyPlan.State { StrategyPlan.State() }

    @inline(__always)
    mutating func step(a: Double, b: Double, bar: Int) -> Signal { a < lower ? .long : (a > upper ? .short : .hold) }
}

/// positive → long, negative → short.
struct SignStepper: SignalStepper {
    init(plan: StrategyPlan, state: StrategyPlan.State) {}
    var state: StrategyPlan.State { StrategyPlan.State() }

    @inline(__always)
    mutating func step(a: Double, b: Double, bar: Int) -> Signal { a > 0 ? .long : (a < 0 ? .short : .hold) }
}

/// long on bar 0, nothing after.
struct BuyAndHoldStepper: SignalStepper {
    init(plan: StrategyPlan, state: StrategyPlan.State) {}
    var state: StrategyPlan.State { StrategyPlan.State() }

    @inline(__always)
    mutating func step(a: Double, b: Double, bar: Int) -> Signal { bar == 0 ? .long : .hold }
}
