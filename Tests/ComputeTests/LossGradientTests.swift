import Compute
import Foundation
import Testing

/// Losses and distribution pieces: values against direct float64 formulas, gradients against
/// central finite differences.
@Suite struct LossGradientTests {
    @Test(arguments: [1, 2, 3] as [UInt64]) func meanSquaredError(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let rows = 1 + rng.nextIndex(below: 6), cols = 1 + rng.nextIndex(below: 4)
        let p = randomMatrix(rows, cols, &rng), t = randomMatrix(rows, cols, &rng), g = MatrixBuffer(rows: rows, cols: cols)
        let loss = Loss.meanSquaredError(prediction: p.matrix, target: t.matrix, gradient: g.matrix)
        var expected = 0.0
        for i in 0..<p.matrix.count { expected += pow(Double(p.matrix.base[i] - t.matrix.base[i]), 2) }
        expected /= Double(p.matrix.count)
        #expect(abs(Double(loss) - expected) <= 1e-6 * max(1, expected))
        let scratch = MatrixBuffer(rows: rows, cols: cols)
        GradientChecker().check("mse", values: p.matrix.base, analytic: g.matrix.toArray()) {
            Double(Loss.meanSquaredError(prediction: p.matrix, target: t.matrix, gradient: scratch.matrix))
        }
    }

    @Test(arguments: [4, 5, 6] as [UInt64]) func huber(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let delta: Float = 0.7
        let p = randomMatrix(5, 4, &rng, scale: 1.5), t = randomMatrix(5, 4, &rng), g = MatrixBuffer(rows: 5, cols: 4)
        // Keep |p − t| away from δ so differences never straddle the switch between branches.
        for i in 0..<20 where abs(abs(p.matrix.base[i] - t.matrix.base[i]) - delta) < 0.05 { p.matrix.base[i] += 0.2 }
        let loss = Loss.huber(prediction: p.matrix, target: t.matrix, gradient: g.matrix, delta: delta)
        var expected = 0.0, quadratic = 0, linear = 0
        for i in 0..<20 {
            let d = Double(p.matrix.base[i] - t.matrix.base[i])
            if abs(d) < Double(delta) { expected += 0.5 * d * d; quadratic += 1 } else { expected += Double(delta) * (abs(d) - 0.5 * Double(delta)); linear += 1 }
        }
        expected /= 20
        #expect(quadratic > 0 && linear > 0, "both branches exercised")
        #expect(abs(Double(loss) - expected) <= 1e-6 * max(1, expected))
        let scratch = MatrixBuffer(rows: 5, cols: 4)
        GradientChecker().check("huber", values: p.matrix.base, analytic: g.matrix.toArray()) {
            Double(Loss.huber(prediction: p.matrix, target: t.matrix, gradient: scratch.matrix, delta: delta))
        }
    }

    @Test(arguments: [7, 8, 9] as [UInt64]) func crossEntropy(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let rows = 1 + rng.nextIndex(below: 6), classes = 2 + rng.nextIndex(below: 5)
        let z = randomMatrix(rows, classes, &rng, scale: 2), g = MatrixBuffer(rows: rows, cols: classes)
        let labels = (0..<rows).map { _ in Int32(rng.nextIndex(below: classes)) }
        let loss = labels.withUnsafeBufferPointer { Loss.crossEntropy(logits: z.matrix, labels: $0.baseAddress!, gradient: g.matrix) }
        var expected = 0.0
        for r in 0..<rows {
            let row = (0..<classes).map { Double(z.matrix[r, $0]) }
            expected += log(row.map(exp).reduce(0, +)) - row[Int(labels[r])]
        }
        expected /= Double(rows)
        #expect(abs(Double(loss) - expected) <= 1e-5 * max(1, expected))
        let scratch = MatrixBuffer(rows: rows, cols: classes)
        GradientChecker().check("crossEntropy", values: z.matrix.base, analytic: g.matrix.toArray()) {
            Double(labels.withUnsafeBufferPointer { Loss.crossEntropy(logits: z.matrix, labels: $0.baseAddress!, gradient: scratch.matrix) })
        }
    }

