import Expressions

/// Compiles a rule sweep's cells, each rule once per distinct value of the parameters it names:
/// in a grid over n and m, `close > shift(highest(high, {n}), 1)` compiles once per n, not once
/// per cell. The graph interns equal nodes, so a cell gets the very roots a fresh compile would
/// give; what the cache saves is the compiling, which on short series costs as much as the cells.
struct RuleCompileCache {
    let parsed: [(field: String, text: String, tree: Syntax)?]
    /// The parameters each rule names.
    let names: [[String]]
    let columns: [String]
    /// Per rule: its parameters' values (bit patterns, so any value is a key) → root or error.
    var compiled: [[[UInt64]: Result<ExpressionGraph.NodeID, RuleError>]]

    /// - Throws: `RuleError` for a rule that does not parse.
    init(_ rules: SignalRules, columns: [String]) throws {
        parsed = try RuleSignals.parse(rules)
        names = parsed.map { rule in rule?.tree.parameterNames ?? [] }
        self.columns = columns
        compiled = Array(repeating: [:], count: parsed.count)
    }

    /// The roots of one cell (entry, exit, short entry, short exit; nil for a rule not given).
    /// - Throws: the first rule's `RuleError`, as `RuleSignals.compile` would.
    mutating func roots(parameters: [String: Double], into graph: inout ExpressionGraph) throws -> [ExpressionGraph.NodeID?] {
        var roots: [ExpressionGraph.NodeID?] = []
        roots.reserveCapacity(parsed.count)
        for (k, rule) in parsed.enumerated() {
            guard let rule else {
                roots.append(nil)
                continue
            }
            // A name the cell does not bind gets a key no value has, and the compiler says why.
            let key = names[k].map { parameters[$0]?.bitPattern ?? UInt64.max }
            let result: Result<ExpressionGraph.NodeID, RuleError>
            if let known = compiled[k][key] {
                result = known
            } else {
                let compiler = Compiler(columns: columns, parameters: parameters)
                do {
                    result = .success(try RuleSignals.compile(rule, compiler: compiler, into: &graph))
                } catch let error as RuleError {
                    result = .failure(error)
                }
                compiled[k][key] = result
            }
            roots.append(try result.get())
        }
        return roots
    }
}
