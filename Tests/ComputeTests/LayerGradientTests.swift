import Compute
import Foundation
import Testing

/// Every layer's backward pass against central finite differences of its forward pass, over
/// random shapes and seeds.
@Suite struct LayerGradientTests {
    /// Runs the check for one layer: gradients of Σ R ⊙ layer(X) with respect to X and to every
    /// parameter, R random.
    func checkLayer(_ makeLayer: (Int, Int) -> any Layer, seed: UInt64, kinkMargin: Float? = nil) {
        var rng = Xoshiro256(seed: seed)
        let batch = 1 + rng.nextIndex(below: 5), inSize = 1 + rng.nextIndex(below: 7), outSize = 1 + rng.nextIndex(below: 6)
        let layer = makeLayer(inSize, outSize)
        let store = ParameterStore(shapes: layer.parameterShapes)
        layer.bind(parameters: (0..<store.slots.count).map(store.value), gradients: (0..<store.slots.count).map(store.gradient))
        layer.resetParameters(using: &rng)
        let x = randomMatrix(batch, layer.inputSize, &rng)
        if let kinkMargin { keepAwayFromZero(x.matrix, margin: kinkMargin) }
        let y = MatrixBuffer(rows: batch, cols: layer.outputSize)
        let r = randomMatrix(batch, layer.outputSize, &rng)
        let dx = MatrixBuffer(rows: batch, cols: layer.inputSize)
        layer.forward(x.matrix, into: y.matrix)
        layer.backward(input: x.matrix, output: y.matrix, outputGradient: r.matrix, inputGradient: dx.matrix, accumulate: false)
        let objective = { () -> Double in
            layer.forward(x.matrix, into: y.matrix)
            return weightedSum(y.matrix, r.matrix)
        }
        let checker = GradientChecker()
        checker.check("\(type(of: layer)) dX", values: x.matrix.base, analytic: dx.matrix.toArray(), objective: objective)
        for (i, slot) in store.slots.enumerated() {
            checker.check("\(type(of: layer)) d\(slot.name)", values: store.value(i).base, analytic: store.gradient(i).toArray(), objective: objective)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func linear(seed: UInt64) {
        checkLayer({ Linear($0, $1) }, seed: seed)
        checkLayer({ Linear($0, $1, bias: false) }, seed: seed + 100)
    }

    @Test(arguments: [4, 5, 6] as [UInt64]) func relu(seed: UInt64) {
        checkLayer({ n, _ in ReLU(n) }, seed: seed, kinkMargin: 0.05)
    }

    @Test(arguments: [7, 8] as [UInt64]) func leakyRelu(seed: UInt64) {
        checkLayer({ n, _ in LeakyReLU(n, negativeSlope: 0.1) }, seed: seed, kinkMargin: 0.05)
    }

    @Test(arguments: [9, 10] as [UInt64]) func tanh(seed: UInt64) {
        checkLayer({ n, _ in Tanh(n) }, seed: seed)
    }

    @Test(arguments: [11, 12, 13] as [UInt64]) func softmax(seed: UInt64) {
        checkLayer({ n, _ in Softmax(n) }, seed: seed)
    }

    @Test(arguments: [14, 15, 16] as [UInt64]) func logSoftmax(seed: UInt64) {
        checkLayer({ n, _ in LogSoftmax(n) }, seed: seed)
    }

    @Test(arguments: [17, 18] as [UInt64]) func duelingCombine(seed: UInt64) {
        checkLayer({ _, k in DuelingCombine(actions: k) }, seed: seed)
    }

    @Test func duelingCombineSubtractsTheMeanAdvantage() {
        let x = MatrixBuffer(rows: 1, cols: 4, values: [2, 1, 3, 5])
        let y = MatrixBuffer(rows: 1, cols: 3)
        DuelingCombine(actions: 3).forward(x.matrix, into: y.matrix)
        let expected: [Float] = [0, 2, 4]  // V + A − mean(A) with V = 2, A = (1, 3, 5), mean 3
        #expect(y.matrix.toArray() == expected)
    }

    @Test func accumulateAddsToExistingGradients() {
        var rng = Xoshiro256(seed: 21)
        let layer = Linear(3, 2)
        let store = ParameterStore(shapes: layer.parameterShapes)
        layer.bind(parameters: [store.value(0), store.value(1)], gradients: [store.gradient(0), store.gradient(1)])
        layer.resetParameters(using: &rng)
        let x = randomMatrix(4, 3, &rng), y = MatrixBuffer(rows: 4, cols: 2), r = randomMatrix(4, 2, &rng)
        layer.forward(x.matrix, into: y.matrix)
        layer.backward(input: x.matrix, output: y.matrix, outputGradient: r.matrix, inputGradient: nil, accumulate: false)
        let once = Array(store.gradients.buffer)
        layer.backward(input: x.matrix, output: y.matrix, outputGradient: r.matrix, inputGradient: nil, accumulate: true)
        for (i, g) in store.gradients.buffer.enumerated() { #expect(abs(g - 2 * once[i]) <= 1e-6 * max(1, abs(g))) }
    }

    @Test func softmaxIsStableForLargeLogits() {
        let x = MatrixBuffer(rows: 1, cols: 3, values: [1000, 1001, 1002])
        let y = MatrixBuffer(rows: 1, cols: 3), z = MatrixBuffer(rows: 1, cols: 3)
        Softmax(3).forward(x.matrix, into: y.matrix)
        LogSoftmax(3).forward(x.matrix, into: z.matrix)
        // softmax of (0, 1, 2): e^k / (1 + e + e²).
        let denominator = 1 + exp(1.0) + exp(2.0)
        for k in 0..<3 {
            #expect(abs(Double(y.matrix[0, k]) - exp(Double(k)) / denominator) < 1e-6)
            // x − logΣexp(x) subtracts numbers near 1000, whose float32 spacing is 6.1e-5: one ulp.
            #expect(abs(Double(z.matrix[0, k]) - (Double(k) - log(denominator))) <= Double(Float(1000).ulp))
        }
    }

    @Test(arguments: [31, 32] as [UInt64]) func wholeMLPAgainstFiniteDifferences(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let model = MLP.make(sizes: [5, 8, 7, 3], activation: .tanh, using: &rng)
        let x = randomMatrix(6, 5, &rng), r = randomMatrix(6, 3, &rng), dx = MatrixBuffer(rows: 6, cols: 5)
        model.forward(x.matrix)
        model.backward(outputGradient: r.matrix, inputGradient: dx.matrix)
        let analytic = Array(model.parameters.gradients.buffer)
        let objective = { weightedSum(model.forward(x.matrix), r.matrix) }
        let indices = model.parameters.slots.flatMap { slot in (0..<slot.count).map { slot.offset + $0 } }
        GradientChecker().check("MLP parameters", values: model.parameters.values.base, analytic: analytic,
                                indices: sampleIndices(indices.count, limit: 80, &rng).map { indices[$0] }, objective: objective)
        GradientChecker().check("MLP input", values: x.matrix.base, analytic: dx.matrix.toArray(), objective: objective)
    }
}
