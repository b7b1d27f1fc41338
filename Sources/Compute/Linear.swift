import CKernels

/// A fully connected layer, y = x·Wᵀ + b, with W stored as [out, in] like PyTorch's `nn.Linear`
/// (so a checkpoint loads into PyTorch unchanged).
///
/// All three products go to `gemm` with the transposes as flags:
/// forward y = x·Wᵀ, weight gradient dW = dyᵀ·x, input gradient dx = dy·W. The forward pass on a
/// batch of `transposedCopyMinimumRows` or more first copies Wᵀ out and computes x·(Wᵀ) when
/// `copiesTransposedWeight` says so and the product is one the active kernels take (a product the
/// AVX2 family hands to OpenBLAS goes there as x·Wᵀ: OpenBLAS packs W itself). While its network
/// holds its parameters (`Sequential.holdsParameters`), the copy is kept from pass to pass.
public final class Linear: Layer {
    public let inputSize: Int
    public let outputSize: Int
    /// Whether the layer adds a bias.
    public let hasBias: Bool

    public private(set) var weight: Matrix?
    public private(set) var bias: Matrix?
    public private(set) var weightGradient: Matrix?
    public private(set) var biasGradient: Matrix?
    /// Room for Wᵀ ([in, out]) when the layer is small enough for the transposed forward pass.
    private var transposedWeight: AlignedBuffer?
    /// Whether the weights change only where `parametersDidChange()` is called (`holdParameters`).
    private var holdsParameters = false
    /// Whether `transposedWeight` holds Wᵀ of the current weights (kept only while held).
    private var transposedWeightIsCurrent = false

