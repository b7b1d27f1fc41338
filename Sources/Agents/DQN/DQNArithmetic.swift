import Compute

/// The arithmetic a DQN run had to do, counted from what it did: the products of every gradient
/// step (the online forward pass, twice with Double DQN; weight gradients; input gradients but
/// the first layer's), the target network's forward pass over each next state it valued, the
/// batch-1 forward pass of every greedy action, and Adam over every parameter once per gradient step. Additions of biases,
/// activations and the loss are left out: they are a rounding error of the products, and leaving
/// them out makes the floor lower, never higher, than the true one.
public struct DQNArithmetic: Sendable, Codable, Equatable {
    /// Floating-point operations of the products (two per multiply-add).
    public var productFlops: Double
    /// Parameters Adam updated, summed over gradient steps.
    public var adamParameters: Int

    /// The counts of `agent`'s run so far.
    public init(of agent: DQNAgent) {
        let linears = agent.online.layers.compactMap { $0 as? Linear }
        let perRow = linears.reduce(0.0) { $0 + 2 * Double($1.inputSize * $1.outputSize) }
        let firstLayer = linears.first.map { 2 * Double($0.inputSize * $0.outputSize) } ?? 0
        let batch = Double(agent.configuration.batchSize)
        // Double DQN also runs the online network over the batch's next states.
        let forwards = agent.configuration.doubleDQN ? 2.0 : 1.0
        let update = forwards * batch * perRow + batch * (2 * perRow - firstLayer)
        productFlops = Double(agent.updates) * update + Double(agent.targetRowsComputed + agent.greedyActions) * perRow
        adamParameters = agent.updates * agent.online.parameters.parameterCount
    }

    /// Seconds this arithmetic takes at `ceiling` with nothing else costing anything.
    public func floorSeconds(at ceiling: ArithmeticCeiling) -> Double {
        ceiling.floorSeconds(flops: productFlops, adamParameters: adamParameters)
    }
}
