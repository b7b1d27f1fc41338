import Dispatch
import Foundation
import Synchronization

/// The probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
/// Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", 2015).
///
/// The T returns of every strategy tried are cut into S blocks in time. For each of the C(S, S/2)
/// ways to pick half the blocks as in-sample (the rest out-of-sample), the strategy with the best
/// in-sample Sharpe ratio is found and its out-of-sample Sharpe ratio ranked among all
/// strategies': ω = rank / (N + 1), λ = ln(ω / (1 − ω)). PBO is the share of splits with λ ≤ 0 —
/// the in-sample winner at or below the out-of-sample median. Pure noise gives about 0.5; real
/// skill, near 0.
public struct OverfittingProbability: Sendable, Codable, Equatable {
    /// S, and the C(S, S/2) splits evaluated.
    public var partitions: Int
    public var splits: Int
    public var strategies: Int
    /// PBO: the share of splits whose in-sample winner ranks at or below the out-of-sample median.
    public var probability: Double
    /// The median of λ over the splits (negative: overfit more often than not).
    public var medianLogit: Double
    /// The share of splits whose in-sample winner loses out of sample (Sharpe ratio below 0).
    public var probabilityOfLoss: Double
    /// The least-squares slope of the winner's out-of-sample on its in-sample Sharpe ratio over
    /// the splits (performance degradation: negative when in-sample luck does not carry over).
    public var degradationSlope: Double

    enum CodingKeys: String, CodingKey {
        case partitions, splits, strategies, probability, medianLogit = "median_logit", probabilityOfLoss = "probability_of_loss",
             degradationSlope = "degradation_slope"
    }

    /// The statistics of the strategies folded into `blocks` (at least two strategies).
    public static func cscv(_ blocks: ReturnBlocks, threads: Int = 0) -> OverfittingProbability? {
        let n = blocks.strategies, s = blocks.partitions
        guard n >= 2 else { return nil }
        let splits = Self.halves(of: s)
        var lambdas = [Double](repeating: 0, count: splits.count)
        var inSample = [Double](repeating: 0, count: splits.count)
        var outOfSample = [Double](repeating: 0, count: splits.count)
        let threads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        blocks.values.withUnsafeBufferPointer { values in
            lambdas.withUnsafeMutableBufferPointer { lambdaOut in
                inSample.withUnsafeMutableBufferPointer { isOut in
                    outOfSample.withUnsafeMutableBufferPointer { oosOut in
                        let shared = Outputs(values: values.baseAddress!, lambdas: lambdaOut.baseAddress!, inSample: isOut.baseAddress!,
                                             outOfSample: oosOut.baseAddress!)
                        let next = Atomic<Int>(0)
                        let chunk = 64
                        DispatchQueue.concurrentPerform(iterations: Swift.max(1, Swift.min(threads, (splits.count + chunk - 1) / chunk))) { _ in
                            var oos = [Double](repeating: 0, count: n)
                            while true {
                                let first = next.add(chunk, ordering: .relaxed).oldValue
                                if first >= splits.count { return }
                                for k in first..<Swift.min(first + chunk, splits.count) {
                                    let (lambda, best, bestOOS) = Self.split(splits[k], blocks: blocks, values: shared.values, oos: &oos)
                                    shared.lambdas[k] = lambda
                                    shared.inSample[k] = best
                                    shared.outOfSample[k] = bestOOS
                                }
                            }
                        }
                    }
                }
            }
        }
        let overfit = lambdas.filter { $0 <= 0 }.count
        let losses = outOfSample.filter { $0 < 0 }.count
        let sorted = lambdas.sorted()
        let c = sorted.count
        let median = c % 2 == 1 ? sorted[c / 2] : (sorted[c / 2 - 1] + sorted[c / 2]) / 2
        return OverfittingProbability(partitions: s, splits: c, strategies: n, probability: Double(overfit) / Double(c), medianLogit: median,
                                      probabilityOfLoss: Double(losses) / Double(c), degradationSlope: Self.slope(x: inSample, y: outOfSample))
    }

    /// Shared output buffers; each split writes only its own slots.
    struct Outputs: @unchecked Sendable {
        let values: UnsafePointer<Double>
        let lambdas: UnsafeMutablePointer<Double>
        let inSample: UnsafeMutablePointer<Double>
        let outOfSample: UnsafeMutablePointer<Double>
    }

    /// One split (a bit set of in-sample blocks): λ, and the in-sample winner's in- and
    /// out-of-sample Sharpe ratios. The winner is the first strategy with the highest in-sample
    /// Sharpe ratio; its rank counts ties as half (the average rank).
    static func split(_ mask: UInt32, blocks: ReturnBlocks, values: UnsafePointer<Double>, oos: inout [Double]) -> (Double, Double, Double) {
        let n = blocks.strategies, s = blocks.partitions, stride = blocks.stride
        var inCount = 0, outCount = 0
        for b in 0..<s { if mask & (1 << b) != 0 { inCount += blocks.blockLengths[b] } else { outCount += blocks.blockLengths[b] } }
        let nIn = Double(inCount), nOut = Double(outCount)
        var best = -Double.infinity, winner = 0
        for i in 0..<n {
            let row = values + i * stride
            var sumIn = 0.0, squaresIn = 0.0, sumOut = 0.0, squaresOut = 0.0
            for b in 0..<s {
                if mask & (1 << b) != 0 {
                    sumIn += row[2 * b]; squaresIn += row[2 * b + 1]
                } else {
                    sumOut += row[2 * b]; squaresOut += row[2 * b + 1]
                }
            }
            let sharpeIn = ReturnBlocks.sharpe(count: nIn, sum: sumIn, squares: squaresIn)
            oos[i] = ReturnBlocks.sharpe(count: nOut, sum: sumOut, squares: squaresOut)
            if sharpeIn > best { best = sharpeIn; winner = i }
        }
        let target = oos[winner]
        var below = 0, equal = 0
        for i in 0..<n {
            if oos[i] < target { below += 1 } else if oos[i] == target { equal += 1 }
        }
        let rank = Double(below) + Double(equal + 1) / 2
        let omega = rank / Double(n + 1)
        return (log(omega / (1 - omega)), best, target)
    }

    /// Every way to choose half of `s` blocks, as bit sets in increasing order.
    static func halves(of s: Int) -> [UInt32] {
        precondition(s >= 2 && s <= 30 && s % 2 == 0)
        var result: [UInt32] = []
        var mask: UInt32 = (1 << (s / 2)) - 1
        let limit: UInt32 = 1 << s
        while mask < limit {
            result.append(mask)
            // Gosper's hack: the next larger number with as many bits set.
            let lowest = mask & (~mask &+ 1)
            let ripple = mask &+ lowest
            mask = (((ripple ^ mask) >> 2) / lowest) | ripple
        }
        return result
    }

    /// Least-squares slope of y on x (NaN when x does not vary).
    static func slope(x: [Double], y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for k in x.indices {
            sxy += (x[k] - mx) * (y[k] - my)
            sxx += (x[k] - mx) * (x[k] - mx)
        }
        return sxx > 0 ? sxy / sxx : .nan
    }
}
