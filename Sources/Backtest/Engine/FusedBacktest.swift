/// One strategy over one symbol in a single fused pass: indicators are computed a block of bars at
/// a time into buffers that stay in the L1/L2 cache, the block's signals are reduced to the few
/// bars where something happens (crossings found from bit masks of the sides, 64 bars per word),
/// and the account is carried from fill to fill with each run of unchanged bars marked in one
/// vectorised loop. The
/// only memory traffic is reading the prices and writing the equity curve. Results are
/// bit-identical to `Strategies.signals` + `SignalBacktest.run` (tested), which remain the
/// readable form of the same rules.
public enum FusedBacktest {
    /// Bars per block: two indicator columns of 4,096 doubles (64 KiB) sit in L2 next to the prices.
    public static let blockSize = 4_096

    /// Runs `spec` over the bars, writing equity (and positions, when given) for every bar into
    /// the caller's buffers, which may be reused from run to run.
    /// - Returns: the closed trades and the account after the last bar.
    /// - Throws: `BacktestError` for a bad strategy.
    public static func run(_ spec: StrategySpec, open: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>,
                           timestamps: UnsafeBufferPointer<Int64>, settings: ExecutionSettings,
                           equity: UnsafeMutableBufferPointer<Double>, positions: UnsafeMutableBufferPointer<Double>?) throws -> (trades: [TradeRecord], finalState: AccountState) {
        var trades: [TradeRecord] = []
        let final = try run(spec, open: open, close: close, timestamps: timestamps, settings: settings, equity: equity, positions: positions, trades: &trades)
        return (trades, final)
    }

    /// The same, with the closed trades written into `trades` (emptied first, its storage kept):
    /// a caller running many backtests reuses one list instead of touching megabytes of fresh
    /// memory each time.
    /// - Returns: the account after the last bar.
    public static func run(_ spec: StrategySpec, open: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>,
                           timestamps: UnsafeBufferPointer<Int64>, settings: ExecutionSettings,
                           equity: UnsafeMutableBufferPointer<Double>, positions: UnsafeMutableBufferPointer<Double>?,
                           trades: inout [TradeRecord]) throws -> AccountState {
        let plan = try StrategyPlan(spec)
        let n = close.count
        precondition(open.count == n && timestamps.count == n, "FusedBacktest: columns of unequal length")
        precondition(equity.count >= n && (positions?.count ?? n) >= n, "FusedBacktest: output buffers shorter than \(n) bars")
        var executor = RunExecutor(cash: settings.initialCash, plan: plan, peer: settings.peer)
        trades.removeAll(keepingCapacity: true)
        guard n > 0 else { return executor.account }
        var recorder = Recorder(equity: equity.baseAddress!, positions: positions?.baseAddress)
        swap(&recorder.trades, &trades)
        // Room for a trade every 32 bars up front: growing a list of hundreds of thousands of
        // trades by doubling would copy it again and again.
        recorder.trades.reserveCapacity(min(n / 32, 1 << 22))
        let prices = PriceColumns(open: open.baseAddress!, close: close.baseAddress!, times: timestamps.baseAddress!, count: n, prefetchAhead: blockSize)
        let wipeOut = settings.initialCash * ExecutionSettings.wipeOutFraction
        let arithmetic = settings.peer?.meanArithmetic ?? .quantforge
        var states = [IndicatorKernel.State](repeating: IndicatorKernel.State(arithmetic: arithmetic), count: plan.kernels.count)
        let scratchBytes = (3 * blockSize + 4) * MemoryLayout<Double>.stride + SignalEvents.byteCount(capacity: blockSize)
        withUnsafeTemporaryAllocation(byteCount: scratchBytes, alignment: 64) { raw in
            let a = raw.baseAddress!.bindMemory(to: Double.self, capacity: 3 * blockSize)
            let b = a + blockSize, scratch = b + blockSize
            let eventMemory = raw.baseAddress! + (3 * blockSize + 4) * 8
            var start = 0
            while start < n {
                let range = start..<min(start + blockSize, n)
                var events = SignalEvents(memory: eventMemory, capacity: blockSize)
                if settings.fill == .nextOpen { events.prefetchOpens = open.baseAddress! }
                events.prefetchTimes = timestamps.baseAddress!
                if arithmetic == .quantforge, case .cross = plan.rule, case .sma(let fast) = plan.kernels[0], case .sma(let slow) = plan.kernels[1],
                   !RollingMean.identicalWindows(close, window: max(fast, slow), range: range) {
                    // Two rolling means (no window of identical values in this block, checked for
                    // the longer window, which covers the shorter): their sums, then one pass
                    // that divides, compares and finds the crossings.
                    RollingMean.sums(close, window: fast, range: range, into: a)
                    RollingMean.sums(close, window: slow, range: range, into: b)
                    EventFinder.crossingsOfMeans(sumsA: a, windowA: fast, sumsB: b, windowB: slow, range: range, previous: &executor.side, into: &events)
                } else {
                    if plan.kernels.count > 0 { plan.kernels[0].fill(close, range: range, into: a, state: &states[0]) }
                    if plan.kernels.count > 1 { plan.kernels[1].fill(close, range: range, into: b, state: &states[1]) }
                    findEvents(plan, a: plan.kernels.count > 0 ? UnsafePointer(a) : nil, b: plan.kernels.count > 1 ? UnsafePointer(b) : nil,
                               range: range, executor: &executor, into: &events)
                }
                executor.advance(events: events, range: range, prices: prices, settings: settings, wipeOut: wipeOut, scratch: scratch, observer: &recorder)
                start = range.upperBound
            }
        }
        // The caller's list, now holding this run's trades, goes back to the caller.
        swap(&recorder.trades, &trades)
        return executor.account
    }

