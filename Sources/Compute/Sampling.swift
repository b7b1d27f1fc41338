#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Uniform, normal and categorical draws from any generator.
///
/// These are written here rather than taken from the standard library's `random(in:using:)`, whose
/// algorithm is not promised to stay the same between Swift releases: a seed must give the same
/// numbers on every toolchain. Each draw consumes a fixed number of words, and nothing is cached
/// between calls, so a generator's state alone determines what comes next.
extension RandomNumberGenerator {
    /// Uniform in [0, 1) with 24 random bits (every float32 multiple of 2⁻²⁴).
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    @inlinable
    public mutating func nextUniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUnitFloat()
    }

    /// Standard normal by the Box–Muller transform (two words per draw, the cosine branch only).
    @inlinable
    public mutating func nextNormal() -> Float {
        // u1 in (0, 1] so the logarithm is finite.
        let u1 = 1 - nextUnitDouble()
        let u2 = nextUnitDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Normal with the given mean and standard deviation.
    @inlinable
    public mutating func nextNormal(mean: Float, standardDeviation: Float) -> Float {
        mean + standardDeviation * nextNormal()
    }

    /// An integer uniform in 0..<upperBound without modulo bias (Lemire's method).
    @inlinable
    public mutating func nextIndex(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "nextIndex(below:) needs a positive bound, got \(upperBound)")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    /// Draws an index with probability proportional to `weights[i]` (non-negative, not all zero),
    /// by inverting the cumulative sum with one uniform draw.
    @inlinable
    public mutating func nextCategorical(weights: UnsafePointer<Float>, count: Int) -> Int {
        var total: Double = 0
        for i in 0..<count { total += Double(weights[i]) }
        precondition(total > 0, "nextCategorical: weights sum to \(total)")
        let u = nextUnitDouble() * total
        var cumulative: Double = 0
        for i in 0..<count {
            cumulative += Double(weights[i])
            if u < cumulative { return i }
        }
        // Rounding can leave u == total: return the last index with positive weight.
        var last = count - 1
        while last > 0 && weights[last] <= 0 { last -= 1 }
        return last
    }

    /// Fills `count` floats with uniform draws in [lower, upper).
    @inlinable
    public mutating func fillUniform(_ x: UnsafeMutablePointer<Float>, count: Int, lower: Float, upper: Float) {
        for i in 0..<count { x[i] = nextUniform(lower, upper) }
    }

    /// Fills `count` floats with normal draws.
    @inlinable
    public mutating func fillNormal(_ x: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, standardDeviation: Float = 1) {
        for i in 0..<count { x[i] = nextNormal(mean: mean, standardDeviation: standardDeviation) }
    }
}
