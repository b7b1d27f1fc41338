/// A chain of layers with its parameters in one `ParameterStore` and activations in workspaces
/// allocated once per batch size (an activation after a Linear layer runs in place over its output).
///
/// `forward` returns a view into the workspace of that batch size, valid until the next forward
/// pass with the same batch size; `backward` uses the activations of the most recent forward pass,
/// whose input the caller must keep alive until then. After the first pass at a given batch size,
/// forward and backward allocate nothing.
public final class Sequential {
    /// The layers, input first.
    public let layers: [any Layer]
    /// Parameters and gradients of every layer, in one buffer each.
    public let parameters: ParameterStore
    /// Features per input row.
    public let inputSize: Int
    /// Features per output row.
    public let outputSize: Int

    /// Whether the parameters change only where the owner then calls `parametersDidChange()`, so
    /// layers keep what they derive from them across forward passes (Linear its Wᵀ copy, ~2 µs of
    /// a DQN step on Zen 4 for the target network). Off by default: a network in training changes
    /// between any two passes. DQN's target network holds them: it is written only at target
    /// updates and restores.
    public var holdsParameters = false {
        didSet { for layer in layers { layer.holdParameters(holdsParameters) } }
    }

    /// The parameters were written (copied, blended, loaded): layers drop what they derived from
    /// them. Needed only when `holdsParameters` is on.
    public func parametersDidChange() {
        for layer in layers { layer.parametersDidChange() }
    }

    /// For each layer, the activation after it when that activation adds the layer's bias itself
    /// (a Linear with a bias followed by a `BiasFusingActivation` working in place over its output).
    private let biasFusions: [(linear: Linear, activation: any BiasFusingActivation)?]

    private var workspaces: [Int: Workspace] = [:]
    private var lastInput: Matrix?
    private var lastWorkspace: Workspace?

    /// Chains `layers` (each one's output size must equal the next one's input size), lays out
    /// their parameters and draws initial values from `generator`.
    public init(_ layers: [any Layer], using generator: inout some RandomNumberGenerator) {
        precondition(!layers.isEmpty, "Sequential needs at least one layer")
        for (i, pair) in zip(layers, layers.dropFirst()).enumerated() {
            precondition(pair.0.outputSize == pair.1.inputSize,
                         "Sequential: layer \(i) outputs \(pair.0.outputSize) features, layer \(i + 1) expects \(pair.1.inputSize)")
        }
        self.layers = layers
        inputSize = layers[0].inputSize
        outputSize = layers[layers.count - 1].outputSize
        var shapes: [(name: String, rows: Int, cols: Int)] = []
        for (i, layer) in layers.enumerated() {
            for shape in layer.parameterShapes { shapes.append(("layers.\(i).\(shape.name)", shape.rows, shape.cols)) }
        }
        parameters = ParameterStore(shapes: shapes)
        biasFusions = layers.indices.map { i in
            guard i + 1 < layers.count, let linear = layers[i] as? Linear, linear.hasBias,
                  let activation = layers[i + 1] as? any BiasFusingActivation,
                  Workspace.runsInPlace(layers[i + 1], after: linear) else { return nil }
            return (linear, activation)
        }
        var slot = 0
        for layer in layers {
            let n = layer.parameterShapes.count
            layer.bind(parameters: (slot..<slot + n).map(parameters.value), gradients: (slot..<slot + n).map(parameters.gradient))
            slot += n
        }
        for layer in layers { layer.resetParameters(using: &generator) }
    }

    /// Runs the network on `input` (batch × inputSize) and returns the output (batch × outputSize).
    @discardableResult
    public func forward(_ input: Matrix) -> Matrix {
        forward(input, workspaceRows: input.rows)
    }

    /// Runs the network on `input` in the workspace of `workspaceRows` rows (at least the input's),
    /// so batches whose size varies up to that bound share one allocation instead of one each.
    @discardableResult
    public func forward(_ input: Matrix, workspaceRows: Int) -> Matrix {
        precondition(input.cols == inputSize, "Sequential.forward: input has \(input.cols) features, expected \(inputSize)")
        precondition(input.rows <= workspaceRows, "Sequential.forward: \(input.rows) rows in a workspace of \(workspaceRows)")
        let workspace = workspace(batch: workspaceRows)
        // Index loops, not zip or for-in: unoptimised builds box existentials in generic
        // iterators, and the hot path must not allocate in any build.
        var x = input
        var i = 0
        while i < layers.count {
            let y = workspace.activation(i, rows: input.rows)
            if let fusion = biasFusions[i], let bias = fusion.linear.bias {
                // The activation's output is the same buffer (it runs in place).
                fusion.linear.forwardWithoutBias(x, into: y)
                fusion.activation.forwardInPlace(y, addingBias: bias.base)
                i += 2
            } else {
                layers[i].forward(x, into: y)
                i += 1
            }
            x = y
        }
        lastInput = input
        lastWorkspace = workspace
        return x
    }

