/// Each strategy's returns folded into what the overfitting statistics need, in fixed memory:
/// per time block (the S partitions of combinatorially symmetric cross-validation) the sum and
/// the sum of squares of its returns, and over the whole series the third and fourth power sums
/// (for the deflated Sharpe ratio's skewness and kurtosis). Never the return series themselves:
/// a grid of N cells costs N·(2S + 2) doubles (4,538 cells, S = 16: 1.2 MB).
///
/// Blocks follow `numpy.array_split`: T returns in S blocks, the first T mod S of them one
/// return longer. All strategies of one sweep share the same T returns, so the block lengths
/// are kept once.
public struct ReturnBlocks: Sendable {
    public let partitions: Int
    public let observations: Int
    /// Returns in each block.
    public let blockLengths: [Int]
    /// Per strategy: (sum, sum of squares) of each block, then Σr³ and Σr⁴.
    public private(set) var values: [Double] = []
    public private(set) var strategies = 0

    public var stride: Int { 2 * partitions + 2 }

    /// `partitions` blocks over `observations` returns (`partitions` even, at least 2 and at most
    /// `observations`).
    /// What a partition count must be: even (half the blocks in sample), and at most 20 —
    /// C(20, 10) = 184,756 splits already.
    public static let partitionCountRule = "an even number from 2 to 20 (16 is usual)"

    public static func isValidPartitionCount(_ s: Int) -> Bool { s >= 2 && s <= 20 && s % 2 == 0 }

    /// Nil instead of an error when the series is too short for that many blocks (a sweep then
    /// runs without the statistics rather than failing).
    public static func ifLongEnough(partitions: Int, observations: Int) throws -> ReturnBlocks? {
        observations >= partitions ? try ReturnBlocks(partitions: partitions, observations: observations) : nil
    }

    public init(partitions: Int, observations: Int) throws {
        guard Self.isValidPartitionCount(partitions) else {
            throw BacktestError.invalidParameter("overfitting partitions: \(partitions); \(Self.partitionCountRule)")
        }
        guard observations >= partitions else {
            throw BacktestError.invalidParameter("overfitting partitions: \(partitions) blocks need at least as many returns; the series has \(observations)")
        }
        self.partitions = partitions
        self.observations = observations
        let (q, r) = observations.quotientAndRemainder(dividingBy: partitions)
        blockLengths = (0..<partitions).map { $0 < r ? q + 1 : q }
    }

    /// Blocks laid out as an accumulator's (see `SweepOverfitting`).
    init(blockLengths: [Int]) {
        partitions = blockLengths.count
        observations = blockLengths.reduce(0, +)
        self.blockLengths = blockLengths
    }

    /// A fresh accumulator for one strategy's returns, in time order.
    public func accumulator() -> Accumulator { Accumulator(blockLengths: blockLengths) }

    /// Adds one strategy's folded returns (strategies are numbered in the order added).
    public mutating func append(_ strategy: Accumulator) {
        var strategy = strategy
        strategy.finish()
        values.append(contentsOf: strategy.sums)
        values.append(strategy.cubes)
        values.append(strategy.fourths)
        strategies += 1
    }

    /// Per-period Sharpe ratio (mean over the sample standard deviation, 0 when that is 0) of
    /// `strategy` over the whole series.
    public func sharpe(of strategy: Int) -> Double {
        let (sum, squares) = totals(of: strategy)
        return Self.sharpe(count: Double(observations), sum: sum, squares: squares)
    }

    /// Σr and Σr² of `strategy` over the whole series (its blocks added up).
    func totals(of strategy: Int) -> (sum: Double, squares: Double) {
        let base = strategy * stride
        var sum = 0.0, squares = 0.0
        for b in 0..<partitions {
            sum += values[base + 2 * b]
            squares += values[base + 2 * b + 1]
        }
        return (sum, squares)
    }

    /// Skewness and kurtosis (population moments, 3 for a normal distribution) of `strategy`'s returns.
    public func moments(of strategy: Int) -> (skewness: Double, kurtosis: Double) {
        let base = strategy * stride
        let (s1, s2) = totals(of: strategy)
        let s3 = values[base + 2 * partitions], s4 = values[base + 2 * partitions + 1]
        let n = Double(observations), m = s1 / n
        let m2 = s2 / n - m * m
        let m3 = s3 / n - 3 * m * s2 / n + 2 * m * m * m
        let m4 = s4 / n - 4 * m * s3 / n + 6 * m * m * s2 / n - 3 * m * m * m * m
        guard m2 > 0 else { return (.nan, .nan) }
        return (m3 / (m2 * m2.squareRoot()), m4 / (m2 * m2))
    }

