/// RMSprop as `torch.optim.RMSprop`:
/// g ← ∇ + λθ; v ← αv + (1 − α)g²; centred: ḡ ← αḡ + (1 − α)g, d = √(v − ḡ²) + ε, else d = √v + ε;
/// with momentum b ← μb + g/d, θ ← θ − lr·b; without, θ ← θ − lr·g/d.
public final class RMSprop: Optimizer {
    public var learningRate: Float
    public var stepCount = 0
    public let parameters: ParameterStore
    public let alpha: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let momentum: Float
    public let centered: Bool
    private let squareAverage: AlignedBuffer
    private let gradientAverage: AlignedBuffer
    private let momentumBuffer: AlignedBuffer

    /// RMSprop with PyTorch's defaults.
    public init(parameters: ParameterStore, learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8,
                weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        squareAverage = AlignedBuffer(count: parameters.count)
        gradientAverage = AlignedBuffer(count: centered ? parameters.count : 0)
        momentumBuffer = AlignedBuffer(count: momentum > 0 ? parameters.count : 0)
    }

    public var stateBuffers: [(name: String, buffer: AlignedBuffer)] {
        var buffers = [("square_avg", squareAverage)]
        if centered { buffers.append(("grad_avg", gradientAverage)) }
        if momentum > 0 { buffers.append(("momentum_buffer", momentumBuffer)) }
        return buffers
    }

    public func step() {
        let p = parameters.values.base, g = parameters.gradients.base
        let v = squareAverage.base, ga = gradientAverage.base, b = momentumBuffer.base
        let n = parameters.count
        precondition(n % 16 == 0, "RMSprop: parameter buffer length \(n) is not a multiple of 16")
        let a = SIMD16<Float>(repeating: alpha), c = SIMD16<Float>(repeating: 1 - alpha)
        let eps = SIMD16<Float>(repeating: epsilon), wd = SIMD16<Float>(repeating: weightDecay)
        let mu = SIMD16<Float>(repeating: momentum), lr = SIMD16<Float>(repeating: learningRate)
        let useMomentum = momentum > 0
        var i = 0
        while i < n {
            let pi = load16(p + i)
            let gi = load16(g + i) + wd * pi
            let vi = a * load16(v + i) + c * gi * gi
            store16(vi, v + i)
            let denominator: SIMD16<Float>
            if centered {
                let gai = a * load16(ga + i) + c * gi
                store16(gai, ga + i)
                denominator = (vi - gai * gai).squareRoot() + eps
            } else {
                denominator = vi.squareRoot() + eps
            }
            if useMomentum {
                let bi = mu * load16(b + i) + gi / denominator
                store16(bi, b + i)
                store16(pi - lr * bi, p + i)
            } else {
                store16(pi - lr * gi / denominator, p + i)
            }
            i += 16
        }
        stepCount += 1
    }
}
