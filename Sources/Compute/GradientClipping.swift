/// Global-norm gradient clipping, as `torch.nn.utils.clip_grad_norm_`.
public enum GradientClipping {
    /// Scales all gradients by min(1, maxNorm / (‖g‖₂ + 1e-6)) and returns ‖g‖₂ before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ parameters: ParameterStore, maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "clipGlobalNorm: maxNorm must be positive, got \(maxNorm)")
        let g = parameters.gradients.base, n = parameters.count
        let norm = Kernels.sumOfSquares(g, count: n).squareRoot()
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 { Kernels.scale(g, by: coefficient, count: n) }
        return norm
    }
}

extension GradientClipping {
    /// Clips the gradients of two stores (an actor and a critic) by their joint norm, as one
    /// `clip_grad_norm_` over both networks' parameters; returns the joint norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ first: ParameterStore, _ second: ParameterStore, maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "clipGlobalNorm: maxNorm must be positive, got \(maxNorm)")
        let norm = (Kernels.sumOfSquares(first.gradients.base, count: first.count)
            + Kernels.sumOfSquares(second.gradients.base, count: second.count)).squareRoot()
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            Kernels.scale(first.gradients.base, by: coefficient, count: first.count)
            Kernels.scale(second.gradients.base, by: coefficient, count: second.count)
        }
        return norm
    }
}
