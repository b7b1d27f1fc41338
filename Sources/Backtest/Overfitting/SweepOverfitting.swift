/// The overfitting statistics of a sweep's selected cell, for `qf sweep`, walk-forward and the
/// evaluation results.
public struct OverfittingReport: Sendable, Codable, Equatable {
    /// The grid index of the cell the statistics judge (the ranking's first).
    public var selectedIndex: Int
    /// The cells whose returns the statistics rest on.
    public var trials: Int
    public var deflatedSharpe: DeflatedSharpe
    /// Nil when there is a single cell (nothing to cross-validate).
    public var overfittingProbability: OverfittingProbability?

    enum CodingKeys: String, CodingKey {
        case selectedIndex = "selected_index", trials, deflatedSharpe = "deflated_sharpe", overfittingProbability = "probability_of_backtest_overfitting"
    }
}

/// Collects the rows of a sweep run with `overfittingPartitions` (their returns folded by time
/// block) and judges the selected cell: its deflated Sharpe ratio given every cell tried, and
/// the probability that selecting by in-sample Sharpe ratio overfits (CSCV). Memory:
/// (2S + 2) doubles per cell, at most `maximumCells` cells (250,000: 68 MB at S = 16); a larger
/// grid gets no statistics rather than unbounded memory.
public struct SweepOverfitting: Sendable {
    public static let maximumCells = 250_000
    var blocks: ReturnBlocks?
    var strategyOfIndex: [Int: Int] = [:]
    /// Cells past `maximumCells` (the statistics are then not computed).
    public private(set) var overflow = 0

    public init() {}

    public mutating func add(_ rows: [SweepRow]) {
        for row in rows {
            if let folded = row.returnBlocks { add(index: row.index, folded) }
        }
    }

    /// Adds the cell at grid index `index` (cells of one sweep share their blocks' lengths).
    public mutating func add(index: Int, _ folded: ReturnBlocks.Accumulator) {
        if blocks == nil { blocks = ReturnBlocks(blockLengths: folded.blockLengths) }
        guard folded.blockLengths == blocks!.blockLengths else { return }
        guard blocks!.strategies < Self.maximumCells else {
            overflow += 1
            return
        }
        strategyOfIndex[index] = blocks!.strategies
        blocks!.append(folded)
    }

    /// Cells added.
    public var cells: Int { (blocks?.strategies ?? 0) + overflow }

    /// The statistics of the cell at grid index `selected` among all cells added; nil when that
    /// cell carried no returns or the grid was past `maximumCells`.
    public func report(selected: Int, threads: Int = 0) -> OverfittingReport? {
        guard overflow == 0, let blocks, let strategy = strategyOfIndex[selected] else { return nil }
        let sharpes = (0..<blocks.strategies).map { blocks.sharpe(of: $0) }
        let n = Double(sharpes.count)
        let mean = sharpes.reduce(0, +) / n
        let variance = sharpes.count > 1 ? sharpes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        let (skewness, kurtosis) = blocks.moments(of: strategy)
        let deflated = DeflatedSharpe(sharpe: sharpes[strategy], trials: blocks.strategies, observations: blocks.observations,
                                      skewness: skewness, kurtosis: kurtosis, trialSharpeVariance: variance)
        return OverfittingReport(selectedIndex: selected, trials: blocks.strategies, deflatedSharpe: deflated,
                                 overfittingProbability: OverfittingProbability.cscv(blocks, threads: threads))
    }
}
