/// An update rule applied to every parameter of a `ParameterStore` in one fused loop.
///
/// An optimizer is created for one store; its state (moments, momentum buffers) lives in buffers of
/// the same layout, allocated once at creation, so `step()` allocates nothing. The update formulas
/// follow PyTorch's `torch.optim` exactly, so hyperparameters carry over unchanged.
public protocol Optimizer: AnyObject {
    /// The learning rate used by the next `step()`; a schedule sets it before each step.
    var learningRate: Float { get set }
    /// Number of steps taken so far (Adam's bias correction depends on it).
    var stepCount: Int { get set }
    /// The store whose values are updated from its gradients.
    var parameters: ParameterStore { get }
    /// Named state buffers, in a fixed order (for checkpoints).
    var stateBuffers: [(name: String, buffer: AlignedBuffer)] { get }
    /// Applies one update from the current gradients.
    func step()
}

/// The optimizers that can be named in a configuration (`optimizer_name`).
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, adam, adamw, rmsprop
}

extension OptimizerKind {
    /// The optimizer of this kind over `parameters`, with PyTorch's defaults besides the
    /// learning rate (RMSprop takes Stable-Baselines3's ε = 1e-5 when `rmspropEpsilon` is given).
    public func make(parameters: ParameterStore, learningRate: Float, rmspropEpsilon: Float = 1e-8) -> any Optimizer {
        switch self {
        case .sgd: return SGD(parameters: parameters, learningRate: learningRate)
        case .adam: return Adam(parameters: parameters, learningRate: learningRate)
        case .adamw: return Adam.adamW(parameters: parameters, learningRate: learningRate)
        case .rmsprop: return RMSprop(parameters: parameters, learningRate: learningRate, epsilon: rmspropEpsilon)
        }
    }
}
