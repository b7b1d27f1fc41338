/// The dueling architecture's aggregation (Wang et al. 2016): from k + 1 inputs per row, read as
/// the state value V and k advantages A, outputs Q_j = V + A_j − mean(A). Subtracting the mean
/// makes V and A identifiable. Put after a Linear(h, k + 1) to turn any Q-network trunk into a
/// dueling one. No parameters.
///
/// Backward: with g = dL/dQ and S = Σ_j g_j, dL/dV = S and dL/dA_i = g_i − S/k.
public final class DuelingCombine: Layer {
    public let outputSize: Int
    public var inputSize: Int { outputSize + 1 }

    /// Aggregation for `actions` actions.
    public init(actions: Int) {
        precondition(actions > 0, "DuelingCombine: at least one action")
        outputSize = actions
    }

    public func forward(_ input: Matrix, into output: Matrix) {
        let k = outputSize
        for r in 0..<input.rows {
            let x = input.row(r), y = output.row(r)
            var mean: Float = 0
            for j in 0..<k { mean += x[j + 1] }
            mean /= Float(k)
            for j in 0..<k { y[j] = x[0] + x[j + 1] - mean }
        }
    }

    public func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool) {
        guard let inputGradient else { return }
        let k = outputSize
        for r in 0..<outputGradient.rows {
            let g = outputGradient.row(r), dx = inputGradient.row(r)
            var sum: Float = 0
            for j in 0..<k { sum += g[j] }
            dx[0] = sum
            let share = sum / Float(k)
            for j in 0..<k { dx[j + 1] = g[j] - share }
        }
    }
}
