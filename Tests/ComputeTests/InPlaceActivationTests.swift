import Compute
import Testing

/// An activation after a Linear layer runs in place over the Linear's output (Sequential's
/// workspace shares the buffer); everywhere else it gets a buffer of its own. The values and
/// gradients must be those of the same network with every activation in its own buffer.
@Suite struct InPlaceActivationTests {
    /// max(0, x) like ReLU, recording whether its forward pass wrote over its input, and
    /// optionally refusing to run in place (the reference network).
    final class ProbeReLU: Layer {
        let inputSize: Int
        var outputSize: Int { inputSize }
        let inPlace: Bool
        var sharedItsInput: Bool?

        init(_ size: Int, inPlace: Bool) {
            inputSize = size
            self.inPlace = inPlace
        }

        var runsInPlace: Bool { inPlace }

        func forward(_ input: Matrix, into output: Matrix) {
            sharedItsInput = input.base == output.base
            for i in 0..<input.count { output.base[i] = max(input.base[i], 0) }
        }

        func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
            guard let inputGradient else { return }
            for i in 0..<output.count { inputGradient.base[i] = output.base[i] > 0 ? outputGradient.base[i] : 0 }
        }
    }

    @Test func anActivationAfterALinearRunsInPlaceWithTheSameValuesAndGradients() {
        func network(inPlace: Bool) -> (Sequential, [ProbeReLU]) {
            // Index 0 has the caller's input (never overwritten); index 2 follows a Linear; index 4
            // follows a LeakyReLU, whose backward pass reads its input and output.
            let probes = [ProbeReLU(12, inPlace: inPlace), ProbeReLU(32, inPlace: inPlace), ProbeReLU(32, inPlace: inPlace)]
            var rng = Xoshiro256(seed: 41)
            let net = Sequential([probes[0], Linear(12, 32), probes[1], LeakyReLU(32), probes[2], Linear(32, 5), ReLU(5), Linear(5, 3)], using: &rng)
            return (net, probes)
        }
        let (fast, probes) = network(inPlace: true)
        let (reference, _) = network(inPlace: false)
        var rng = Xoshiro256(seed: 7)
        let input = randomMatrix(16, 12, &rng), dy = randomMatrix(16, 3, &rng)
        let inputCopy = Array(UnsafeBufferPointer(start: input.matrix.base, count: input.matrix.count))
        let inputGradient = MatrixBuffer(rows: 16, cols: 12), referenceInputGradient = MatrixBuffer(rows: 16, cols: 12)

        let y = fast.forward(input.matrix)
        let yReference = reference.forward(input.matrix)
        fast.backward(outputGradient: dy.matrix, inputGradient: inputGradient.matrix)
        reference.backward(outputGradient: dy.matrix, inputGradient: referenceInputGradient.matrix)

        #expect(probes.map(\.sharedItsInput) == [false, true, false])
        #expect(Array(UnsafeBufferPointer(start: input.matrix.base, count: input.matrix.count)) == inputCopy, "the caller's input is untouched")
        #expect((0..<y.count).allSatisfy { y.base[$0].bitPattern == yReference.base[$0].bitPattern })
        let g = fast.parameters.gradients, gReference = reference.parameters.gradients
        #expect((0..<g.count).allSatisfy { g.base[$0].bitPattern == gReference.base[$0].bitPattern })
        #expect((0..<inputGradient.matrix.count).allSatisfy {
            inputGradient.matrix.base[$0].bitPattern == referenceInputGradient.matrix.base[$0].bitPattern
        })
        // The gradients are not all zero (the comparison above would then prove little).
        #expect((0..<g.count).contains { g.base[$0] != 0 })
    }

    @Test func reluAndTanhGiveTheSameBitsInPlace() {
        var rng = Xoshiro256(seed: 3)
        for layer in [ReLU(37), Tanh(37)] as [any Layer] {
            #expect(layer.runsInPlace)
            let x = randomMatrix(9, 37, &rng, scale: 2), y = MatrixBuffer(rows: 9, cols: 37)
            layer.forward(x.matrix, into: y.matrix)
            layer.forward(x.matrix, into: x.matrix)
            #expect((0..<x.matrix.count).allSatisfy { x.matrix.base[$0].bitPattern == y.matrix.base[$0].bitPattern }, "\(type(of: layer))")
        }
    }

    /// ReLU and Tanh add their Linear layer's bias in their own pass (`BiasFusingActivation`);
    /// LeakyReLU does not. Either way the network's output must carry the bits of its layers run
    /// one at a time, each into a buffer of its own.
    @Test(arguments: Activation.allCases) func aFusedBiasGivesTheBitsOfTheLayersOneByOne(activation: Activation) {
        var rng = Xoshiro256(seed: 12)
        let network = MLP.make(sizes: [11, 128, 64, 3], activation: activation, using: &rng)
        var inputs = Xoshiro256(seed: 5)
        for rows in [1, 7, 64] {
            let input = randomMatrix(rows, 11, &inputs)
            let y = network.forward(input.matrix)
            var x = input
            for layer in network.layers {
                let out = MatrixBuffer(rows: rows, cols: layer.outputSize)
                layer.forward(x.matrix, into: out.matrix)
                x = out
            }
            #expect((0..<y.count).allSatisfy { y.base[$0].bitPattern == x.matrix.base[$0].bitPattern }, "\(activation), \(rows) rows")
        }
    }
}
