import Dispatch
import Foundation
import Synchronization

/// What a sweep evaluates and how.
public struct SweepConfiguration: Sendable {
    public var strategy: String
    public var grid: ParameterGrid
    public var settings: ExecutionSettings
    public var convention: MetricsConvention
    public var annualization: Annualization
    /// Worker threads (0: one per core).
    public var threads: Int
    /// Combinations evaluated together; rows are handed over a batch at a time, so memory does
    /// not grow with the grid.
    public var batchSize: Int
    /// Bytes for the shared indicator columns of a batch; longer series are swept in time blocks
    /// that fit.
    public var memoryBudget: Int
    /// Only these grid indices (one shard of a distributed sweep); nil: the whole grid. Rows keep
    /// their index in the whole grid.
    public var combinations: Range<Int>?
    /// Time blocks each row's returns are folded into for the overfitting statistics
    /// (`SweepOverfitting`); nil: rows carry none.
    public var overfittingPartitions: Int?

    public init(strategy: String, grid: ParameterGrid, settings: ExecutionSettings, convention: MetricsConvention = .vectorbt,
                annualization: Annualization = .inferred, threads: Int = 0, batchSize: Int = 16_384, memoryBudget: Int = 256 << 20) {
        self.strategy = strategy
        self.grid = grid
        self.settings = settings
        self.convention = convention
        self.annualization = annualization
        self.threads = threads
        self.batchSize = batchSize
        self.memoryBudget = memoryBudget
    }
}

/// One evaluated combination: its index in the grid, its axis values and its figures.
public struct SweepRow: Sendable, Equatable {
    public var index: Int
    public var parameters: [Double]
    public var metrics: SweepMetrics
    /// The run's returns folded by time block, when the sweep was asked to keep them.
    public var returnBlocks: ReturnBlocks.Accumulator? = nil

    public init(index: Int, parameters: [Double], metrics: SweepMetrics, returnBlocks: ReturnBlocks.Accumulator? = nil) {
        self.index = index
        self.parameters = parameters
        self.metrics = metrics
        self.returnBlocks = returnBlocks
    }
}

/// What a sweep did.
public struct SweepSummary: Sendable {
    public var combinations: Int
    public var evaluated: Int
    /// Combinations the strategy refused (fast ≥ slow, say), and the first reason.
    public var rejected: Int
    public var firstRejection: String?
    public var bars: Int
}

/// Evaluates every combination of a parameter grid over one symbol's bars, across all cores.
///
/// Each indicator column a batch needs (say, the 150 distinct moving-average windows of a
/// 4,538-combination SMA grid) is computed once per block of bars and shared; each combination
/// then runs one fused, event-driven pass (`RunExecutor`) whose figures are folded into
/// `StreamingMetrics` as the bars go by — no equity curve, no allocation per combination. The
/// figures equal `PerformanceMetrics` of the same single run (tested).
public enum Sweep {
    /// Runs the sweep; `onRows` receives each batch's rows (in grid order) on the calling thread,
    /// `progress` the bar·combinations done and the total, from any thread.
    public static func run(_ config: SweepConfiguration, open: [Double], close: [Double], timestamps: [Int64],
                           onRows: ([SweepRow]) throws -> Void, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> SweepSummary {
        let n = close.count
        precondition(open.count == n && timestamps.count == n, "Sweep: columns of unequal length")
        guard n > 0 else { throw BacktestError.invalidParameter("sweep: no bars") }
        let range = config.combinations.map { $0.clamped(to: 0..<config.grid.count) } ?? 0..<config.grid.count
        let total = range.count
        var summary = SweepSummary(combinations: total, evaluated: 0, rejected: 0, firstRejection: nil, bars: n)
        let periodEnds: [Bool] = config.convention == .backtestingPy ? Self.periodEnds(timestamps) : []
        let threads = config.threads > 0 ? config.threads : ProcessInfo.processInfo.activeProcessorCount
        let done = Atomic<Int>(0)
        try open.withUnsafeBufferPointer { o in
            try close.withUnsafeBufferPointer { c in
                try periodEnds.withUnsafeBufferPointer { ends in
                    var facts = SeriesFacts(convention: config.convention, initialCash: config.settings.initialCash,
                                            periodsPerYear: config.annualization.periodsPerYear(timestamps: timestamps, convention: config.convention),
                                            start: timestamps[0], end: timestamps[n - 1], periodEnds: ends.baseAddress)
                    if let partitions = config.overfittingPartitions {
                        facts.blocks = try ReturnBlocks.ifLongEnough(partitions: partitions,
                                                        observations: SeriesFacts.returnCount(convention: config.convention, bars: n, periodEnds: periodEnds))
                    }
                    let bars = Bars(open: o, close: c)
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let batch = start..<min(start + config.batchSize, range.upperBound)
                        var plans: [(index: Int, plan: StrategyPlan)] = []
                        plans.reserveCapacity(batch.count)
                        for index in batch {
                            do {
                                plans.append((index, try StrategyPlan(StrategySpec(name: config.strategy, parameters: config.grid.parameters(at: index)))))
                            } catch {
                                summary.rejected += 1
                                if summary.firstRejection == nil { summary.firstRejection = "\(error)" }
                            }
                        }
                        let rejectedHere = batch.count - plans.count
                        if rejectedHere > 0 { progress?(done.add(rejectedHere * n, ordering: .relaxed).newValue, total * n) }
                        let metrics = runBatch(plans.map(\.plan), bars: bars, config: config, facts: facts, threads: threads) { work in
                            progress?(done.add(work, ordering: .relaxed).newValue, total * n)
                        }
                        summary.evaluated += plans.count
                        try onRows(zip(plans, metrics).map {
                            SweepRow(index: $0.index, parameters: config.grid.values(at: $0.index), metrics: $1.metrics, returnBlocks: $1.blocks)
                        })
                        start = batch.upperBound
                    }
                }
            }
        }
        return summary
    }

