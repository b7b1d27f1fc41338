import Compute

/// The state-independent log standard deviation of a Gaussian policy, carried as a parameter of
/// the actor network (SB3's `log_std`, initialised to 0) so the optimizer, gradient clipping and
/// checkpoints treat it like any weight. The forward pass is the identity on the means; the agent
/// writes log σ's gradient itself (it comes from the log-likelihood, not from the means).
final class LogStdLayer: Layer {
    let inputSize: Int
    var outputSize: Int { inputSize }
    private(set) var logStd: Matrix?
    private(set) var logStdGradient: Matrix?

    init(_ size: Int) { inputSize = size }

    var parameterShapes: [(name: String, rows: Int, cols: Int)] { [("log_std", 1, inputSize)] }

    func bind(parameters: [Matrix], gradients: [Matrix]) {
        logStd = parameters[0]
        logStdGradient = gradients[0]
    }

    func resetParameters(using generator: inout some RandomNumberGenerator) { logStd?.fill(0) }

    func forward(_ input: Matrix, into output: Matrix) { output.copy(from: input) }

    func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        inputGradient?.copy(from: outputGradient)
    }
}
