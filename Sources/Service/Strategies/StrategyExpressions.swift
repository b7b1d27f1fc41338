import Expressions
import Ingest

/// A strategy written as expressions in its `config` (`{"entry": "...", "exit": "..."}`,
/// `{"position": "..."}`, `{"weights": "..."}`), checked when it is saved so that a mistake is a 400
/// naming `config.entry` with the compiler's message, not a failed run later. The columns are the
/// dataset's when `config.dataset_id` names one, else any name is taken for a column of the data
/// to come; `{parameters}` take the strategy's `parameters` where given, else any valid value.
enum StrategyExpressions {
    /// The config keys that hold expressions, with whether each is a condition.
    static let fields: [(key: String, condition: Bool)] = [
        ("entry", true), ("exit", true), ("short_entry", true), ("short_exit", true), ("position", false), ("weights", false),
    ]

    /// What is wrong with the expressions of `config`, each named by its field.
    static func problems(config: JSONValue, parameters: JSONValue, columns: [String]?) -> [APIError.Detail] {
        guard let object = config.objectValue else { return [] }
        let compiler = Compiler(columns: columns ?? [], parameters: numericParameters(parameters), anyColumn: columns == nil, anyParameter: true)
        var problems: [APIError.Detail] = []
        var present: Set<String> = []
        for (key, condition) in fields {
            guard let value = object[key], value != .null else { continue }
            present.insert(key)
            guard case .string(let text) = value else {
                problems.append(.init(field: "config.\(key)", message: "must be an expression, as text"))
                continue
            }
            guard text.count <= 10_000 else {
                problems.append(.init(field: "config.\(key)", message: "at most 10,000 characters"))
                continue
            }
            var graph = ExpressionGraph()
            do {
                _ = try compiler.compile(text, expecting: condition ? .condition : .number, into: &graph)
            } catch let error as ExpressionError {
                problems.append(.init(field: "config.\(key)", message: error.oneLine))
            } catch {
                problems.append(.init(field: "config.\(key)", message: "\(error)"))
            }
        }
        let signals = present.intersection(["entry", "exit", "short_entry", "short_exit"])
        if !signals.isEmpty, !present.isDisjoint(with: ["position", "weights"]) {
            problems.append(.init(field: "config.position", message: "a strategy is signals (entry, exit, …) or a position or weights, not both"))
        }
        if present.contains("position") && present.contains("weights") {
            problems.append(.init(field: "config.weights", message: "position is for one symbol, weights for a portfolio: give one"))
        }
        if !signals.isEmpty, !signals.contains("entry"), !signals.contains("short_entry") {
            problems.append(.init(field: "config.entry", message: "exits need an entry or a short_entry to close anything"))
        }
        return problems
    }

    /// A strategy's `parameters` that are finite numbers (the values rules and expressions read).
    static func numericParameters(_ parameters: JSONValue) -> [String: Double] {
        var values: [String: Double] = [:]
        for (key, value) in parameters.objectValue ?? [:] {
            switch value {
            case .int(let v): values[key] = Double(v)
            case .double(let v) where v.isFinite: values[key] = v
            default: continue
            }
        }
        return values
    }

    /// The columns of the bar file at `path` that every symbol has (and their lower-case names),
    /// nil when it cannot be read.
    static func columns(ofFile path: String) -> [String]? {
        guard let file = try? BarFile(path: path), let first = file.symbols.first, var common = try? Set(file.columns(of: first)) else { return nil }
        for symbol in file.symbols.dropFirst() {
            guard let columns = try? file.columns(of: symbol) else { return nil }
            common.formIntersection(columns)
        }
        return Array(common.union(common.map { $0.lowercased() })).sorted()
    }
}
