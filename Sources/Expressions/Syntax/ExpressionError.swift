/// An expression that cannot be read, checked or run, with where: the text and the span of the
/// offending token, so the message can show a caret under it.
///
///     close > sma(clsoe, 20)
///                 ^^^^^
///     unknown column 'clsoe' (did you mean 'close'?)
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The expression's text.
    public var source: String
    /// The offending span, in characters of `source`.
    public var range: Range<Int>

    public init(_ message: String, source: String, range: Range<Int>) {
        self.message = message
        self.source = source
        self.range = range
    }

    /// The expression, a line of carets under the span, and the message.
    public var description: String {
        let start = min(max(0, range.lowerBound), source.count)
        let width = max(1, min(range.count, source.count - start))
        return "\(source)\n\(String(repeating: " ", count: start))\(String(repeating: "^", count: width))\n\(message)"
    }

    /// The message with the caret drawing on one line each, for a JSON error detail.
    public var oneLine: String { "\(message) at character \(range.lowerBound + 1) of \"\(source)\"" }
}