    /// Back-propagates dL/d(output) of the last forward pass, writing (or, when `accumulate`,
    /// adding to) the parameter gradients, and dL/d(input) into `inputGradient` when given.
    public func backward(outputGradient: Matrix, inputGradient: Matrix? = nil, accumulate: Bool = false) {
        guard let input = lastInput, let workspace = lastWorkspace else {
            preconditionFailure("Sequential.backward called before forward")
        }
        precondition(outputGradient.rows == input.rows && outputGradient.cols == outputSize,
                     "Sequential.backward: gradient \(outputGradient.rows)×\(outputGradient.cols), output \(input.rows)×\(outputSize)")
        var dy = outputGradient
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layerInput = i == 0 ? input : workspace.activation(i - 1, rows: input.rows)
            let dx: Matrix? = i == 0 ? inputGradient : workspace.gradient(slot: i % 2, rows: input.rows, cols: layers[i].inputSize)
            layers[i].backward(input: layerInput, output: workspace.activation(i, rows: input.rows), outputGradient: dy, inputGradient: dx, accumulate: accumulate)
            if let dx { dy = dx }
        }
    }

    /// Forward pass for a batch of one, for action selection; returns a view of the output row.
    public func predict(_ input: UnsafePointer<Float>) -> Matrix {
        let w = workspace(batch: 1)
        w.single.base.update(from: input, count: inputSize)
        return forward(w.single)
    }

    private func workspace(batch: Int) -> Workspace {
        if let w = workspaces[batch] { return w }
        let w = Workspace(batch: batch, layers: layers)
        workspaces[batch] = w
        return w
    }

    /// Activations and two ping-pong gradient buffers for one batch size.
    private final class Workspace {
        let activations: [Matrix]
        let single: Matrix
        private let activationBuffers: [MatrixBuffer]
        private let gradientBuffers: [AlignedBuffer]
        private let singleBuffer: MatrixBuffer
        let batch: Int

        init(batch: Int, layers: [any Layer]) {
            self.batch = batch
            // An elementwise layer after one whose backward pass does not read its output (an
            // activation after a Linear) writes over that output: one buffer fewer to fill and
            // keep in cache, the same values.
            var buffers: [MatrixBuffer] = [], views: [Matrix] = []
            for (i, layer) in layers.enumerated() {
                if i > 0 && Self.runsInPlace(layer, after: layers[i - 1]) {
                    views.append(views[i - 1])
                } else {
                    let buffer = MatrixBuffer(rows: batch, cols: layer.outputSize)
                    buffers.append(buffer)
                    views.append(buffer.matrix)
                }
            }
            activationBuffers = buffers
            activations = views
            let widest = layers.map(\.inputSize).max()!
            gradientBuffers = [AlignedBuffer(count: batch * widest), AlignedBuffer(count: batch * widest)]
            singleBuffer = MatrixBuffer(rows: 1, cols: layers[0].inputSize)
            single = singleBuffer.matrix
        }

        /// Whether `layer` writes over the output of `previous`, the layer before it.
        static func runsInPlace(_ layer: any Layer, after previous: any Layer) -> Bool {
            layer.runsInPlace && !previous.backwardReadsOutput && layer.outputSize == previous.outputSize
        }

        /// Layer `index`'s output for the first `rows` rows.
        func activation(_ index: Int, rows: Int) -> Matrix {
            let full = activations[index]
            return rows == full.rows ? full : Matrix(base: full.base, rows: rows, cols: full.cols)
        }

        func gradient(slot: Int, rows: Int, cols: Int) -> Matrix {
            Matrix(base: gradientBuffers[slot].base, rows: rows, cols: cols)
        }
    }
}

/// A multilayer perceptron: Linear layers of the given sizes with an activation between them and
/// none after the last (the usual Q-network, policy or value head).
public enum MLP {
    /// `sizes` = [input, hidden…, output]; e.g. [11, 128, 128, 3].
    public static func make(sizes: [Int], activation: Activation = .relu, using generator: inout some RandomNumberGenerator) -> Sequential {
        Sequential(layers(sizes: sizes, activation: activation), using: &generator)
    }

    /// The layers of such an MLP, unbound, for a network that adds layers after them.
    public static func layers(sizes: [Int], activation: Activation = .relu) -> [any Layer] {
        precondition(sizes.count >= 2, "MLP needs at least an input and an output size, got \(sizes)")
        var layers: [any Layer] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(Linear(sizes[i], sizes[i + 1]))
            if i < sizes.count - 2 { layers.append(activation.makeLayer(size: sizes[i + 1])) }
        }
        return layers
    }
}
