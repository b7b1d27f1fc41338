/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay
/// (PyTorch's `torch.optim.SGD`):
/// g ← ∇ + λθ; b ← g on the first step, else μb + (1 − dampening)g;
/// g ← g + μb (Nesterov) or b; θ ← θ − lr·g.
public final class SGD: Optimizer {
    public var learningRate: Float
    public var stepCount = 0
    public let parameters: ParameterStore
    /// μ; 0 disables momentum.
    public let momentum: Float
    /// Dampening of the momentum update.
    public let dampening: Float
    /// Nesterov momentum (needs momentum > 0 and no dampening).
    public let nesterov: Bool
    /// L2 penalty λ added to the gradient.
    public let weightDecay: Float
    private let momentumBuffer: AlignedBuffer

    public init(parameters: ParameterStore, learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and zero dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffer = AlignedBuffer(count: momentum == 0 ? 0 : parameters.count)
    }

    public var stateBuffers: [(name: String, buffer: AlignedBuffer)] {
        momentum == 0 ? [] : [("momentum_buffer", momentumBuffer)]
    }

    public func step() {
        let p = parameters.values.base, g = parameters.gradients.base, b = momentumBuffer.base
        let n = parameters.count
        precondition(n % 16 == 0, "SGD: parameter buffer length \(n) is not a multiple of 16")
        let lr = SIMD16<Float>(repeating: learningRate), wd = SIMD16<Float>(repeating: weightDecay)
        let mu = SIMD16<Float>(repeating: momentum), damp = SIMD16<Float>(repeating: 1 - dampening)
        let useMomentum = momentum != 0, first = stepCount == 0
        var i = 0
        while i < n {
            let pi = load16(p + i)
            var d = load16(g + i) + wd * pi
            if useMomentum {
                let bi = first ? d : mu * load16(b + i) + damp * d
                store16(bi, b + i)
                d = nesterov ? d + mu * bi : bi
            }
            store16(pi - lr * d, p + i)
            i += 16
        }
        stepCount += 1
    }
}
