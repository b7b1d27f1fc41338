import CMemoryHints
import CVectorBits

/// Receives what an executor produces: runs of bars over which the account did not change, and
/// the trades it closed. Generic use specialises the executor for each observer.
protocol RunObserver {
    /// Where the equity of the bars in `range` should be written; nil for a scratch buffer.
    mutating func equityDestination(_ range: Range<Int>) -> UnsafeMutablePointer<Double>?
    /// The bars in `range` closed with `units` held and equity `equity[0 ..< range.count]`.
    mutating func run(_ range: Range<Int>, equity: UnsafePointer<Double>, units: Double)
    mutating func trade(_ t: TradeRecord)
}

/// Whole-series columns the executor reads (read-only, so shared across sweep workers).
struct PriceColumns: @unchecked Sendable {
    let open: UnsafePointer<Double>
    let close: UnsafePointer<Double>
    /// Bar times, when trades should carry them (nil: times 0, filled in later or never needed).
    var times: UnsafePointer<Int64>? = nil
    /// Bars in the series: a run's last one to three bars are marked as one more vector only
    /// when four bars remain from there, otherwise one by one.
    let count: Int
    /// How far ahead (in bars) marking a bar starts fetching the close and the equity line of a
    /// later bar; 0 for none. A fused run passes its block size: carrying the account through a
    /// block is a chain of dependent fills that leaves the memory system idle, so the next
    /// block's prices arrive meanwhile instead of stalling its indicator pass (10-12% of a 10 M-bar
    /// run on Zen 3). Sweeps leave it at 0: their prices are read by every combination and stay cached.
    var prefetchAhead = 0
}

/// One strategy combination's account executed from its signal events, block by block, with no
/// allocation. Between two fills the account is constant, so a run's equity, cash + units·close,
/// is one vectorised loop; the wipe-out test is a vectorised minimum. Each bar's equity and every
/// fill are exactly those of `SignalBacktest.run` (tested bit for bit). Trade times come from
/// the timestamp column, prefetched when the block's events are found (a fill would otherwise
/// wait for a cache miss); sweeps leave them out (times 0), their figures never use them.
struct RunExecutor {
    var account: AccountState
    /// A `next_open` signal from the last bar of the previous block, filled at this block's first open.
    var pending: Signal = .hold
    /// Which side of b the first column was on at the last bar (crossing rules).
    var side: Int8 = 0
    /// Crossings pass through ties, as vectorbt's `crossed_above` (then `side` holds
    /// `TieCrossing`'s state instead).
    var crossesThroughTies = false
    /// A crossing into the position already held closes and reopens it, as Backtesting.py's
    /// `buy()` with exclusive orders does (a crossing rule, under that library's semantics).
    var reopensHeldPosition = false
    /// The signal rule's state (stepped rules).
    var ruleState = StrategyPlan.State()

    init(cash: Double) { account = AccountState(cash: cash) }

    /// An executor for `plan` under `peer`'s semantics (nil: QuantForge's own).
    init(cash: Double, plan: StrategyPlan, peer: MetricsConvention?) {
        self.init(cash: cash)
        if case .cross = plan.rule {
            crossesThroughTies = peer == .vectorbt
            reopensHeldPosition = peer == .backtestingPy
        }
    }

    @inline(__always)
    mutating func advance<O: RunObserver>(events: SignalEvents, range: Range<Int>, prices: PriceColumns, settings: ExecutionSettings,
                                          wipeOut: Double, scratch: UnsafeMutablePointer<Double>, observer: inout O) {
        var state = account
        let nextOpen = settings.fill == .nextOpen
        let upper = range.upperBound
        var runStart = range.lowerBound
        if nextOpen && pending != .hold {
            Self.fill(&state, signal: pending, price: prices.open[runStart], bar: runStart, time: prices.times?[runStart] ?? 0, settings: settings,
                      reopen: reopensHeldPosition, observer: &observer)
            pending = .hold
        }
        let fillPrices = nextOpen ? prices.open : prices.close
        let shift = nextOpen ? 1 : 0
        for e in 0..<events.count {
            let fillBar = Swift.min(events.bars[e] &+ shift, upper &- 1)
            events.prices[e] = fillPrices[fillBar]
            if let times = prices.times { events.times[e] = times[fillBar] }
        }
        for e in 0..<events.count {
            let signalBar = events.bars[e], signal = events.signals[e]
            let fillBar = signalBar &+ shift
            if fillBar >= upper {
                pending = signal
                continue
            }
            Self.emit(runStart..<fillBar, state: &state, prices: prices, settings: settings, wipeOut: wipeOut, scratch: scratch, observer: &observer)
            Self.fill(&state, signal: signal, price: events.prices[e], bar: fillBar, time: prices.times == nil ? 0 : events.times[e], settings: settings,
                      reopen: reopensHeldPosition, observer: &observer)
            runStart = fillBar
        }
        Self.emit(runStart..<upper, state: &state, prices: prices, settings: settings, wipeOut: wipeOut, scratch: scratch, observer: &observer)
        account = state
    }

