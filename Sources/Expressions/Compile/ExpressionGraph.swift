/// Compiled expressions as one graph of operations over whole series, shared by everything
/// compiled into it: a node is stored once however many expressions use it, so the same
/// `sma(close, 20)` across thousands of sweep cells is one node, computed once. Nodes are
/// numbered children first, so evaluating in number order never meets a missing input.
public struct ExpressionGraph: Sendable {
    /// A node's number in the graph.
    public typealias NodeID = Int

    /// What a node computes from its inputs.
    public enum Operation: Sendable, Hashable {
        case column(String)
        case constant(Double)
        case negate, add, subtract, multiply, divide
        case less, lessOrEqual, greater, greaterOrEqual, equal, notEqual
        case and, or, not
        /// A function, its whole-number argument (window or lag) apart from the series inputs.
        case function(Function, bars: Int?)
    }

    /// An operation and the nodes it reads.
    public struct Node: Sendable, Hashable {
        public var operation: Operation
        public var inputs: [NodeID]
        /// Whether the values are conditions (0 or 1, never NaN) rather than numbers.
        public var isCondition: Bool
    }

    public private(set) var nodes: [Node] = []
    private var index: [Node: NodeID] = [:]

    public init() {}

    /// The node for `node`, added unless an identical one exists.
    mutating func intern(_ node: Node) -> NodeID {
        if let id = index[node] { return id }
        nodes.append(node)
        index[node] = nodes.count - 1
        return nodes.count - 1
    }

    /// The columns the graph reads.
    public var columns: Set<String> {
        Set(nodes.compactMap { if case .column(let name) = $0.operation { return name } else { return nil } })
    }

    /// How many bars before bar i a node's value at i can depend on (its look-back), per node:
    /// the first bars a backtest must not trust are those before the roots' look-back.
    public func lookBack(_ id: NodeID) -> Int {
        var memo: [NodeID: Int] = [:]
        func visit(_ id: NodeID) -> Int {
            if let known = memo[id] { return known }
            let node = nodes[id]
            let inner = node.inputs.map(visit).max() ?? 0
            var own = 0
            if case .function(let f, let bars) = node.operation {
                switch f {
                case .crossedAbove, .crossedBelow: own = 1
                case .atr: own = (bars ?? 0)
                case .rsi, .shift, .diff, .pctChange: own = bars ?? 0
                case .ema: own = (bars ?? 1) - 1
                default: own = max(0, (bars ?? 1) - 1)
                }
            }
            memo[id] = inner + own
            return inner + own
        }
        return visit(id)
    }
}
