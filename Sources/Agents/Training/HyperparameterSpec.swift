import Foundation

/// One hyperparameter's value, as JSON carries it.
public enum HyperparameterValue: Sendable, Equatable, Hashable, CustomStringConvertible {
    case real(Double)
    case integer(Int)
    case flag(Bool)
    case text(String)
    case sizes([Int])

    /// The value as a JSON fragment's object (for `JSONSerialization`).
    var jsonObject: Any {
        switch self {
        case .real(let x): return x
        case .integer(let n): return n
        case .flag(let b): return b
        case .text(let s): return s
        case .sizes(let s): return s
        }
    }

    /// As a number, for tables and statistics over trials (nil for text and sizes).
    public var number: Double? {
        switch self {
        case .real(let x): return x
        case .integer(let n): return Double(n)
        case .flag(let b): return b ? 1 : 0
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .real(let x): return String(format: "%.6g", x)
        case .integer(let n): return String(n)
        case .flag(let b): return String(b)
        case .text(let s): return s
        case .sizes(let s): return s.map(String.init).joined(separator: "x")
        }
    }
}

/// The declaration of one hyperparameter: its JSON name, kind and allowed range, which agents read
/// it, and a doc line. `HyperparameterCatalog` lists them all.
public struct HyperparameterSpec: Sendable {
    /// The allowed values.
    public enum Kind: Sendable {
        /// A real in `range`; `positive` excludes the lower bound 0; `logScale` says a search
        /// should sample it on a log scale by default (learning rates).
        case real(ClosedRange<Double>, positive: Bool = false, logScale: Bool = false)
        case integer(ClosedRange<Int>)
        case flag
        case choice([String])
        /// Hidden layer sizes: 1 to 16 layers of 1 to 16,384 units.
        case layerSizes
    }

    /// Which agents (or which part of a run) read the hyperparameter.
    public enum Scope: String, Sendable, CaseIterable {
        case all, dqn
        case policyGradient = "policy_gradient"
        case trainer, environment
    }

    public let name: String
    public let kind: Kind
    public let scope: Scope
    public let doc: String
    /// The value a resolved job uses (its preset or override), for listings and checks.
    let current: @Sendable (AgentRegistry.Resolved) -> HyperparameterValue?

    init(_ name: String, _ kind: Kind, _ scope: Scope, _ doc: String, current: @escaping @Sendable (AgentRegistry.Resolved) -> HyperparameterValue?) {
        self.name = name
        self.kind = kind
        self.scope = scope
        self.doc = doc
        self.current = current
    }

    /// Whether the agent of a resolved job reads this hyperparameter.
    public func applies(to resolved: AgentRegistry.Resolved) -> Bool {
        current(resolved) != nil
    }

    /// The value the resolved job trains with.
    public func value(in resolved: AgentRegistry.Resolved) -> HyperparameterValue? { current(resolved) }

    /// The range as a reader sees it (`(0, 10]`, `1..65536`, `true|false`, `a|b`).
    public var rangeDescription: String {
        switch kind {
        case .real(let r, let positive, _): return "\(positive ? "(" : "[")\(Self.short(r.lowerBound)), \(Self.short(r.upperBound))]"
        case .integer(let r): return "\(r.lowerBound)..\(r.upperBound)"
        case .flag: return "true|false"
        case .choice(let names): return names.joined(separator: "|")
        case .layerSizes: return "1-16 layers of 1-16384 (e.g. 64x64)"
        }
    }

    /// Checks a value against the declaration; the error names the field and its range.
    public func check(_ value: HyperparameterValue) throws {
        let ok: Bool
        switch (kind, value) {
        case (.real(let r, let positive, _), .real(let x)): ok = x.isFinite && r.contains(x) && (!positive || x > 0)
        case (.real(let r, let positive, _), .integer(let n)): ok = r.contains(Double(n)) && (!positive || n > 0)
        case (.integer(let r), .integer(let n)): ok = r.contains(n)
        case (.flag, .flag): ok = true
        case (.choice(let names), .text(let s)): ok = names.contains(s)
        case (.layerSizes, .sizes(let s)): ok = (1...16).contains(s.count) && s.allSatisfy { (1...16_384).contains($0) }
        default: ok = false
        }
        guard ok else { throw AgentsError.invalidConfiguration("hyperparameters.\(name): must be \(rangeDescription), got \(value)") }
    }

    /// Parses one value as written on a command line (`3e-4`, `64`, `true`, `64x64`, `money`).
    public func parse(_ text: String) throws -> HyperparameterValue {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value: HyperparameterValue?
        switch kind {
        case .real: value = Double(t).map(HyperparameterValue.real)
        case .integer: value = Int(t).map(HyperparameterValue.integer)
        case .flag: value = t == "true" ? .flag(true) : t == "false" ? .flag(false) : nil
        case .choice: value = .text(t)
        case .layerSizes:
            let parts = t.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            value = parts.contains(nil) ? nil : .sizes(parts.map { $0! })
        }
        guard let value else { throw AgentsError.invalidConfiguration("hyperparameters.\(name): '\(text)' is not \(rangeDescription)") }
        try check(value)
        return value
    }

    static func short(_ x: Double) -> String { String(format: "%g", x) }
}

extension HyperparameterValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .flag(b) }
        else if let n = try? c.decode(Int.self) { self = .integer(n) }
        else if let x = try? c.decode(Double.self) { self = .real(x) }
        else if let s = try? c.decode(String.self) { self = .text(s) }
        else { self = .sizes(try c.decode([Int].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .real(let x): try c.encode(x)
        case .integer(let n): try c.encode(n)
        case .flag(let b): try c.encode(b)
        case .text(let s): try c.encode(s)
        case .sizes(let s): try c.encode(s)
        }
    }
}
