/// Reads tokens into `Syntax` by precedence, loosest first:
/// `or` < `and` < `not` < comparisons (`< <= > >= == !=`, not chained) < `+ -` < `* /` < unary
/// `-` < calls, names, numbers, parameters, parentheses. A tree taller than `maximumDepth`
/// operations, or parentheses nested deeper than that, is an error, not a stack overflow (every
/// later pass walks the tree recursively, and so does its release).
public enum Parser {
    public static let maximumDepth = 100

    /// Parses `source`.
    /// - Throws: `ExpressionError` with the span of the token where reading failed.
    public static func parse(_ source: String) throws -> Syntax {
        var state = State(source: source, tokens: try Lexer.tokens(source))
        guard state.tokens.count > 1 else { throw ExpressionError("the expression is empty", source: source, range: 0..<max(1, source.count)) }
        let tree = try state.or()
        guard case .end = state.current.kind else {
            throw state.error("unexpected '\(state.current.spelling)' after a complete expression (a missing operator?)")
        }
        return tree
    }

    struct State {
        let source: String
        let tokens: [Token]
        var position = 0
        var depth = 0
        /// The height of the last tree each function returned, beside it (`built`).
        var height = 0

        var current: Token { tokens[position] }

        func error(_ message: String, _ token: Token? = nil) -> ExpressionError {
            let token = token ?? current
            return ExpressionError(message, source: source, range: token.range.isEmpty ? token.range.lowerBound..<(token.range.lowerBound + 1) : token.range)
        }

        mutating func advance() -> Token {
            defer { position = min(position + 1, tokens.count - 1) }
            return current
        }

        func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }
        func isKeyword(_ word: String) -> Bool { current.kind == .keyword(word) }

        mutating func deeper() throws {
            depth += 1
            if depth > Parser.maximumDepth { throw error("the expression nests deeper than \(Parser.maximumDepth) levels") }
        }

        /// Records the height of a node built over children of `heights`, refusing one too tall.
        mutating func built(_ tree: Syntax, over heights: [Int], at token: Token) throws -> Syntax {
            height = (heights.max() ?? 0) + 1
            if height > Parser.maximumDepth { throw error("the expression nests deeper than \(Parser.maximumDepth) levels of operations", token) }
            return tree
        }

        mutating func or() throws -> Syntax {
            var left = try and()
            while isKeyword("or") {
                let op = advance(), leftHeight = height
                let right = try and()
                left = try built(.binary("or", left, right, op.range), over: [leftHeight, height], at: op)
            }
            return left
        }

        mutating func and() throws -> Syntax {
            var left = try not()
            while isKeyword("and") {
                let op = advance(), leftHeight = height
                let right = try not()
                left = try built(.binary("and", left, right, op.range), over: [leftHeight, height], at: op)
            }
            return left
        }

        mutating func not() throws -> Syntax {
            if isKeyword("not") {
                try deeper()
                defer { depth -= 1 }
                let op = advance()
                let operand = try not()
                return try built(.unary("not", operand, op.range), over: [height], at: op)
            }
            return try comparison()
        }

        static let comparisons: Set<String> = ["<", "<=", ">", ">=", "==", "!="]

        mutating func comparison() throws -> Syntax {
            let left = try additive()
            guard case .symbol(let symbol) = current.kind, Self.comparisons.contains(symbol) else { return left }
            let op = advance(), leftHeight = height
            let right = try additive()
            if case .symbol(let next) = current.kind, Self.comparisons.contains(next) {
                throw error("comparisons do not chain: write 'a < b and b < c'")
            }
            return try built(.binary(symbol, left, right, op.range), over: [leftHeight, height], at: op)
        }

        mutating func additive() throws -> Syntax {
            var left = try multiplicative()
            while isSymbol("+") || isSymbol("-") {
                let op = advance(), leftHeight = height
                let right = try multiplicative()
                left = try built(.binary(op.spelling, left, right, op.range), over: [leftHeight, height], at: op)
            }
            return left
        }

        mutating func multiplicative() throws -> Syntax {
            var left = try unary()
            while isSymbol("*") || isSymbol("/") {
                let op = advance(), leftHeight = height
                let right = try unary()
                left = try built(.binary(op.spelling, left, right, op.range), over: [leftHeight, height], at: op)
            }
            return left
        }

        mutating func unary() throws -> Syntax {
            if isSymbol("-") || isSymbol("+") {
                try deeper()
                defer { depth -= 1 }
                let op = advance()
                let operand = try unary()
                return op.spelling == "-" ? try built(.unary("-", operand, op.range), over: [height], at: op) : operand
            }
            return try primary()
        }

        mutating func primary() throws -> Syntax {
            let token = current
            switch token.kind {
            case .number(let value):
                _ = advance()
                height = 1
                return .number(value, token.range)
            case .parameter(let name):
                _ = advance()
                height = 1
                return .parameter(name, token.range)
            case .identifier(let name):
                _ = advance()
                height = 1
                guard isSymbol("(") else { return .name(name, token.range) }
                try deeper()
                defer { depth -= 1 }
                _ = advance()
                var arguments: [Syntax] = []
                var heights: [Int] = []
                if !isSymbol(")") {
                    arguments.append(try or())
                    heights.append(height)
                    while isSymbol(",") {
                        _ = advance()
                        arguments.append(try or())
                        heights.append(height)
                    }
                }
                guard isSymbol(")") else {
                    throw error(current.kind == .end ? "'\(name)(' is never closed: a ')' is missing" : "expected ',' or ')' in the arguments of \(name), found '\(current.spelling)'")
                }
                let close = advance()
                return try built(.call(name, arguments, name: token.range, whole: token.range.lowerBound..<close.range.upperBound), over: heights, at: token)
            case .symbol("("):
                try deeper()
                defer { depth -= 1 }
                _ = advance()
                let inner = try or()
                guard isSymbol(")") else {
                    throw error(current.kind == .end ? "a '(' is never closed" : "expected ')', found '\(current.spelling)'")
                }
                _ = advance()
                return inner
            case .end:
                throw error("the expression ends where a value is expected")
            default:
                throw error("expected a value (a number, a column, a function or '('), found '\(token.spelling)'")
            }
        }
    }
}