    /// A block's signal events for `plan`: crossings found from bit masks (`EventFinder`), other rules stepped.
    @inline(__always)
    static func findEvents(_ plan: StrategyPlan, a: UnsafePointer<Double>?, b: UnsafePointer<Double>?, range: Range<Int>,
                           executor: inout RunExecutor, into events: inout SignalEvents) {
        func stepped<S: SignalStepper>(_ type: S.Type) {
            var stepper = S(plan: plan, state: executor.ruleState)
            EventFinder.stepped(&stepper, a: a, b: b, range: range, into: &events)
            executor.ruleState = stepper.state
        }
        switch plan.rule {
        case .cross:
            if executor.crossesThroughTies {
                EventFinder.crossingsThroughTies(ValuePair(a: a!, b: b!), range: range, state: &executor.side, into: &events)
            } else {
                EventFinder.crossings(a: a!, b: b!, range: range, previous: &executor.side, into: &events)
            }
        case .bandReversion: stepped(BandStepper.self)
        case .levels: stepped(LevelsStepper.self)
        case .sign: stepped(SignStepper.self)
        case .buyAndHold: stepped(BuyAndHoldStepper.self)
        }
    }

    /// Runs `spec` over arrays and returns the whole result (new equity and position arrays).
    public static func run(_ spec: StrategySpec, open: [Double], close: [Double], timestamps: [Int64], settings: ExecutionSettings) throws -> BacktestResult {
        let n = close.count
        var equity = [Double](repeating: 0, count: n), positions = [Double](repeating: 0, count: n)
        let (trades, final) = try open.withUnsafeBufferPointer { o in
            try close.withUnsafeBufferPointer { c in
                try timestamps.withUnsafeBufferPointer { t in
                    try equity.withUnsafeMutableBufferPointer { e in
                        try positions.withUnsafeMutableBufferPointer { p in try run(spec, open: o, close: c, timestamps: t, settings: settings, equity: e, positions: p) }
                    }
                }
            }
        }
        return BacktestResult(equity: equity, positions: positions, trades: trades, finalState: final,
                              lastClose: close.last ?? .nan, lastTime: timestamps.last ?? 0)
    }

    /// Has equity written straight into the caller's buffer, fills positions, collects trades.
    struct Recorder: RunObserver {
        let equity: UnsafeMutablePointer<Double>
        let positions: UnsafeMutablePointer<Double>?
        var trades: [TradeRecord] = []

        @inline(__always)
        mutating func equityDestination(_ range: Range<Int>) -> UnsafeMutablePointer<Double>? { equity + range.lowerBound }

        @inline(__always)
        mutating func run(_ range: Range<Int>, equity: UnsafePointer<Double>, units: Double) {
            guard let positions else { return }
            (positions + range.lowerBound).update(repeating: units, count: range.count)
        }

        mutating func trade(_ t: TradeRecord) { trades.append(t) }
    }
}
