/// One differentiable step of a network: forward into a preallocated output, backward into
/// preallocated gradients.
///
/// Layers own no activations: the model that holds them provides input and output views, so the
/// same layer serves any batch size without allocating. A layer with parameters is bound to slices
/// of its model's `ParameterStore`.
public protocol Layer: AnyObject {
    /// Features per input row.
    var inputSize: Int { get }
    /// Features per output row.
    var outputSize: Int { get }
    /// Tensors this layer needs, as (name suffix, rows, cols); empty for activations.
    var parameterShapes: [(name: String, rows: Int, cols: Int)] { get }
    /// Gives the layer its parameter and gradient views, in the order of `parameterShapes`.
    func bind(parameters: [Matrix], gradients: [Matrix])
    /// Draws initial parameter values (PyTorch's defaults unless the layer says otherwise).
    func resetParameters(using generator: inout some RandomNumberGenerator)
    /// Writes the layer's output for `input` (batch × inputSize) into `output` (batch × outputSize).
    func forward(_ input: Matrix, into output: Matrix)
    /// Given dL/d(output), writes dL/d(input) when `inputGradient` is non-nil, and writes
    /// (or, when `accumulate`, adds) dL/d(parameters) into the bound gradient views.
    /// `input` and `output` are the values of the matching forward call.
    func backward(input: Matrix, output: Matrix, outputGradient: Matrix, inputGradient: Matrix?, accumulate: Bool)
    /// Whether `forward` may write its output over its input (an elementwise layer) and
    /// `backward` then reads `output` only, never `input`. Such a layer shares its input's
    /// buffer when the layer before it does not read its own output on the way back.
    var runsInPlace: Bool { get }
    /// Whether `backward` reads `output`. A layer that does not (Linear) lets the next layer
    /// overwrite its output in place.
    var backwardReadsOutput: Bool { get }
    /// Told whether the parameters stay unchanged between forward passes except where
    /// `parametersDidChange()` says otherwise, so the layer may keep values derived from them.
    func holdParameters(_ held: Bool)
    /// The parameters were written: whatever the layer derived from them is stale.
    func parametersDidChange()
}

extension Layer {
    public var parameterShapes: [(name: String, rows: Int, cols: Int)] { [] }
    public func bind(parameters: [Matrix], gradients: [Matrix]) {}
    public func resetParameters(using generator: inout some RandomNumberGenerator) {}
    public var runsInPlace: Bool { false }
    public var backwardReadsOutput: Bool { true }
    public func holdParameters(_ held: Bool) {}
    public func parametersDidChange() {}
}
