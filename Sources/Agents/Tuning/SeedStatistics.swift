import Compute

/// A metric across the seeds of one configuration, as rliable (Agarwal et al., 2021) recommends
/// reporting RL results: the mean, the interquartile mean (the mean of the middle half, robust to
/// one lucky or broken seed) and a percentile-bootstrap 95% interval of the mean. Seeded: the same
/// values and seed give the same interval.
public struct SeedStatistics: Codable, Sendable, Equatable {
    public var count: Int
    public var mean: Double
    /// The mean after dropping ⌊n/4⌋ values from each end of the sorted values (scipy's
    /// `trim_mean(x, 0.25)`; rliable's IQM).
    public var interquartileMean: Double
    /// Sample standard deviation (ddof 1; 0 for one value).
    public var standardDeviation: Double
    /// The 2.5% and 97.5% percentiles of the means of `resamples` bootstrap resamples (equal to
    /// the mean for one value).
    public var lower: Double
    public var upper: Double

    enum CodingKeys: String, CodingKey {
        case count, mean, lower, upper
        case interquartileMean = "iqm"
        case standardDeviation = "std"
    }

    /// Statistics of `values` (finite; at least one). `resamples` bootstrap draws from `seed`.
    public init(values: [Double], resamples: Int = 10_000, seed: UInt64 = 0) {
        precondition(!values.isEmpty, "statistics of no values")
        count = values.count
        let mean = values.reduce(0, +) / Double(values.count)
        self.mean = mean
        let sorted = values.sorted()
        let cut = values.count / 4
        let middle = sorted[cut..<(values.count - cut)]
        interquartileMean = middle.reduce(0, +) / Double(middle.count)
        standardDeviation = values.count > 1
            ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot() : 0
        guard values.count > 1, resamples > 0 else {
            lower = mean
            upper = mean
            return
        }
        var rng = Xoshiro256(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        let n = values.count
        for r in 0..<resamples {
            var sum = 0.0
            for _ in 0..<n { sum += values[Int(rng.next() % UInt64(n))] }
            means[r] = sum / Double(n)
        }
        means.sort()
        lower = Self.percentile(means, 0.025)
        upper = Self.percentile(means, 0.975)
    }

    /// numpy's default (linear) percentile of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let weight = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * weight
    }
}
