import Compute
import Testing

/// A matrix of normal draws, kept alive by the returned buffer.
func randomMatrix(_ rows: Int, _ cols: Int, _ rng: inout Xoshiro256, scale: Float = 1) -> MatrixBuffer {
    let m = MatrixBuffer(rows: rows, cols: cols)
    rng.fillNormal(m.matrix.base, count: rows * cols, standardDeviation: scale)
    return m
}

/// Moves entries with |x| < margin away from zero, so finite differences of a kinked function
/// (ReLU, LeakyReLU) never straddle the kink.
func keepAwayFromZero(_ m: Matrix, margin: Float) {
    for i in 0..<m.count where abs(m.base[i]) < margin {
        m.base[i] = m.base[i] < 0 ? m.base[i] - margin : m.base[i] + margin
    }
}

/// Central finite-difference check of analytic gradients in float32.
///
/// Tolerance, justified: the forward pass runs in float32 (unit round-off 6e-8) over O(1) values
/// and the scalar objective sums at most a few hundred terms, so it is accurate to about 1e-5;
/// dividing by 2h = 2e-2 gives at most ~5e-4 of rounding noise, and the O(h²) truncation term is
/// ~1e-4·|f'''|. A tolerance of 3e-3·max(1, |g|) covers both, while a real error (a missing factor,
/// a wrong sign, a transposed index) is off by O(|g|).
struct GradientChecker {
    var step: Float = 1e-2
    var tolerance: Double = 3e-3

    /// Compares `analytic[i]` with the central difference of `objective` with respect to `x[i]`
    /// for every i in `indices` (all of them when nil). Returns the worst scaled error.
    @discardableResult
    func check(_ label: String, values x: UnsafeMutablePointer<Float>, analytic: [Float], indices: [Int]? = nil,
               sourceLocation: SourceLocation = #_sourceLocation, objective: () -> Double) -> Double {
        var worst = 0.0
        for i in indices ?? Array(0..<analytic.count) {
            let saved = x[i]
            x[i] = saved + step
            let plus = objective()
            x[i] = saved - step
            let minus = objective()
            x[i] = saved
            let numeric = (plus - minus) / (2 * Double(step))
            let error = abs(numeric - Double(analytic[i])) / max(1, abs(numeric))
            worst = max(worst, error)
            #expect(error <= tolerance, "\(label)[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)", sourceLocation: sourceLocation)
        }
        return worst
    }
}

/// Σ w ⊙ m in float64: a scalar objective whose gradient with respect to m is w.
func weightedSum(_ m: Matrix, _ w: Matrix) -> Double {
    var total = 0.0
    for i in 0..<m.count { total += Double(m.base[i]) * Double(w.base[i]) }
    return total
}

/// Up to `limit` distinct indices below `count`, drawn with `rng` (keeps large checks fast).
func sampleIndices(_ count: Int, limit: Int, _ rng: inout Xoshiro256) -> [Int] {
    if count <= limit { return Array(0..<count) }
    var chosen = Set<Int>()
    while chosen.count < limit { chosen.insert(rng.nextIndex(below: count)) }
    return chosen.sorted()
}
