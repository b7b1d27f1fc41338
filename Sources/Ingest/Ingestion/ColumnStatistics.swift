/// Statistics of one numeric column accumulated in a single streaming pass, as pandas'
/// `describe()` reports them: count, mean, std (ddof = 1), min, quartiles, max.
///
/// Values arrive in batches; mean and variance merge each batch with Chan, Golub and LeVeque's
/// pairwise update (stable for long columns). Quartiles are exact (linear
/// interpolation between order statistics, pandas' default) while the column holds at most
/// `exactLimit` values; past that a uniform reservoir of `exactLimit` values, drawn with a fixed
/// seed so the result is reproducible, estimates them, and `quantilesAreExact` turns false.
public struct ColumnStatistics: Sendable {
    public private(set) var count = 0
    public private(set) var missing = 0
    public private(set) var mean = 0.0
    private var m2 = 0.0
    public private(set) var minimum = Double.infinity
    public private(set) var maximum = -Double.infinity
    private var sample: [Double] = []
    private var seen = 0
    private var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
    let exactLimit: Int

    public init(exactLimit: Int = 1 << 20) { self.exactLimit = exactLimit }

    /// Adds a batch of values: count, mean and squared deviations of the batch are computed in tight
    /// loops and merged with Chan, Golub and LeVeque's pairwise update, which is as stable as
    /// adding them one at a time.
    public mutating func add(contentsOf values: [Double]) {
        var n = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
        for x in values where !x.isNaN {
            n += 1
            sum += x
            lo = Swift.min(lo, x)
            hi = Swift.max(hi, x)
        }
        missing += values.count - n
        guard n > 0 else { return }
        let batchMean = sum / Double(n)
        var batchM2 = 0.0
        for x in values where !x.isNaN { batchM2 += (x - batchMean) * (x - batchMean) }
        let total = count + n
        let delta = batchMean - mean
        mean += delta * Double(n) / Double(total)
        m2 += batchM2 + delta * delta * Double(count) * Double(n) / Double(total)
        count = total
        minimum = Swift.min(minimum, lo)
        maximum = Swift.max(maximum, hi)
        for x in values where !x.isNaN { sampleValue(x) }
    }

    /// Reservoir sampling (Algorithm R) once the sample is full: the n-th value replaces a random
    /// slot with probability k/n. The index is drawn from a `SplitMix64` stream by a multiply-high
    /// (Lemire), cheaper than a division. (Li's Algorithm L, which skips ahead, was slower here: with
    /// k = 2²⁰ it still replaces k·ln(n/k) values, each with several logarithms.)
    private mutating func sampleValue(_ x: Double) {
        seen += 1
        if sample.count < exactLimit {
            sample.append(x)
            return
        }
        let j = Int(random.next().multipliedFullWidth(by: UInt64(seen)).high)
        if j < exactLimit { sample[j] = x }
    }

    /// Sample standard deviation (ddof = 1); nil with fewer than two values, as pandas gives NaN.
    public var standardDeviation: Double? { count > 1 ? (m2 / Double(count - 1)).squareRoot() : nil }

    /// Whether the quartiles are exact.
    public var quantilesAreExact: Bool { seen <= exactLimit }

    /// The 25%, 50% and 75% points. Each needs two order statistics, found by selection in
    /// expected linear time rather than by sorting the sample.
    public func quartiles() -> (Double, Double, Double)? {
        guard !sample.isEmpty else { return nil }
        var values = sample
        return (Self.interpolate(&values, 0.25), Self.interpolate(&values, 0.5), Self.interpolate(&values, 0.75))
    }

    static func interpolate(_ values: inout [Double], _ q: Double) -> Double {
        let position = q * Double(values.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, values.count - 1)
        let a = values.withUnsafeMutableBufferPointer { Selection.kthSmallest($0, low) }
        let b = high == low ? a : values.withUnsafeMutableBufferPointer { Selection.kthSmallest($0, high) }
        return a + (b - a) * (position - Double(low))
    }
}