    @Test(arguments: [10, 11, 12] as [UInt64]) func categoricalLogProbabilityAndEntropy(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let rows = 1 + rng.nextIndex(below: 5), k = 2 + rng.nextIndex(below: 4)
        let z = randomMatrix(rows, k, &rng, scale: 1.5)
        let actions = (0..<rows).map { _ in Int32(rng.nextIndex(below: k)) }
        let weights = (0..<rows).map { _ in rng.nextNormal() }
        var logp = [Float](repeating: 0, count: rows), entropy = [Float](repeating: 0, count: rows)
        Categorical.logProbabilities(logits: z.matrix, actions: actions, into: &logp)
        Categorical.entropies(logits: z.matrix, into: &entropy)
        for r in 0..<rows {
            let row = (0..<k).map { Double(z.matrix[r, $0]) }
            let lse = log(row.map(exp).reduce(0, +))
            #expect(abs(Double(logp[r]) - (row[Int(actions[r])] - lse)) < 1e-5)
            let h = -row.map { exp($0 - lse) * ($0 - lse) }.reduce(0, +)
            #expect(abs(Double(entropy[r]) - h) < 1e-5)
        }
        let g = MatrixBuffer(rows: rows, cols: k)
        Categorical.logProbabilityBackward(logits: z.matrix, actions: actions, weights: weights, gradient: g.matrix, accumulate: false)
        GradientChecker().check("categorical log π", values: z.matrix.base, analytic: g.matrix.toArray()) {
            var out = [Float](repeating: 0, count: rows)
            Categorical.logProbabilities(logits: z.matrix, actions: actions, into: &out)
            return zip(out, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        Categorical.entropyBackward(logits: z.matrix, weights: weights, gradient: g.matrix, accumulate: false)
        GradientChecker().check("categorical H", values: z.matrix.base, analytic: g.matrix.toArray()) {
            var out = [Float](repeating: 0, count: rows)
            Categorical.entropies(logits: z.matrix, into: &out)
            return zip(out, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
    }

    @Test func categoricalSamplingFollowsTheProbabilities() {
        var rng = Xoshiro256(seed: 13)
        let logits = MatrixBuffer(rows: 1, cols: 3, values: [log(0.2), log(0.5), log(0.3)])
        var counts = [0, 0, 0]
        var action: Int32 = 0
        let draws = 20_000
        for _ in 0..<draws {
            Categorical.sample(logits: logits.matrix, into: &action, using: &rng)
            counts[Int(action)] += 1
        }
        // Binomial standard error at n = 20 000 is at most 0.0035; 5 standard errors.
        for (k, p) in [0.2, 0.5, 0.3].enumerated() { #expect(abs(Double(counts[k]) / Double(draws) - p) < 0.018) }
    }

    @Test(arguments: [false, true]) func diagonalGaussian(sharedLogStd: Bool) {
        var rng = Xoshiro256(seed: sharedLogStd ? 14 : 15)
        let rows = 4, dims = 3
        let mu = randomMatrix(rows, dims, &rng), a = randomMatrix(rows, dims, &rng)
        let logStd = randomMatrix(sharedLogStd ? 1 : rows, dims, &rng, scale: 0.3)
        let weights = (0..<rows).map { _ in rng.nextNormal() }
        var logp = [Float](repeating: 0, count: rows)
        DiagonalGaussian.logProbabilities(mean: mu.matrix, logStd: logStd.matrix, actions: a.matrix, into: &logp)
        for r in 0..<rows {
            var expected = 0.0
            for j in 0..<dims {
                let s = Double(logStd.matrix[sharedLogStd ? 0 : r, j]), sigma = exp(s)
                let d = Double(a.matrix[r, j] - mu.matrix[r, j])
                expected += -d * d / (2 * sigma * sigma) - s - 0.5 * log(2 * Double.pi)
            }
            #expect(abs(Double(logp[r]) - expected) < 1e-5 * max(1, abs(expected)))
        }
        let gMu = MatrixBuffer(rows: rows, cols: dims), gS = MatrixBuffer(rows: logStd.rows, cols: dims)
        DiagonalGaussian.logProbabilityBackward(mean: mu.matrix, logStd: logStd.matrix, actions: a.matrix, weights: weights,
                                                meanGradient: gMu.matrix, logStdGradient: gS.matrix, accumulate: false)
        let objective = { () -> Double in
            var out = [Float](repeating: 0, count: rows)
            DiagonalGaussian.logProbabilities(mean: mu.matrix, logStd: logStd.matrix, actions: a.matrix, into: &out)
            return zip(out, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        GradientChecker().check("gaussian dμ", values: mu.matrix.base, analytic: gMu.matrix.toArray(), objective: objective)
        GradientChecker().check("gaussian dlogσ", values: logStd.matrix.base, analytic: gS.matrix.toArray(), objective: objective)

        var entropy = [Float](repeating: 0, count: rows)
        DiagonalGaussian.entropies(logStd: logStd.matrix, rows: rows, into: &entropy)
        for r in 0..<rows {
            let expected = (0..<dims).reduce(0.0) { $0 + 0.5 + 0.5 * log(2 * Double.pi) + Double(logStd.matrix[sharedLogStd ? 0 : r, $1]) }
            #expect(abs(Double(entropy[r]) - expected) < 1e-5)
        }
        DiagonalGaussian.entropyBackward(logStd: logStd.matrix, rows: rows, weights: weights, logStdGradient: gS.matrix, accumulate: false)
        GradientChecker().check("gaussian dH/dlogσ", values: logStd.matrix.base, analytic: gS.matrix.toArray()) {
            var out = [Float](repeating: 0, count: rows)
            DiagonalGaussian.entropies(logStd: logStd.matrix, rows: rows, into: &out)
            return zip(out, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
    }
}
