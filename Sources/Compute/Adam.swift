#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam (Kingma and Ba) and AdamW (Loshchilov and Hutter), as `torch.optim.Adam` / `AdamW`:
/// t ← t + 1; Adam adds λθ to the gradient, AdamW instead shrinks θ ← θ(1 − lr·λ);
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
public final class Adam: Optimizer {
    public var learningRate: Float
    public var stepCount = 0
    public let parameters: ParameterStore
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// λ: an L2 penalty for Adam, decoupled decay for AdamW.
    public let weightDecay: Float
    /// Whether weight decay is decoupled (AdamW).
    public let decoupledWeightDecay: Bool
    private let firstMoment: AlignedBuffer
    private let secondMoment: AlignedBuffer

    /// Adam (or AdamW when `decoupledWeightDecay`) with PyTorch's defaults.
    public init(parameters: ParameterStore, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoment = AlignedBuffer(count: parameters.count)
        secondMoment = AlignedBuffer(count: parameters.count)
    }

    /// AdamW with PyTorch's defaults (weight decay 0.01).
    public static func adamW(parameters: ParameterStore, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                             epsilon: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public var stateBuffers: [(name: String, buffer: AlignedBuffer)] {
        [("exp_avg", firstMoment), ("exp_avg_sq", secondMoment)]
    }

    public func step() {
        stepCount += 1
        let t = Float(stepCount)
        let stepSize = learningRate / (1 - powf(beta1, t))
        let invRootCorrection2 = 1 / (1 - powf(beta2, t)).squareRoot()
        let p = parameters.values.base, g = parameters.gradients.base
        let m = firstMoment.base, v = secondMoment.base
        let l2 = decoupledWeightDecay ? 0 : weightDecay
        let shrink = decoupledWeightDecay ? 1 - learningRate * weightDecay : 1
        // ParameterStore pads every tensor to 16 floats, so the count is a multiple of 16.
        let n = parameters.count
        precondition(n % 16 == 0, "Adam: parameter buffer length \(n) is not a multiple of 16")
        let b1 = SIMD16<Float>(repeating: beta1), b2 = SIMD16<Float>(repeating: beta2)
        let c1 = SIMD16<Float>(repeating: 1 - beta1), c2 = SIMD16<Float>(repeating: 1 - beta2)
        let eps = SIMD16<Float>(repeating: epsilon), decay = SIMD16<Float>(repeating: l2)
        let keep = SIMD16<Float>(repeating: shrink), size = SIMD16<Float>(repeating: stepSize)
        let correction = SIMD16<Float>(repeating: invRootCorrection2)
        // A first moment that has decayed below the smallest normal float is stored as 0. A
        // parameter whose gradient stays 0 (a dead ReLU unit, a padded slot) sees m shrink by β₁
        // per step through ~150 steps of subnormal values, and each operation on one costs this
        // CPU a microcode assist: with a fifth of DQN's moments subnormal, Adam took twice as long.
        // What such an m could move, lr·|m|/(√v·c + ε) with |m| < 1.2e-38, is with PyTorch's
        // ε = 1e-8 under 1.2e-30·lr, far below the rounding step of any parameter but the tiniest;
        // even with ε = 0 it is under 3e-16·lr (√v ≥ 4e-23 whenever v ≠ 0). v decays a thousand
        // times more slowly (β₂ = 0.999) and is kept as it is.
        let leastNormal = SIMD16<Float>(repeating: .leastNormalMagnitude)
        var i = 0
        while i < n {
            let pi = load16(p + i)
            let gi = load16(g + i) + decay * pi
            var mi = b1 * load16(m + i) + c1 * gi
            mi.replace(with: 0, where: (mi .< leastNormal) .& (mi .> -leastNormal))
            let vi = b2 * load16(v + i) + c2 * gi * gi
            store16(mi, m + i)
            store16(vi, v + i)
            store16(pi * keep - size * mi / (vi.squareRoot() * correction + eps), p + i)
            i += 16
        }
    }
}

