import CGemm
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An elementwise activation that adds a Linear layer's bias in its own pass over the layer's
/// output: `Sequential` runs the pair as the Linear product alone, then this, when the activation
/// works in place over the Linear's output. One pass over the activations fewer (~0.7 µs of a
/// DQN step on Zen 4), the same values: each element is still the product plus the bias, then f.
public protocol BiasFusingActivation: Layer {
    /// output[r, c] = f(output[r, c] + bias[c]), in place.
    func forwardInPlace(_ output: Matrix, addingBias bias: UnsafePointer<Float>)
}

/// max(0, x). The derivative at 0 is taken as 0, as PyTorch does.
public final class ReLU: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }

    public init(_ size: Int) { inputSize = size }

    /// Elementwise, and the backward pass reads only the output.
    public var runsInPlace: Bool { true }

    public func forward(_ input: Matrix, into output: Matrix) {
        let x = input.base, y = output.base
        // In place through one pointer: with two equal ones the vectoriser's overlap check
        // fails at run time and the scalar loop runs instead.
        if x == y {
            for i in 0..<output.count { y[i] = max(y[i], 0) }
        } else {
            for i in 0..<input.count { y[i] = max(x[i], 0) }
        }
    }

    public func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        guard let inputGradient else { return }
        let y = output.base, dy = outputGradient.base, dx = inputGradient.base
        for i in 0..<output.count { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}

extension ReLU: BiasFusingActivation {
    public func forwardInPlace(_ output: Matrix, addingBias bias: UnsafePointer<Float>) {
        let cols = output.cols
        for r in 0..<output.rows {
            let row = output.base + r * cols
            for c in 0..<cols { row[c] = max(row[c] + bias[c], 0) }
        }
    }
}

/// x for x > 0, slope·x otherwise (PyTorch's default slope 0.01).
public final class LeakyReLU: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }
    /// The slope for negative inputs.
    public let negativeSlope: Float

    public init(_ size: Int, negativeSlope: Float = 0.01) {
        inputSize = size
        self.negativeSlope = negativeSlope
    }

    public func forward(_ input: Matrix, into output: Matrix) {
        let x = input.base, y = output.base, s = negativeSlope
        for i in 0..<input.count { y[i] = x[i] > 0 ? x[i] : s * x[i] }
    }

    public func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        guard let inputGradient else { return }
        let x = input.base, dy = outputGradient.base, dx = inputGradient.base, s = negativeSlope
        for i in 0..<input.count { dx[i] = x[i] > 0 ? dy[i] : s * dy[i] }
    }
}

/// tanh(x); the backward pass uses the output: d tanh = 1 − y².
public final class Tanh: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }

    public init(_ size: Int) { inputSize = size }

    /// Elementwise, and the backward pass reads only the output.
    public var runsInPlace: Bool { true }

    public func forward(_ input: Matrix, into output: Matrix) {
        let x = input.base, y = output.base
        if Self.runsOnKernelFamily(x, y, bias: nil, rows: 1, cols: input.count) { return }
        // In place through one pointer (see ReLU.forward).
        if x == y {
            for i in 0..<output.count { y[i] = Kernels.fastTanh(y[i]) }
        } else {
            for i in 0..<input.count { y[i] = Kernels.fastTanh(x[i]) }
        }
    }

    public func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        guard let inputGradient else { return }
        let y = output.base, dy = outputGradient.base, dx = inputGradient.base
        for i in 0..<output.count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    }
}

extension Tanh: BiasFusingActivation {
    public func forwardInPlace(_ output: Matrix, addingBias bias: UnsafePointer<Float>) {
        let cols = output.cols
        if Self.runsOnKernelFamily(output.base, output.base, bias: bias, rows: output.rows, cols: cols) { return }
        for r in 0..<output.rows {
            let row = output.base + r * cols
            for c in 0..<cols { row[c] = Kernels.fastTanh(row[c] + bias[c]) }
        }
    }

    /// tanh(x + bias) on the AVX-512 family's registers when that family is active, the same bits
    /// as the loops here (CGemm's `qf_tanh_rows`): compiled for AVX2, this loop reloads its
    /// eleven coefficients every eight lanes for want of registers, and tanh was ~8% of a PPO run
    /// on Zen 4. False on any other family, which runs the loop.
    static func runsOnKernelFamily(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                                   bias: UnsafePointer<Float>?, rows: Int, cols: Int) -> Bool {
        qf_tanh_rows(GemmKernels.active.family, source, destination, bias, rows, cols) != 0
    }
}

/// Row-wise softmax, computed stably (the row maximum is subtracted before exponentiating).
/// Backward: dx = y ⊙ (dy − ⟨dy, y⟩) per row.
public final class Softmax: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }

    public init(_ size: Int) { inputSize = size }

    public func forward(_ input: Matrix, into output: Matrix) {
        Softmax.rows(input, into: output)
    }

    /// Writes softmax of each row of `input` into `output` (may alias).
    public static func rows(_ input: Matrix, into output: Matrix) {
        let n = input.cols
        for r in 0..<input.rows {
            let x = input.row(r), y = output.row(r)
            let m = Kernels.maximum(x, count: n)
            var s: Float = 0
            for c in 0..<n {
                let e = expf(x[c] - m)
                y[c] = e
                s += e
            }
            let inv = 1 / s
            for c in 0..<n { y[c] *= inv }
        }
    }

    public func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        guard let inputGradient else { return }
        let n = output.cols
        for r in 0..<output.rows {
            let y = output.row(r), dy = outputGradient.row(r), dx = inputGradient.row(r)
            var inner: Float = 0
            for c in 0..<n { inner += dy[c] * y[c] }
            for c in 0..<n { dx[c] = y[c] * (dy[c] - inner) }
        }
    }
}

/// Row-wise log-softmax, x − logΣexp(x), computed stably.
/// Backward: dx = dy − softmax(x)·Σdy per row, with softmax recovered as exp(y).
public final class LogSoftmax: Layer {
    public let inputSize: Int
    public var outputSize: Int { inputSize }

    public init(_ size: Int) { inputSize = size }

    public func forward(_ input: Matrix, into output: Matrix) {
        LogSoftmax.rows(input, into: output)
    }

    /// Writes log-softmax of each row of `input` into `output` (may alias).
    public static func rows(_ input: Matrix, into output: Matrix) {
        let n = input.cols
        for r in 0..<input.rows {
            let x = input.row(r), y = output.row(r)
            let lse = Kernels.logSumExp(x, count: n)
            for c in 0..<n { y[c] = x[c] - lse }
        }
    }

    public func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        guard let inputGradient else { return }
        let n = output.cols
        for r in 0..<output.rows {
            let y = output.row(r), dy = outputGradient.row(r), dx = inputGradient.row(r)
            var total: Float = 0
            for c in 0..<n { total += dy[c] }
            for c in 0..<n { dx[c] = dy[c] - expf(y[c]) * total }
        }
    }
}

/// The hidden-layer nonlinearities an `MLP` can be built with.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case relu
    case leakyRelu = "leaky_relu"
    case tanh

    /// A layer of this activation for `size` features.
    public func makeLayer(size: Int) -> any Layer {
        switch self {
        case .relu: return ReLU(size)
        case .leakyRelu: return LeakyReLU(size)
        case .tanh: return Tanh(size)
        }
    }
}
