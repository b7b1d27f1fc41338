import Foundation

/// Turns parsed expressions into nodes of an `ExpressionGraph`: resolves names (columns of the
/// data, functions), binds `{parameters}`, checks types (a condition where a condition is needed,
/// a number where a number is), folds constants, and refuses look-ahead.
public struct Compiler {
    /// What the expression's result must be.
    public enum Expectation: Sendable {
        case condition, number
    }

    /// The columns the data has (`close`, `open`, …, any ingested column).
    public var columns: [String]
    /// Values of the `{parameters}`.
    public var parameters: [String: Double]
    /// For checking a text before its data is known (a strategy saved over REST without a
    /// dataset): any name that is not a function is taken for a column of the data to come.
    public var anyColumn = false
    /// For checking a text before its parameter values are known: a parameter without a value
    /// stands for any valid number (a window it sizes is not checked).
    public var anyParameter = false

    public init(columns: [String], parameters: [String: Double] = [:], anyColumn: Bool = false, anyParameter: Bool = false) {
        self.columns = columns
        self.parameters = parameters
        self.anyColumn = anyColumn
        self.anyParameter = anyParameter
    }

    /// Compiles `source` into `graph`; returns its root.
    /// - Throws: `ExpressionError` with the offending span.
    public func compile(_ source: String, expecting: Expectation, into graph: inout ExpressionGraph) throws -> ExpressionGraph.NodeID {
        try compile(try Parser.parse(source), source: source, expecting: expecting, into: &graph)
    }

    /// Compiles an already parsed `source` (a sweep parses each rule once and compiles it for
    /// every cell's parameters).
    public func compile(_ tree: Syntax, source: String, expecting: Expectation, into graph: inout ExpressionGraph) throws -> ExpressionGraph.NodeID {
        // The graph moves into the session and back, never copied: a sweep compiles thousands of
        // cells into one graph, and a copy each would cost the whole graph per cell. (A text that
        // fails may leave nodes it added; nothing reads them.)
        var session = Session(compiler: self, source: source, graph: ExpressionGraph())
        swap(&session.graph, &graph)
        defer { swap(&session.graph, &graph) }
        let root = try session.node(tree)
        try session.require(root, expecting == .condition, at: tree.range, what: "the expression")
        return root
    }

    /// The binary operators other than `and` / `or` (built once: a sweep compiles thousands of cells).
    static let binaryOperations: [String: ExpressionGraph.Operation] = [
        "+": .add, "-": .subtract, "*": .multiply, "/": .divide, "<": .less, "<=": .lessOrEqual,
        ">": .greater, ">=": .greaterOrEqual, "==": .equal, "!=": .notEqual,
    ]

    /// The `{parameters}` an expression names, in order of first use.
    public static func parameterNames(_ source: String) throws -> [String] {
        var seen: [String] = []
        for token in try Lexer.tokens(source) {
            if case .parameter(let name) = token.kind, !seen.contains(name) { seen.append(name) }
        }
        return seen
    }

    struct Session {
        let compiler: Compiler
        let source: String
        var graph: ExpressionGraph
        /// Nodes that depend on a parameter without a value (`anyParameter` only).
        var unbound = Set<ExpressionGraph.NodeID>()

        func error(_ message: String, _ range: Range<Int>) -> ExpressionError { ExpressionError(message, source: source, range: range) }

        func require(_ id: ExpressionGraph.NodeID, _ condition: Bool, at range: Range<Int>, what: String) throws {
            let isCondition = graph.nodes[id].isCondition
            if condition && !isCondition {
                throw error("\(what) is a number where a condition is needed: compare it (e.g. 'x > 0') or cross it", range)
            }
            if !condition && isCondition {
                throw error("\(what) is a condition where a number is needed (comparisons and crossings give true or false)", range)
            }
        }

