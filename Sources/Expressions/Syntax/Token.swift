/// One lexical token of an expression, with where it stands in the text (UTF-8 offsets, so a
/// caret can be drawn under it).
public struct Token: Sendable, Equatable {
    /// What a token is.
    public enum Kind: Sendable, Equatable {
        case number(Double)
        case identifier(String)
        /// `{name}`: bound by `--param` or swept by `--grid`.
        case parameter(String)
        /// `+ - * / < <= > >= == != ( ) ,`
        case symbol(String)
        /// `and or not`
        case keyword(String)
        case end
    }

    public var kind: Kind
    /// Where the token stands in the expression's text, in characters (for the caret).
    public var range: Range<Int>

    public init(_ kind: Kind, _ range: Range<Int>) {
        self.kind = kind
        self.range = range
    }

    /// How the token reads in an error message.
    public var spelling: String {
        switch kind {
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .identifier(let name), .symbol(let name), .keyword(let name): return name
        case .parameter(let name): return "{\(name)}"
        case .end: return "the end of the expression"
        }
    }
}