    /// The last bar of each UTC day (or week, month, year: Backtesting.py's resampling period).
    static func periodEnds(_ timestamps: [Int64]) -> [Bool] {
        let period = ReturnSeries.resamplingPeriod(timestamps)
        return timestamps.indices.map { i in
            i == timestamps.count - 1 || ReturnSeries.periodKey(timestamps[i], period) != ReturnSeries.periodKey(timestamps[i + 1], period)
        }
    }

    /// The whole-series columns, shared read-only by the workers.
    struct Bars: @unchecked Sendable {
        let open: UnsafeBufferPointer<Double>
        let close: UnsafeBufferPointer<Double>
    }

    /// A combination's account and figures, carried from block to block.
    struct Lane {
        var executor: RunExecutor
        var metrics: StreamingMetrics
        let plan: StrategyPlan
        let columnA: Int
        let columnB: Int
    }

    /// Memory the workers write into disjoint parts of, handed across threads.
    struct Shared<Element>: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Element>
    }

    /// Runs one batch of compiled combinations over all the bars and returns their figures.
    static func runBatch(_ plans: [StrategyPlan], bars: Bars, config: SweepConfiguration, facts: SeriesFacts, threads: Int,
                         progress: (Int) -> Void) -> [(metrics: SweepMetrics, blocks: ReturnBlocks.Accumulator?)] {
        guard !plans.isEmpty else { return [] }
        let n = bars.close.count
        // Every distinct indicator column, computed once per block for all the combinations.
        var kernels: [IndicatorKernel] = []
        var columnOf: [IndicatorKernel: Int] = [:]
        func column(_ k: IndicatorKernel) -> Int {
            if let c = columnOf[k] { return c }
            kernels.append(k)
            columnOf[k] = kernels.count - 1
            return kernels.count - 1
        }
        var lanes: [Lane] = plans.map { plan in
            Lane(executor: RunExecutor(cash: config.settings.initialCash, plan: plan, peer: config.settings.peer ?? config.convention), metrics: StreamingMetrics(facts: facts), plan: plan,
                 columnA: plan.kernels.count > 0 ? column(plan.kernels[0]) : -1, columnB: plan.kernels.count > 1 ? column(plan.kernels[1]) : -1)
        }
        let blockLength = Swift.max(4_096, Swift.min(n, config.memoryBudget / Swift.max(1, kernels.count) / 8))
        let columns = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, kernels.count) * blockLength)
        defer { columns.deallocate() }
        // Rolling means round as the convention's library rounds them, so every cell makes that
        // library's own crossings.
        let peer = config.settings.peer ?? config.convention
        let arithmetic = peer.meanArithmetic
        var kernelStates = [IndicatorKernel.State](repeating: IndicatorKernel.State(arithmetic: arithmetic), count: kernels.count)
        let wipeOut = config.settings.initialCash * ExecutionSettings.wipeOutFraction
        let prices = PriceColumns(open: bars.open.baseAddress!, close: bars.close.baseAddress!, times: nil, count: n)
        let chunkCount = Swift.min(lanes.count, threads * 8)
        let chunkSize = (lanes.count + chunkCount - 1) / chunkCount
        var start = 0
        while start < n {
            let range = start..<Swift.min(start + blockLength, n)
            let sharedColumns = Shared(pointer: columns)
            kernelStates.withUnsafeMutableBufferPointer { states in
                let sharedStates = Shared(pointer: states.baseAddress!)
                let kernelList = kernels
                parallel(kernelList.count, threads: threads) { k in
                    kernelList[k].fill(bars.close, range: range, into: sharedColumns.pointer + k * blockLength, state: &sharedStates.pointer[k])
                }
            }
            lanes.withUnsafeMutableBufferPointer { laneBuffer in
                let sharedLanes = Shared(pointer: laneBuffer.baseAddress!)
                let laneCount = laneBuffer.count
                parallel(chunkCount, threads: threads) { chunk in
                    let first = chunk * chunkSize, last = Swift.min(first + chunkSize, laneCount)
                    guard first < last else { return }
                    let bytes = SignalEvents.byteCount(capacity: range.count) + (range.count + 4) * 8
                    let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                    defer { memory.deallocate() }
                    let scratch = (memory + SignalEvents.byteCount(capacity: range.count)).bindMemory(to: Double.self, capacity: range.count + 4)
                    for l in first..<last {
                        let lane = sharedLanes.pointer + l
                        var events = SignalEvents(memory: memory, capacity: range.count)
                        let a = lane.pointee.columnA >= 0 ? UnsafePointer(sharedColumns.pointer + lane.pointee.columnA * blockLength) : nil
                        let b = lane.pointee.columnB >= 0 ? UnsafePointer(sharedColumns.pointer + lane.pointee.columnB * blockLength) : nil
                        FusedBacktest.findEvents(lane.pointee.plan, a: a, b: b, range: range, executor: &lane.pointee.executor, into: &events)
                        lane.pointee.executor.advance(events: events, range: range, prices: prices, settings: config.settings, wipeOut: wipeOut,
                                                      scratch: scratch, observer: &lane.pointee.metrics)
                    }
                }
            }
            progress(lanes.count * range.count)
            start = range.upperBound
        }
        return lanes.map { ($0.metrics.finish(), $0.metrics.returnBlocks) }
    }

    /// Runs `body(0..<count)` on up to `threads` threads, each taking the next index as it frees up.
    static func parallel(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        if threads <= 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: Swift.min(threads, count)) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { return }
                body(i)
            }
        }
    }
}