    /// A layer mapping `inputSize` features to `outputSize`.
    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true) {
        precondition(inputSize > 0 && outputSize > 0, "Linear(\(inputSize), \(outputSize)): sizes must be positive")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.hasBias = bias
    }

    public var parameterShapes: [(name: String, rows: Int, cols: Int)] {
        hasBias ? [("weight", outputSize, inputSize), ("bias", 1, outputSize)] : [("weight", outputSize, inputSize)]
    }

    public func bind(parameters: [Matrix], gradients: [Matrix]) {
        weight = parameters[0]
        weightGradient = gradients[0]
        transposedWeightIsCurrent = false
        if Self.copiesTransposedWeight(inputSize: inputSize, outputSize: outputSize, backend: GemmKernels.active) {
            transposedWeight = AlignedBuffer(count: inputSize * outputSize)
        }
        if hasBias {
            bias = parameters[1]
            biasGradient = gradients[1]
        }
    }

    /// Whether the forward pass on `transposedCopyMinimumRows` rows or more copies Wᵀ out and
    /// computes x·(Wᵀ): for OpenBLAS on small layers only (wider ones ran x·Wᵀ as fast or faster),
    /// for QuantForge's kernels on every layer they take (they read B's rows in place, and
    /// 256×256's copy costs ~1% of a batch-1024 product).
    static func copiesTransposedWeight(inputSize: Int, outputSize: Int, backend: GemmBackend) -> Bool {
        guard outputSize > thinOutputLimit else { return false }
        if backend != .openblas { return inputSize * outputSize <= GemmKernels.largestOperand }
        return inputSize * outputSize <= smallOperandLimit
    }

    /// PyTorch's default: weight ~ U(−1/√in, 1/√in) (Kaiming uniform with a = √5), bias likewise.
    public func resetParameters(using generator: inout some RandomNumberGenerator) {
        guard let weight else { preconditionFailure("Linear: resetParameters before bind") }
        Initializer.kaimingUniform(a: Float(5).squareRoot()).fill(weight, using: &generator)
        if let bias {
            let bound = 1 / Float(inputSize).squareRoot()
            generator.fillUniform(bias.base, count: bias.count, lower: -bound, upper: bound)
        }
    }

    /// The fewest rows from which the forward pass copies Wᵀ out (where the layer keeps room for
    /// it). On OpenBLAS, `transposedForwardMinimumRows`. On QuantForge's kernels 10, or 4 when the
    /// layer has at most 64 inputs: their x·Wᵀ sums each output as a 16-lane dot product and then
    /// reduces it across the lanes, ~48 GFLOP/s on a 128×128 layer on Zen 3 however many rows,
    /// while x·(Wᵀ) runs at ~85 once the copy is paid. Measured there (AVX2 family, copy and
    /// x·(Wᵀ) against x·Wᵀ, µs): 128×128 at 8 rows 6.3 vs 5.6, 10 rows 6.2 vs 7.2, 16 rows 8.5 vs
    /// 11.4, 32 rows 14.5 vs 22.8; 256×256 at 10 rows 30.0 vs 31.2, 16 rows 42.3 vs 53.6; 11
    /// inputs × 128 at 4 rows 0.53 vs 1.04, 16 rows 1.09 vs 4.05; 64×64 at 4 rows 1.11 vs 1.22.
    /// Both families share the bound, so they still give the same bits (docs/kernels.md).
    static func transposedCopyMinimumRows(inputSize: Int, backend: GemmBackend) -> Int {
        if backend == .openblas { return transposedForwardMinimumRows }
        return inputSize <= 64 ? 4 : 10
    }

    /// Whether a forward pass over `rows` rows copies Wᵀ out (when the layer keeps room for it):
    /// on OpenBLAS always (the room exists only for small layers), on QuantForge's kernels only
    /// when they take the x·(Wᵀ) product; one they hand to OpenBLAS runs as x·Wᵀ, packed there.
    private func runsOnTransposedCopy(rows: Int) -> Bool {
        let backend = GemmKernels.active
        guard rows >= Self.transposedCopyMinimumRows(inputSize: inputSize, backend: backend) else { return false }
        return backend == .openblas || GemmKernels.handles(backend, transA: .none, transB: .none, m: rows, n: outputSize, k: inputSize)
    }

    public func forward(_ input: Matrix, into output: Matrix) {
        forwardWithoutBias(input, into: output)
        if let bias { Kernels.addRowVector(bias.base, to: output) }
    }

    /// x·Wᵀ alone, for an activation that adds the bias in its own pass (`BiasFusingActivation`).
    func forwardWithoutBias(_ input: Matrix, into output: Matrix) {
        guard let weight else { preconditionFailure("Linear: forward before bind") }
        if let transposedWeight, runsOnTransposedCopy(rows: input.rows) {
            // Copied on every pass unless the owner holds the weights: a network in training
            // changes them between any two passes.
            if !transposedWeightIsCurrent {
                qf_transpose(weight.base, outputSize, inputSize, transposedWeight.base)
                transposedWeightIsCurrent = holdsParameters
            }
            gemm(input, Matrix(base: transposedWeight.base, rows: inputSize, cols: outputSize), into: output)
        } else {
            gemm(input, weight, into: output, transposeB: .transposed)
        }
    }

    public func holdParameters(_ held: Bool) {
        holdsParameters = held
        transposedWeightIsCurrent = false
    }

    public func parametersDidChange() { transposedWeightIsCurrent = false }

    /// The gradients need the input, the weight and dL/d(output), not the output: an activation
    /// after this layer may overwrite it.
    public var backwardReadsOutput: Bool { false }

    public func backward(input: Matrix, output: Matrix, outputGradient dy: Matrix, inputGradient dx: Matrix?, accumulate: Bool) {
        guard let weight, let weightGradient else { preconditionFailure("Linear: backward before bind") }
        gemm(dy, input, into: weightGradient, transposeA: .transposed, beta: accumulate ? 1 : 0)
        if let biasGradient { Kernels.sumRows(of: dy, into: biasGradient.base, accumulate: accumulate) }
        if let dx { gemm(dy, weight, into: dx) }
    }
}