    /// Executes one signal. Inline, so the account stays in registers from fill to fill: on a busy
    /// series (a fill every 18 bars) the chain of fills, each waiting for the last one's cash, is
    /// the run's critical path.
    @inline(__always)
    static func fill<O: RunObserver>(_ state: inout AccountState, signal: Signal, price: Double, bar: Int, time: Int64,
                                     settings: ExecutionSettings, reopen: Bool, observer: inout O) {
        let (next, closed) = OrderExecution.execute(state, signal: signal, price: price, bar: bar, time: time, settings: settings, reopen: reopen)
        state = next
        if let closed { observer.trade(closed) }
    }

    /// Marks the bars of `range` with the account as it is, wiping it out at the first bar whose
    /// equity is at or below `wipeOut` (`SignalBacktest`'s rule).
    @inline(__always)
    static func emit<O: RunObserver>(_ range: Range<Int>, state: inout AccountState, prices: PriceColumns, settings: ExecutionSettings,
                                     wipeOut: Double, scratch: UnsafeMutablePointer<Double>, observer: inout O) {
        guard !range.isEmpty else { return }
        let count = range.count, start = range.lowerBound
        let equity = observer.equityDestination(range) ?? scratch
        let cash = state.cash, units = state.units
        let close = prices.close + start
        // Four bars at a time: e = cash + units·close (multiply, then add, as the scalar form),
        // and a running minimum per lane for the wipe-out test. Where the series has room, the
        // last one to three bars go as one more whole vector, with no scalar tail and no mask:
        // the lanes past the run are stored too (every destination has room, and the next run
        // overwrites them) and enter the minimum, which makes the minimum only a hint — a run
        // whose minimum reaches the wipe-out level is checked bar by bar below.
        let cash4 = SIMD4(repeating: cash), units4 = SIMD4(repeating: units)
        var lowest4 = SIMD4(repeating: Double.infinity)
        var k = 0
        let ahead = prices.prefetchAhead
        let vectorBars = start &+ count &+ 3 <= prices.count ? count : count & ~3
        while k < vectorBars {
            if ahead > 0 {
                qf_prefetch(close + (k &+ ahead))
                qf_prefetch_for_write(equity + (k &+ ahead))
            }
            let e = cash4 + units4 * UnsafeRawPointer(close + k).loadUnaligned(as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(equity + k).storeBytes(of: e, as: SIMD4<Double>.self)
            lowest4 = lowest4.replacing(with: e, where: e .< lowest4)
            k &+= 4
        }
        while k < count {
            let e = cash + units * close[k]
            equity[k] = e
            lowest4[0] = Swift.min(lowest4[0], e)
            k &+= 1
        }
        if qf_greater_equal_bits4(SIMD4(repeating: wipeOut), lowest4) != 0 && !state.isBust {
            var m = 0
            while m < count && !(equity[m] <= wipeOut) { m &+= 1 }
            if m < count {
                if m > 0 { observer.run(start..<(start &+ m), equity: equity, units: units) }
                wipe(&state, bar: start &+ m, price: close[m], time: prices.times?[start &+ m] ?? 0, settings: settings, observer: &observer)
                for k in m..<count { equity[k] = 0 }
                observer.run((start &+ m)..<range.upperBound, equity: equity + m, units: 0)
                return
            }
        }
        observer.run(range, equity: equity, units: units)
    }

    /// Closes the position at `price` and leaves the account with nothing, never to trade again.
    @inline(never)
    static func wipe<O: RunObserver>(_ state: inout AccountState, bar: Int, price: Double, time: Int64, settings: ExecutionSettings,
                                     observer: inout O) {
        if state.units != 0 { observer.trade(OrderExecution.close(&state, at: price, bar: bar, time: time, settings: settings)) }
        state.cash = 0
        state.isBust = true
    }
}