        mutating func node(_ tree: Syntax) throws -> ExpressionGraph.NodeID {
            switch tree {
            case .number(let value, _):
                return graph.intern(.init(operation: .constant(value), inputs: [], isCondition: false))
            case .parameter(let name, let range):
                if compiler.parameters[name] == nil, compiler.anyParameter {
                    // NaN never equals itself, so this constant is a node of its own.
                    let id = graph.intern(.init(operation: .constant(.nan), inputs: [], isCondition: false))
                    unbound.insert(id)
                    return id
                }
                guard let value = compiler.parameters[name] else {
                    let known = compiler.parameters.keys.sorted()
                    throw error("parameter {\(name)} has no value: give it with --param \(name)=… or --grid \(name)=…"
                                + (known.isEmpty ? "" : " (given: \(known.joined(separator: ", ")))"), range)
                }
                guard value.isFinite else { throw error("parameter {\(name)} is \(value), not a finite number", range) }
                return graph.intern(.init(operation: .constant(value), inputs: [], isCondition: false))
            case .name(let name, let range):
                if compiler.columns.contains(name) { return graph.intern(.init(operation: .column(name), inputs: [], isCondition: false)) }
                if let function = Function(rawValue: name) { throw error("'\(name)' is a function: call it as \(function.signature)", range) }
                if name == "true" || name == "false" { throw error("write a comparison rather than '\(name)' (e.g. 'close > 0')", range) }
                if compiler.anyColumn { return graph.intern(.init(operation: .column(name), inputs: [], isCondition: false)) }
                throw error("unknown column '\(name)'\(Suggestions.didYouMean(name, among: compiler.columns + Function.allCases.map(\.rawValue)))"
                            + "; the data's columns: \(compiler.columns.joined(separator: ", "))", range)
            case .unary(let op, let operand, let range):
                let input = try node(operand)
                if op == "not" {
                    try require(input, true, at: operand.range, what: "the operand of 'not'")
                    return fold(.init(operation: .not, inputs: [input], isCondition: true))
                }
                try require(input, false, at: operand.range, what: "the operand of '-'")
                _ = range
                return fold(.init(operation: .negate, inputs: [input], isCondition: false))
            case .binary(let op, let left, let right, let range):
                let a = try node(left), b = try node(right)
                switch op {
                case "and", "or":
                    try require(a, true, at: left.range, what: "the left side of '\(op)'")
                    try require(b, true, at: right.range, what: "the right side of '\(op)'")
                    return fold(.init(operation: op == "and" ? .and : .or, inputs: [a, b], isCondition: true))
                default:
                    try require(a, false, at: left.range, what: "the left side of '\(op)'")
                    try require(b, false, at: right.range, what: "the right side of '\(op)'")
                    guard let operation = Compiler.binaryOperations[op] else { throw error("unknown operator '\(op)'", range) }
                    let arithmetic = operation == .add || operation == .subtract || operation == .multiply || operation == .divide
                    return fold(.init(operation: operation, inputs: [a, b], isCondition: !arithmetic))
                }
            case .call(let name, let arguments, let nameRange, let whole):
                guard let function = Function(rawValue: name) else {
                    if compiler.columns.contains(name) { throw error("'\(name)' is a column, not a function", nameRange) }
                    throw error("unknown function '\(name)'\(Suggestions.didYouMean(name, among: Function.allCases.map(\.rawValue)))", nameRange)
                }
                let expected = function.arguments
                guard arguments.count == expected.count else {
                    throw error("\(name) takes \(expected.count) argument\(expected.count == 1 ? "" : "s"), \(function.signature); got \(arguments.count)", whole)
                }
                var inputs: [ExpressionGraph.NodeID] = []
                var bars: Int?
                for (argument, kind) in zip(arguments, expected) {
                    let id = try node(argument)
                    switch kind {
                    case .series: try require(id, false, at: argument.range, what: "argument \(inputs.count + 1) of \(name)"); inputs.append(id)
                    case .condition: try require(id, true, at: argument.range, what: "argument 1 of \(name)"); inputs.append(id)
                    case .bars(let minimum): bars = try wholeBars(id, minimum: minimum, function: function, at: argument.range)
                    }
                }
                for column in function.impliedColumns {
                    guard compiler.anyColumn || compiler.columns.contains(column) else {
                        throw error("\(name) reads the column '\(column)', which the data does not have (its columns: \(compiler.columns.joined(separator: ", ")))", nameRange)
                    }
                    inputs.append(graph.intern(.init(operation: .column(column), inputs: [], isCondition: false)))
                }
                return fold(.init(operation: .function(function, bars: bars), inputs: inputs, isCondition: function.givesCondition))
            }
        }

        /// A window or lag: a constant whole number ≥ `minimum` (a negative lag would read later bars).
        func wholeBars(_ id: ExpressionGraph.NodeID, minimum: Int, function: Function, at range: Range<Int>) throws -> Int {
            if unbound.contains(id) { return minimum }
            guard case .constant(let value) = graph.nodes[id].operation, !graph.nodes[id].isCondition else {
                throw error("the number of bars of \(function.rawValue) must be known before the run (a number or a {parameter}), not a series", range)
            }
            guard value.isFinite, value == value.rounded(), Swift.abs(value) <= 1e9 else {
                throw error("the number of bars of \(function.rawValue) must be a whole number, got \(value)", range)
            }
            let n = Int(value)
            if n < 0, [.shift, .diff, .pctChange].contains(function) {
                throw error("\(function.rawValue) by \(n) bars would read later bars (look-ahead); lags are 0 or more", range)
            }
            guard n >= minimum else { throw error("the number of bars of \(function.rawValue) must be at least \(minimum), got \(n)", range) }
            return n
        }

        /// Interns `node`, computed now when every input is a constant and the operation works bar by bar.
        mutating func fold(_ node: ExpressionGraph.Node) -> ExpressionGraph.NodeID {
            let id = foldOrIntern(node)
            if node.inputs.contains(where: unbound.contains) { unbound.insert(id) }
            return id
        }

        mutating func foldOrIntern(_ node: ExpressionGraph.Node) -> ExpressionGraph.NodeID {
            let constants = node.inputs.compactMap { id -> Double? in
                if case .constant(let v) = graph.nodes[id].operation { return v } else { return nil }
            }
            if !node.inputs.isEmpty, constants.count == node.inputs.count, let value = Kernels.elementwise(node.operation, constants) {
                return graph.intern(.init(operation: .constant(value), inputs: [], isCondition: node.isCondition))
            }
            return graph.intern(node)
        }
    }
}
