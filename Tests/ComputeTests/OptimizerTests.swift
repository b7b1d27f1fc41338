import Compute
import Foundation
import Testing

/// Optimizer updates against values computed by hand for the first steps (p₀ = 1, g = 0.5 unless
/// stated), then against a float64 transcription of PyTorch's formulas on many parameters.
@Suite struct OptimizerTests {
    /// A store with one tensor holding `values`, gradients set to `gradient`.
    func store(_ values: [Float], gradient: [Float]) -> ParameterStore {
        let s = ParameterStore(shapes: [("w", 1, values.count)])
        for (i, v) in values.enumerated() { s.values.base[i] = v; s.gradients.base[i] = gradient[i] }
        return s
    }

    func close(_ a: Float, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { abs(Double(a) - b) <= tolerance * max(1, abs(b)) }

    @Test func sgdVariantsByHand() {
        let plain = store([1], gradient: [0.5])
        SGD(parameters: plain, learningRate: 0.1).step()
        #expect(close(plain.values.base[0], 0.95))

        let momentum = store([1], gradient: [0.5])
        let m = SGD(parameters: momentum, learningRate: 0.1, momentum: 0.9)
        m.step()
        #expect(close(momentum.values.base[0], 0.95))   // first step: buffer = g
        m.step()
        #expect(close(momentum.values.base[0], 0.855))  // buffer 0.9·0.5 + 0.5 = 0.95

        let nesterov = store([1], gradient: [0.5])
        let n = SGD(parameters: nesterov, learningRate: 0.1, momentum: 0.9, nesterov: true)
        n.step()
        #expect(close(nesterov.values.base[0], 0.905))  // g + μb = 0.95
        n.step()
        #expect(close(nesterov.values.base[0], 0.7695)) // b = 0.95, g + μb = 1.355

        let decay = store([1], gradient: [0.5])
        SGD(parameters: decay, learningRate: 0.1, weightDecay: 0.1).step()
        #expect(close(decay.values.base[0], 0.94))      // g + λp = 0.6
    }

    @Test func adamBiasCorrectionByHand() {
        let s = store([1], gradient: [0.5])
        let adam = Adam(parameters: s, learningRate: 0.1)
        adam.step()
        // m̂ = g, v̂ = g²: the first step moves by lr·g/|g| = lr.
        #expect(close(s.values.base[0], 0.9))
        s.gradients.base[0] = -0.25
        adam.step()
        // m = 0.9·0.05 + 0.1·(−0.25) = 0.02, v = 0.999·2.5e-4 + 0.001·0.0625 = 3.1225e-4;
        // m̂ = 0.02/0.19, v̂ = 3.1225e-4/0.001999; p = 0.9 − 0.1·m̂/√v̂ = 0.8733663.
        #expect(close(s.values.base[0], 0.87336629, 1e-6))
        #expect(adam.stepCount == 2)
    }

    @Test func adamWeightDecayCoupledAndDecoupled() {
        let l2 = store([1], gradient: [0.5])
        Adam(parameters: l2, learningRate: 0.1, weightDecay: 0.1).step()
        #expect(close(l2.values.base[0], 0.9))           // g' = 0.6, still one lr step
        let decoupled = store([1], gradient: [0.5])
        Adam.adamW(parameters: decoupled, learningRate: 0.1, weightDecay: 0.1).step()
        #expect(close(decoupled.values.base[0], 0.89))   // 1·(1 − 0.01) − 0.1
    }

    @Test func rmspropVariantsByHand() {
        let plain = store([1], gradient: [0.5])
        RMSprop(parameters: plain, learningRate: 0.01).step()
        #expect(close(plain.values.base[0], 0.9))         // v = 0.0025, √v = 0.05
        let centered = store([1], gradient: [0.5])
        RMSprop(parameters: centered, learningRate: 0.01, centered: true).step()
        #expect(close(centered.values.base[0], 0.899496218)) // √(0.0025 − 0.005²)
        let momentum = store([1], gradient: [0.5])
        let m = RMSprop(parameters: momentum, learningRate: 0.01, momentum: 0.9)
        m.step()
        #expect(close(momentum.values.base[0], 0.9))      // b = 10
        m.step()
        #expect(close(momentum.values.base[0], 0.7391119, 1e-6)) // v = 0.004975, b = 9 + 0.5/√v
    }

    /// Adam over 37 parameters (two tensors, so padding is crossed) for 5 steps with changing
    /// gradients, against a float64 transcription of torch.optim.Adam.
    @Test(arguments: [false, true]) func adamMatchesReferenceOverSteps(decoupled: Bool) {
        var rng = Xoshiro256(seed: 3)
        let s = ParameterStore(shapes: [("a", 3, 7), ("b", 1, 16)])
        let adam = Adam(parameters: s, learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.05, decoupledWeightDecay: decoupled)
        let indices = s.slots.flatMap { slot in (0..<slot.count).map { slot.offset + $0 } }
        for i in indices { s.values.base[i] = rng.nextNormal() }
        var p = indices.map { Double(s.values.base[$0]) }, m = [Double](repeating: 0, count: p.count), v = m
        for t in 1...5 {
            for i in indices { s.gradients.base[i] = rng.nextNormal() }
            adam.step()
            for (k, i) in indices.enumerated() {
                var g = Double(s.gradients.base[i])
                if decoupled { p[k] *= 1 - 0.01 * 0.05 } else { g += 0.05 * p[k] }
                m[k] = 0.8 * m[k] + 0.2 * g
                v[k] = 0.95 * v[k] + 0.05 * g * g
                let mHat = m[k] / (1 - pow(0.8, Double(t))), vHat = v[k] / (1 - pow(0.95, Double(t)))
                p[k] -= 0.01 * mHat / (vHat.squareRoot() + 1e-6)
            }
        }
        for (k, i) in indices.enumerated() { #expect(close(s.values.base[i], p[k], 1e-5), "parameter \(i)") }
    }

    @Test func momentsThatDecayBelowTheNormalRangeBecomeZeroAndMoveNothing() {
        // Gradients for 5 steps, then none for 1,500: the first moments shrink by β₁ = 0.9 per
        // step into the subnormal range (after ~800 steps), where Adam stores them as 0. A float32
        // transcription of the same update without that flush gives the same parameters bit for bit.
        var rng = Xoshiro256(seed: 12)
        let n = 32
        let s = ParameterStore(shapes: [("w", 1, n)])
        let adam = Adam(parameters: s, learningRate: 1e-3)
        for i in 0..<n { s.values.base[i] = rng.nextNormal() }
        var p = (0..<n).map { s.values.base[$0] }, m = [Float](repeating: 0, count: n), v = m
        var referenceWentSubnormal = false
        for t in 1...1_505 {
            for i in 0..<n { s.gradients.base[i] = t <= 5 ? rng.nextNormal() : 0 }
            adam.step()
            let stepSize = Float(1e-3) / (1 - powf(0.9, Float(t)))
            let correction = 1 / (1 - powf(0.999, Float(t))).squareRoot()
            for i in 0..<n {
                let g = s.gradients.base[i]
                m[i] = 0.9 * m[i] + (1 - 0.9) * g
                v[i] = 0.999 * v[i] + (1 - 0.999) * g * g
                p[i] = p[i] - stepSize * m[i] / (v[i].squareRoot() * correction + 1e-8)
                referenceWentSubnormal = referenceWentSubnormal || m[i].isSubnormal
            }
            let firstMoment = adam.stateBuffers[0].buffer
            #expect((0..<n).allSatisfy { s.values.base[$0] == p[$0] }, "step \(t)")
            #expect((0..<n).allSatisfy { !firstMoment.base[$0].isSubnormal }, "step \(t)")
        }
        #expect(referenceWentSubnormal)
    }

    @Test func clippingScalesToTheMaximumNorm() {
        let s = store([0, 0], gradient: [3, 4])
        let norm = GradientClipping.clipGlobalNorm(s, maxNorm: 1)
        #expect(norm == 5)
        #expect(close(s.gradients.base[0], 0.6) && close(s.gradients.base[1], 0.8))
        let small = store([0, 0], gradient: [0.3, 0.4])
        GradientClipping.clipGlobalNorm(small, maxNorm: 1)
        #expect(small.gradients.base[0] == 0.3 && small.gradients.base[1] == 0.4, "below the limit nothing changes")
    }

    @Test func schedules() {
        #expect(LearningRateSchedule.constant(rate: 0.3).rate(at: 1000) == 0.3)
        let linear = LearningRateSchedule.linear(initial: 1, final: 0.1, steps: 10)
        #expect(linear.rate(at: 0) == 1)
        #expect(close(linear.rate(at: 5), 0.55))
        #expect(linear.rate(at: 10) == 0.1 && linear.rate(at: 50) == 0.1)
        let cosine = LearningRateSchedule.cosine(initial: 1, minimum: 0.2, steps: 100)
        #expect(cosine.rate(at: 0) == 1)
        #expect(close(cosine.rate(at: 50), 0.6))
        #expect(close(cosine.rate(at: 25), 0.2 + 0.8 * 0.5 * (1 + cos(Double.pi / 4))))
        #expect(close(cosine.rate(at: 100), 0.2) && close(cosine.rate(at: 150), 0.2))
    }
}