    /// mean / sample standard deviation, from a count and the sums of values and squares; 0 when
    /// the deviation is 0 (a strategy that never traded) or there are under two values.
    @inline(__always)
    static func sharpe(count n: Double, sum: Double, squares: Double) -> Double {
        guard n > 1 else { return 0 }
        let variance = (squares - sum * sum / n) / (n - 1)
        guard variance > 0 else { return 0 }
        return sum / n / variance.squareRoot()
    }

    /// One strategy's returns as they come: the open block's sums in registers, written out at
    /// each block boundary.
    public struct Accumulator: Sendable, Equatable {
        /// (sum, sum of squares) of each block written out so far.
        public private(set) var sums: [Double]
        let blockLengths: [Int]
        var block = 0, leftInBlock: Int
        var sum = 0.0, squares = 0.0
        var cubes = 0.0, fourths = 0.0

        init(blockLengths: [Int]) {
            self.blockLengths = blockLengths
            sums = [Double](repeating: 0, count: 2 * blockLengths.count)
            leftInBlock = blockLengths[0]
        }

        /// The next return in time order (returns past the expected count go to the last block).
        @inline(__always)
        public mutating func add(_ r: Double) {
            if leftInBlock == 0 { nextBlock() }
            leftInBlock &-= 1
            let r2 = r * r
            sum += r
            squares += r2
            cubes += r2 * r
            fourths += r2 * r2
        }

        /// The room left in the open block (the next one is opened when it is full) and its running
        /// (sum, squares, cubes, fourths), for a caller that folds a stretch of returns in
        /// registers and hands the sums back with `setOpenBlock`, in the very order `add` would.
        @inline(__always)
        mutating func openBlock() -> (room: Int, sums: SIMD4<Double>) {
            if leftInBlock == 0 { nextBlock() }
            return (leftInBlock, SIMD4(sum, squares, cubes, fourths))
        }

        /// The open block's sums after `count` more returns (at most the room `openBlock` gave).
        @inline(__always)
        mutating func setOpenBlock(_ sums: SIMD4<Double>, after count: Int) {
            leftInBlock &-= count
            sum = sums[0]
            squares = sums[1]
            cubes = sums[2]
            fourths = sums[3]
        }

        /// `add(0)` `count` times: the blocks' room goes, their sums stay (bar a −0 turning +0,
        /// done here as `add` does it).
        mutating func addZeros(_ count: Int) {
            var left = count
            while left > 0 {
                if leftInBlock == 0 { nextBlock() }
                let stretch = Swift.min(left, leftInBlock)
                leftInBlock &-= stretch
                sum += 0
                squares += 0
                cubes += 0
                fourths += 0
                left &-= stretch
            }
        }

        mutating func nextBlock() {
            close()
            if block + 1 < blockLengths.count {
                block += 1
                leftInBlock = blockLengths[block]
            } else {
                leftInBlock = Int.max
            }
        }

        mutating func close() {
            sums[2 * block] += sum
            sums[2 * block + 1] += squares
            sum = 0
            squares = 0
        }

        /// Writes out the open block (again harmless: it is emptied).
        public mutating func finish() { close() }

        /// Everything folded, as `ReturnBlocks` keeps it per strategy: each block's (sum, sum of
        /// squares), then Σr³ and Σr⁴ — to send a shard's strategies to whoever merges them.
        public var folded: [Double] {
            var copy = self
            copy.finish()
            return copy.sums + [copy.cubes, copy.fourths]
        }

        /// Blocks of these lengths holding `folded` (as another process's `folded` gave them).
        public init?(blockLengths: [Int], folded: [Double]) {
            guard !blockLengths.isEmpty, folded.count == 2 * blockLengths.count + 2 else { return nil }
            self.init(blockLengths: blockLengths)
            sums = Array(folded[0..<(2 * blockLengths.count)])
            cubes = folded[2 * blockLengths.count]
            fourths = folded[2 * blockLengths.count + 1]
            leftInBlock = 0
            block = blockLengths.count - 1
        }

        /// The returns in each block.
        public var lengths: [Int] { blockLengths }
    }
}
