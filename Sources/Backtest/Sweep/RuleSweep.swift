import Dispatch
import Expressions
import Foundation
import Synchronization

/// A grid over the `{parameters}` of rules written as expressions (`qf sweep --entry … --grid
/// n=10:60`). Every cell's rules are compiled into one graph, so a node that many cells share (the
/// same `highest(high, 20)` in every cell with n = 20) is one node; those shared series are
/// computed once, across cores, and kept for the sweep (memory: one series per distinct shared
/// node — a 4,538-cell SMA grid on 100 k bars keeps its ~200 averages, 160 MB). Each cell then
/// computes only what is its own, turns its conditions into signals as `RuleSignals` does, and
/// runs them as the built-in sweep runs a combination (the fused executor into streaming
/// figures, which equal a single run's `PerformanceMetrics`).
public enum RuleSweep {
    /// Runs every cell of `grid` (cells whose parameters the rules refuse, a window of 0 say,
    /// are skipped and counted); `onRows` gets the rows in grid order, a batch at a time.
    /// - Throws: `RuleError` when no cell compiles (an unknown column, say), or an axis no rule names.
    /// `combinations`: only these grid indices (one shard of a distributed sweep); rows keep their
    /// index in the whole grid. `overfittingPartitions`: each row carries its returns folded into
    /// that many time blocks (for `SweepOverfitting`).
    public static func run(_ rules: SignalRules, grid: ParameterGrid, bars: BarSeries, frame: Frame, settings: ExecutionSettings,
                           convention: MetricsConvention, annualization: Annualization = .inferred, threads: Int = 0, combinations: Range<Int>? = nil,
                           overfittingPartitions: Int? = nil, onRows: ([SweepRow]) throws -> Void, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> SweepSummary {
        let named = Set(try rules.parameterNames())
        let unused = grid.axes.map(\.name).filter { !named.contains($0) }
        guard unused.isEmpty else {
            throw BacktestError.invalidParameter("no rule names {\(unused.joined(separator: "}, {"))} (the rules name: \(named.isEmpty ? "no parameters" : named.sorted().map { "{\($0)}" }.joined(separator: ", ")))")
        }
        var adjusted = settings
        if rules.tradesShort { adjusted.allowShort = true }
        adjusted.peer = convention
        let settings = adjusted
        var graph = ExpressionGraph()
        var cells: [(index: Int, roots: [ExpressionGraph.NodeID?])] = []
        let indices = combinations.map { $0.clamped(to: 0..<grid.count) } ?? 0..<grid.count
        var summary = SweepSummary(combinations: indices.count, evaluated: 0, rejected: 0, firstRejection: nil, bars: bars.count)
        var firstError: RuleError?
        // Parsed once; each rule compiled once per distinct value of its own parameters.
        var compiler = try RuleCompileCache(rules, columns: frame.columnNames)
        for index in indices {
            do {
                cells.append((index, try compiler.roots(parameters: grid.parameters(at: index), into: &graph)))
            } catch let error as RuleError {
                summary.rejected += 1
                if firstError == nil { firstError = error }
                if summary.firstRejection == nil { summary.firstRejection = "\(error.field): \(error.error.message)" }
            }
        }
        if cells.isEmpty, let firstError { throw firstError }
        let evaluator = Evaluator(graph: graph, rollingMean: RuleSignals.rollingMean(convention.meanArithmetic))
        let threads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        // The series the cells share, once each, spread over the cores.
        let sharedValues = evaluator.evaluate(shared: evaluator.sharedFunctions(cells.map { $0.roots.compactMap { $0 } }), on: frame, threads: threads)
        let total = indices.count * bars.count
        let done = Atomic<Int>(summary.rejected * bars.count)
        let n = bars.count
        let periodEnds: [Bool] = convention == .backtestingPy ? Sweep.periodEnds(bars.timestamps) : []
        let wipeOut = settings.initialCash * ExecutionSettings.wipeOutFraction
        let batchSize = 1_024
        try bars.open.withUnsafeBufferPointer { open in
            try bars.close.withUnsafeBufferPointer { close in
                try periodEnds.withUnsafeBufferPointer { ends in
                    // Each cell runs as the built-in sweep runs a combination: its signal events
                    // through the fused executor into streaming figures, no equity curve kept.
                    var facts = SeriesFacts(convention: convention, initialCash: settings.initialCash,
                                            periodsPerYear: annualization.periodsPerYear(timestamps: bars.timestamps, convention: convention),
                                            start: bars.timestamps[0], end: bars.timestamps[n - 1], periodEnds: ends.baseAddress)
                    if let overfittingPartitions {
                        facts.blocks = try ReturnBlocks.ifLongEnough(partitions: overfittingPartitions,
                                                        observations: SeriesFacts.returnCount(convention: convention, bars: n, periodEnds: periodEnds))
                    }
                    let prices = PriceColumns(open: open.baseAddress!, close: close.baseAddress!, times: nil, count: n)
                    let sharedFacts = ReadOnlyFacts(facts: facts)
                    var start = 0
                    while start < cells.count {
                        let batch = Array(cells[start..<min(start + batchSize, cells.count)])
                        let rows = Mutex<[SweepRow?]>([SweepRow?](repeating: nil, count: batch.count))
                        DispatchQueue.concurrentPerform(iterations: min(threads, batch.count)) { worker in
                            let memory = UnsafeMutableRawPointer.allocate(byteCount: SignalEvents.byteCount(capacity: n) + (n + 4) * 8, alignment: 64)
                            defer { memory.deallocate() }
                            // Rows go to the shared table once per worker and batch, not once per
                            // cell: on short series a lock per cell costs as much as the cell.
                            var mine: [(Int, SweepRow)] = []
                            defer { rows.withLock { table in for (k, row) in mine { table[k] = row } } }
                            let scratch = (memory + SignalEvents.byteCount(capacity: n)).bindMemory(to: Double.self, capacity: n + 4)
                            for k in stride(from: worker, to: batch.count, by: threads) {
                                let (index, roots) = batch[k]
                                var events = SignalEvents(memory: memory, capacity: n)
                                Self.events(roots: roots, evaluator: evaluator, frame: frame, known: sharedValues, bars: n, into: &events)
                                var executor = RunExecutor(cash: settings.initialCash)
                                var metrics = StreamingMetrics(facts: sharedFacts.facts)
                                executor.advance(events: events, range: 0..<n, prices: prices, settings: settings, wipeOut: wipeOut, scratch: scratch, observer: &metrics)
                                let row = SweepRow(index: index, parameters: grid.values(at: index), metrics: metrics.finish(), returnBlocks: metrics.returnBlocks)
                                mine.append((k, row))
                                progress?(done.add(n, ordering: .relaxed).newValue, total)
                            }
                        }
                        try onRows(rows.withLock { $0.compactMap { $0 } })
                        summary.evaluated += batch.count
                        start += batchSize
                    }
                }
            }
        }
        return summary
    }
}

extension RuleSweep {
    /// A cell's signal events: block by block from the shared series when its own nodes allow
    /// (`BlockEvaluator`: no series of the bars' length per cell), else through whole arrays.
    static func events(roots: [ExpressionGraph.NodeID?], evaluator: Evaluator, frame: Frame, known: [ExpressionGraph.NodeID: [Double]], bars n: Int,
                       into events: inout SignalEvents) {
        let present = roots.compactMap { $0 }
        if let conditions = ConditionWords(graph: evaluator.graph, roots: present, known: known, frame: frame) {
            return wordEvents(roots: roots, conditions: conditions, bars: n, into: &events)
        }
        guard let program = BlockEvaluator(graph: evaluator.graph, roots: present, known: known, frame: frame) else {
            let signals = RuleSignals.signals(roots: roots, evaluator: evaluator, frame: frame, known: known)
            for i in 0..<n where signals[i] != .hold { events.append(i, signals[i]) }
            return
        }
        let place = places(of: roots)
        var side = 0
        let zeros = [Double](repeating: 0, count: program.blockSize)
        zeros.withUnsafeBufferPointer { zero in
            program.forEachBlock(count: n) { start, length, values in
                // A rule not given reads as never true.
                let le = place[0].map { values[$0] } ?? zero.baseAddress!, lx = place[1].map { values[$0] } ?? zero.baseAddress!
                let se = place[2].map { values[$0] } ?? zero.baseAddress!, sx = place[3].map { values[$0] } ?? zero.baseAddress!
                var i = 0
                while i < length {
                    // Only two of the four rules can change the side held (flat: the entries; long:
                    // its exit or a short entry; short: its exit or a long entry): skip to the
                    // next bar where one of them holds; the rest of most blocks is skipped.
                    let (a, b) = side == 0 ? (le, se) : side == 1 ? (lx, se) : (sx, le)
                    i = Self.nextNonzero(a, b, from: i, to: length)
                    guard i < length else { break }
                    let signal = RuleSignals.step(side: &side, longEntry: le[i] != 0, longExit: lx[i] != 0, shortEntry: se[i] != 0, shortExit: sx[i] != 0)
                    if signal != .hold { events.append(start + i, signal) }
                    i += 1
                }
            }
        }
    }
}

extension RuleSweep {
    /// Each rule's place among the roots given (nil for a rule not given, which is never true).
    static func places(of roots: [ExpressionGraph.NodeID?]) -> [Int?] {
        var next = 0
        return roots.map { root in
            guard root != nil else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// The events of rules that are all `ConditionWords`: per 64-bar word, only the bits of the
    /// two rules that can change the side held are looked at, and only where one is set.
    static func wordEvents(roots: [ExpressionGraph.NodeID?], conditions: ConditionWords, bars n: Int, into events: inout SignalEvents) {
        let place = places(of: roots)
        var side = 0
        conditions.forEachWord(count: n) { start, _, words in
            let le = place[0].map { words[$0] } ?? 0, lx = place[1].map { words[$0] } ?? 0
            let se = place[2].map { words[$0] } ?? 0, sx = place[3].map { words[$0] } ?? 0
            var unseen = UInt64.max
            while true {
                let watched = (side == 0 ? le | se : side == 1 ? lx | se : sx | le) & unseen
                if watched == 0 { break }
                let j = watched.trailingZeroBitCount
                let bit = UInt64(1) &<< UInt64(j)
                let signal = RuleSignals.step(side: &side, longEntry: le & bit != 0, longExit: lx & bit != 0, shortEntry: se & bit != 0, shortExit: sx & bit != 0)
                if signal != .hold { events.append(start + j, signal) }
                // Bars up to j are done.
                unseen = j == 63 ? 0 : ~((bit &<< 1) &- 1)
            }
        }
    }

    /// The first bar in from..<end where `a` or `b` is non-zero (`end` if none), eight bars at a time.
    @inline(__always)
    static func nextNonzero(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, from start: Int, to end: Int) -> Int {
        var i = start
        while i &+ 8 <= end {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Double>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Double>.self)
            if any((x .!= 0) .| (y .!= 0)) { break }
            i &+= 8
        }
        while i < end && a[i] == 0 && b[i] == 0 { i &+= 1 }
        return i
    }
}

extension SweepMetrics {
    /// The sweep's figures of a single run's metrics.
    public init(_ m: PerformanceMetrics) {
        self.init(equityFinal: m.equityFinal, totalReturn: m.totalReturn, cagr: m.cagr, annualReturn: m.annualReturn, annualVolatility: m.annualVolatility,
                  sharpe: m.sharpe, sortino: m.sortino, calmar: m.calmar, maxDrawdown: m.maxDrawdown, exposure: m.exposure, trades: m.tradeCount,
                  winRate: m.winRate, profitFactor: m.profitFactor, expectancy: m.expectancy, sqn: m.sqn)
    }
}

/// The series' facts, read by every worker of a rule sweep (their pointer is to a column that
/// outlives the sweep and is never written).
private struct ReadOnlyFacts: @unchecked Sendable {
    let facts: SeriesFacts
}
