/// The parsed form of an expression, before names are resolved and types checked. Each node
/// keeps the span of text it came from, for error messages.
public indirect enum Syntax: Sendable, Equatable {
    case number(Double, Range<Int>)
    case name(String, Range<Int>)
    case parameter(String, Range<Int>)
    /// `-x`, `not c`
    case unary(String, Syntax, Range<Int>)
    /// `a + b`, `a < b`, `a and b`; the range is the operator's.
    case binary(String, Syntax, Syntax, Range<Int>)
    /// `f(a, b)`; the range is the function name's, `arguments` the whole call's parentheses.
    case call(String, [Syntax], name: Range<Int>, whole: Range<Int>)

    /// The `{parameters}` it names, in order of first use (the text's order: the tree keeps it).
    public var parameterNames: [String] {
        var names: [String] = []
        func visit(_ node: Syntax) {
            switch node {
            case .number, .name: break
            case .parameter(let name, _): if !names.contains(name) { names.append(name) }
            case .unary(_, let operand, _): visit(operand)
            case .binary(_, let a, let b, _): visit(a); visit(b)
            case .call(_, let arguments, _, _): arguments.forEach(visit)
            }
        }
        visit(self)
        return names
    }

    /// The span of the whole node.
    public var range: Range<Int> {
        switch self {
        case .number(_, let r), .name(_, let r), .parameter(_, let r): return r
        case .unary(_, let operand, let r): return r.lowerBound..<max(r.upperBound, operand.range.upperBound)
        case .binary(_, let a, let b, _): return a.range.lowerBound..<b.range.upperBound
        case .call(_, _, _, let whole): return whole
        }
    }
}
