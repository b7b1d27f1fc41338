/// Splits an expression into tokens. Numbers are decimal (`20`, `0.5`, `1e-3`); identifiers are
/// letters, digits and `_`, not starting with a digit; `{name}` is a parameter.
enum Lexer {
    static let keywords: Set<String> = ["and", "or", "not"]
    static let twoCharacterSymbols: Set<String> = ["<=", ">=", "==", "!="]
    static let oneCharacterSymbols: Set<Character> = ["+", "-", "*", "/", "<", ">", "(", ")", ","]

    static func tokens(_ source: String) throws -> [Token] {
        let characters = Array(source)
        var tokens: [Token] = []
        var i = 0
        func error(_ message: String, _ range: Range<Int>) -> ExpressionError { ExpressionError(message, source: source, range: range) }
        while i < characters.count {
            let c = characters[i]
            if c.isWhitespace { i += 1; continue }
            let start = i
            if c.isASCII && (c.isNumber || (c == "." && i + 1 < characters.count && characters[i + 1].isASCII && characters[i + 1].isNumber)) {
                while i < characters.count, characters[i].isASCII, characters[i].isNumber || characters[i] == "." { i += 1 }
                if i < characters.count, characters[i] == "e" || characters[i] == "E" {
                    var j = i + 1
                    if j < characters.count, characters[j] == "+" || characters[j] == "-" { j += 1 }
                    if j < characters.count, characters[j].isASCII, characters[j].isNumber {
                        i = j
                        while i < characters.count, characters[i].isASCII, characters[i].isNumber { i += 1 }
                    }
                }
                let text = String(characters[start..<i])
                guard let value = Double(text) else { throw error("'\(text)' is not a number", start..<i) }
                guard value.isFinite else { throw error("'\(text)' is too large a number", start..<i) }
                if i < characters.count, isIdentifierCharacter(characters[i]) {
                    throw error("a number cannot run into a name ('\(text)\(characters[i])')", start..<(i + 1))
                }
                tokens.append(Token(.number(value), start..<i))
            } else if isIdentifierStart(c) {
                while i < characters.count, isIdentifierCharacter(characters[i]) { i += 1 }
                let name = String(characters[start..<i])
                tokens.append(Token(keywords.contains(name) ? .keyword(name) : .identifier(name), start..<i))
            } else if c == "{" {
                i += 1
                while i < characters.count, isIdentifierCharacter(characters[i]) { i += 1 }
                let name = String(characters[(start + 1)..<i])
                guard i < characters.count, characters[i] == "}" else {
                    throw error("a parameter is a name in braces, like {fast}", start..<min(i + 1, characters.count))
                }
                guard let first = name.first, isIdentifierStart(first) else { throw error("a parameter needs a name, like {fast}", start..<(i + 1)) }
                i += 1
                tokens.append(Token(.parameter(name), start..<i))
            } else if i + 1 < characters.count, twoCharacterSymbols.contains(String(characters[i...(i + 1)])) {
                tokens.append(Token(.symbol(String(characters[i...(i + 1)])), i..<(i + 2)))
                i += 2
            } else if oneCharacterSymbols.contains(c) {
                tokens.append(Token(.symbol(String(c)), i..<(i + 1)))
                i += 1
            } else if c == "=" {
                throw error("'=' is not an operator: compare with '=='", i..<(i + 1))
            } else if c == "&" || c == "|" || c == "!" || c == "~" {
                let word = c == "&" ? "and" : c == "|" ? "or" : "not"
                throw error("'\(c)' is not an operator here: write '\(word)'", i..<(i + 1))
            } else {
                throw error("unexpected character '\(c)'", i..<(i + 1))
            }
        }
        tokens.append(Token(.end, characters.count..<characters.count))
        return tokens
    }

    static func isIdentifierStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
    static func isIdentifierCharacter(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
}
