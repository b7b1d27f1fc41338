import Compute
import Foundation
import Testing

/// Initialisers: orthogonality through LAPACK, and the bounds and spreads of PyTorch's formulas.
@Suite struct InitializerTests {
    /// Max |(AᵀA or AAᵀ) − gain²·I| for the smaller Gram matrix, computed in float64.
    func orthogonalityError(_ w: Matrix, gain: Double) -> Double {
        let rowsOrthonormal = w.rows < w.cols
        let n = rowsOrthonormal ? w.rows : w.cols, k = rowsOrthonormal ? w.cols : w.rows
        var worst = 0.0
        for i in 0..<n {
            for j in 0..<n {
                var dot = 0.0
                for l in 0..<k {
                    dot += rowsOrthonormal ? Double(w[i, l]) * Double(w[j, l]) : Double(w[l, i]) * Double(w[l, j])
                }
                worst = max(worst, abs(dot - (i == j ? gain * gain : 0)))
            }
        }
        return worst
    }

    @Test(arguments: [(8, 5), (5, 8), (16, 16), (1, 4), (64, 3)])
    func orthogonal(shape: (Int, Int)) {
        var rng = Xoshiro256(seed: UInt64(shape.0 * 100 + shape.1))
        for gain in [1.0, Double(2).squareRoot()] {
            let w = MatrixBuffer(rows: shape.0, cols: shape.1)
            Initializer.orthogonal(gain: Float(gain)).fill(w.matrix, using: &rng)
            #expect(orthogonalityError(w.matrix, gain: gain) < 2e-5, "shape \(shape) gain \(gain)")
        }
    }

    /// Sample standard deviation of a matrix's entries.
    func spread(_ m: Matrix) -> (max: Float, std: Double) {
        let values = m.toArray().map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return (m.toArray().map(abs).max()!, variance.squareRoot())
    }

    @Test func xavierAndKaimingFollowTheirFormulas() {
        var rng = Xoshiro256(seed: 5)
        let w = MatrixBuffer(rows: 200, cols: 300)   // fan_out 200, fan_in 300
        // Uniform on [−b, b] has std b/√3; 60 000 draws give the std to well within 2%.
        let xb = Float((6.0 / 500).squareRoot())
        Initializer.xavierUniform().fill(w.matrix, using: &rng)
        var s = spread(w.matrix)
        #expect(s.max <= xb && abs(s.std / (Double(xb) / 3.0.squareRoot()) - 1) < 0.02)
        Initializer.xavierNormal(gain: 2).fill(w.matrix, using: &rng)
        s = spread(w.matrix)
        #expect(abs(s.std / (2 * (2.0 / 500).squareRoot()) - 1) < 0.02)
        let kb = Float((2.0).squareRoot() * (3.0 / 300).squareRoot())
        Initializer.kaimingUniform(nonlinearity: .relu).fill(w.matrix, using: &rng)
        s = spread(w.matrix)
        #expect(s.max <= kb && abs(s.std / (Double(kb) / 3.0.squareRoot()) - 1) < 0.02)
        Initializer.kaimingNormal(mode: .fanOut, nonlinearity: .relu).fill(w.matrix, using: &rng)
        s = spread(w.matrix)
        #expect(abs(s.std / ((2.0).squareRoot() / (200.0).squareRoot()) - 1) < 0.02)
    }

    @Test func linearDefaultsMatchPyTorch() {
        var rng = Xoshiro256(seed: 6)
        let model = MLP.make(sizes: [50, 400], using: &rng)
        let bound = 1 / Float(50).squareRoot()
        let weight = model.parameters.value(0), bias = model.parameters.value(1)
        #expect(weight.toArray().allSatisfy { abs($0) <= bound } && bias.toArray().allSatisfy { abs($0) <= bound })
        #expect(abs(spread(weight).std / (Double(bound) / 3.0.squareRoot()) - 1) < 0.02)
    }
}
