import Expressions

/// A strategy written by its user as conditions (issue 17): `entry` opens a long when flat,
/// `exit` closes it; `shortEntry` / `shortExit` do the same for shorts. `{parameters}` in the
/// text are bound from `parameters`.
///
/// Signals on the same bar follow vectorbt's `from_signals` defaults: an entry and an exit of the
/// same side on one bar cancel each other (`upon_long_conflict="ignore"`), as do a long and a
/// short entry (`upon_dir_conflict="ignore"`); an opposite entry reverses the position
/// (`upon_opposite_entry="reversereduce"`) and wins over an exit of the held side; an entry while
/// already in that side adds nothing (`accumulate=False`); an exit while not in that side does
/// nothing.
public struct SignalRules: Sendable, Equatable, Codable {
    public var entry: String?
    public var exit: String?
    public var shortEntry: String?
    public var shortExit: String?

    /// - Precondition: `entry` or `shortEntry` is given.
    public init(entry: String?, exit: String? = nil, shortEntry: String? = nil, shortExit: String? = nil) {
        precondition(entry != nil || shortEntry != nil, "SignalRules: a rule that never enters")
        self.entry = entry
        self.exit = exit
        self.shortEntry = shortEntry
        self.shortExit = shortExit
    }

    /// Whether the rules open short positions.
    public var tradesShort: Bool { shortEntry != nil }

    /// Each rule with the name a user knows it by (`entry`, `short_entry`, …).
    public var named: [(field: String, text: String)] {
        [("entry", entry), ("exit", exit), ("short_entry", shortEntry), ("short_exit", shortExit)].compactMap { field, text in text.map { (field, $0) } }
    }

    /// Every `{parameter}` the rules name, in order of first use.
    public func parameterNames() throws -> [String] {
        var names: [String] = []
        for (field, text) in named {
            do {
                for name in try Compiler.parameterNames(text) where !names.contains(name) { names.append(name) }
            } catch let error as ExpressionError {
                throw RuleError(field: field, error: error)
            }
        }
        return names
    }
}

/// An expression that failed, and which rule or field it was (`entry`, `config.exit`, …).
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var error: ExpressionError

    public init(field: String, error: ExpressionError) {
        self.field = field
        self.error = error
    }

    public var description: String { "\(field):\n\(error)" }
}

/// Compiles rules into graphs and turns their conditions into one signal per bar.
public enum RuleSignals {
    /// The rolling mean `sma` uses under each library's arithmetic: the built-in strategies' own,
    /// so `sma` in an expression is bit for bit the built-in `sma_cross`'s.
    public static func rollingMean(_ arithmetic: MeanArithmetic) -> Kernels.RollingMean {
        { x, w, out in
            switch arithmetic {
            case .quantforge:
                RollingMean.compute(x, window: w, range: 0..<x.count, into: out.baseAddress!)
            case .vectorbt:
                var state = LibraryMeanState()
                state.vectorbt(x, window: w, range: 0..<x.count, into: out.baseAddress!)
            case .pandas:
                var state = LibraryMeanState()
                state.pandas(x, window: w, range: 0..<x.count, into: out.baseAddress!)
            }
        }
    }

    /// Compiles each rule of `rules` into `graph` with `parameters`; returns the roots in the
    /// order entry, exit, short entry, short exit (nil for a rule not given).
    /// - Throws: `RuleError` naming the rule (with `fieldPrefix`, e.g. `config.`).
    public static func compile(_ rules: SignalRules, columns: [String], parameters: [String: Double], into graph: inout ExpressionGraph,
                               fieldPrefix: String = "") throws -> [ExpressionGraph.NodeID?] {
        try compile(try parse(rules, fieldPrefix: fieldPrefix), columns: columns, parameters: parameters, into: &graph, fieldPrefix: fieldPrefix)
    }

    /// The four rules (entry, exit, short entry, short exit) parsed, nil where not given.
    /// - Throws: `RuleError` for a rule that does not parse.
    static func parse(_ rules: SignalRules, fieldPrefix: String = "") throws -> [(field: String, text: String, tree: Syntax)?] {
        try [("entry", rules.entry), ("exit", rules.exit), ("short_entry", rules.shortEntry), ("short_exit", rules.shortExit)].map { field, text in
            guard let text else { return nil }
            do { return (field, text, try Parser.parse(text)) } catch let error as ExpressionError {
                throw RuleError(field: fieldPrefix + field, error: error)
            }
        }
    }

    /// Compiles parsed rules (`parse`) for one cell's `parameters`.
    static func compile(_ parsed: [(field: String, text: String, tree: Syntax)?], columns: [String], parameters: [String: Double], into graph: inout ExpressionGraph,
                        fieldPrefix: String = "") throws -> [ExpressionGraph.NodeID?] {
        let compiler = Compiler(columns: columns, parameters: parameters)
        return try parsed.map { rule in
            guard let rule else { return nil }
            return try compile(rule, compiler: compiler, into: &graph, fieldPrefix: fieldPrefix)
        }
    }

    /// Compiles one parsed rule as a condition.
    /// - Throws: `RuleError` naming the rule.
    static func compile(_ rule: (field: String, text: String, tree: Syntax), compiler: Compiler, into graph: inout ExpressionGraph,
                        fieldPrefix: String = "") throws -> ExpressionGraph.NodeID {
        do {
            return try compiler.compile(rule.tree, source: rule.text, expecting: .condition, into: &graph)
        } catch let error as ExpressionError {
            throw RuleError(field: fieldPrefix + rule.field, error: error)
        }
    }

    /// The signals of `rules` over one symbol's bars (`frame` holds one symbol).
    /// - Throws: `RuleError` for a rule that does not compile.
    public static func signals(_ rules: SignalRules, frame: Frame, parameters: [String: Double] = [:], arithmetic: MeanArithmetic = .quantforge) throws -> [Signal] {
        var graph = ExpressionGraph()
        let roots = try compile(rules, columns: frame.columnNames, parameters: parameters, into: &graph)
        return signals(roots: roots, evaluator: Evaluator(graph: graph, rollingMean: rollingMean(arithmetic)), frame: frame)
    }

    /// The signals of compiled rules (`compile`'s roots, nil for a rule not given), evaluated over
    /// `frame` with the series in `known` taken as they are (a sweep's shared ones).
    static func signals(roots: [ExpressionGraph.NodeID?], evaluator: Evaluator, frame: Frame, known: [ExpressionGraph.NodeID: [Double]] = [:]) -> [Signal] {
        let values = evaluator.evaluate(roots.compactMap { $0 }, on: frame, known: known)
        var next = 0
        let conditions: [[Double]?] = roots.map { root in
            guard root != nil else { return nil }
            defer { next += 1 }
            return values[next]
        }
        return signals(count: frame.bars, longEntry: conditions[0], longExit: conditions[1], shortEntry: conditions[2], shortExit: conditions[3])
    }

    /// `expression` (a number per bar) over `frame`; a mistake is a `RuleError` named `field`.
    static func numbers(_ expression: String, field: String, frame: Frame, parameters: [String: Double], arithmetic: MeanArithmetic) throws -> [Double] {
        var graph = ExpressionGraph()
        let root: ExpressionGraph.NodeID
        do {
            root = try Compiler(columns: frame.columnNames, parameters: parameters).compile(expression, expecting: .number, into: &graph)
        } catch let error as ExpressionError {
            throw RuleError(field: field, error: error)
        }
        return Evaluator(graph: graph, rollingMean: rollingMean(arithmetic)).evaluate([root], on: frame)[0]
    }

    /// The target position of `expression` (a number per bar, a fraction of equity) over one
    /// symbol's bars: values beyond ±1 are held to ±1, and a NaN bar (a window still filling)
    /// leaves the position as it is, as vectorbt's `targetpercent` orders do.
    /// - Throws: `RuleError` (field `position`, with `fieldPrefix`) when it does not compile.
    public static func positions(_ expression: String, frame: Frame, parameters: [String: Double] = [:], arithmetic: MeanArithmetic = .quantforge,
                                 fieldPrefix: String = "") throws -> [Double] {
        try numbers(expression, field: fieldPrefix + "position", frame: frame, parameters: parameters, arithmetic: arithmetic)
            .map { $0.isNaN ? .nan : Swift.max(-1, Swift.min(1, $0)) }
    }

    /// Portfolio weights from `expression` over a multi-symbol frame: per bar, each symbol's value
    /// (a NaN counting as 0) divided by the sum of their absolute values, so the gross exposure
    /// is 1 (all zero when every value is 0); nil for a bar where every value is NaN (a window
    /// still filling: the weights stay as they were). Cross-sectional functions (`cs_rank`, …)
    /// rank the symbols of each bar.
    /// - Throws: `RuleError` (field `weights`, with `fieldPrefix`) when it does not compile.
    public static func portfolioWeights(_ expression: String, frame: Frame, parameters: [String: Double] = [:], arithmetic: MeanArithmetic = .quantforge,
                                        fieldPrefix: String = "") throws -> [[Double]?] {
        let values = try numbers(expression, field: fieldPrefix + "weights", frame: frame, parameters: parameters, arithmetic: arithmetic)
        let symbols = frame.symbols.count, bars = frame.bars
        return (0..<bars).map { t -> [Double]? in
            let raw = (0..<symbols).map { values[$0 * bars + t] }
            guard raw.contains(where: { !$0.isNaN }) else { return nil }
            let cleaned = raw.map { $0.isFinite ? $0 : 0 }
            let gross = cleaned.reduce(0) { $0 + Swift.abs($1) }
            return gross > 0 ? cleaned.map { $0 / gross } : cleaned
        }
    }

    /// vectorbt's `from_signals` resolution, bar by bar, with the side held as it goes (see
    /// `SignalRules`): `.long` / `.short` to open or reverse, `.flat` to close, `.hold` otherwise.
    public static func signals(count: Int, longEntry: [Double]?, longExit: [Double]?, shortEntry: [Double]?, shortExit: [Double]?) -> [Signal] {
        var side = 0
        var out = [Signal](repeating: .hold, count: count)
        for i in 0..<count {
            out[i] = step(side: &side, longEntry: (longEntry?[i] ?? 0) != 0, longExit: (longExit?[i] ?? 0) != 0,
                          shortEntry: (shortEntry?[i] ?? 0) != 0, shortExit: (shortExit?[i] ?? 0) != 0)
        }
        return out
    }

    /// One bar of the rules given the side held (1 long, −1 short, 0 flat), which it updates:
    /// an entry and its own exit on the same bar cancel, as do a long and a short entry
    /// (vectorbt's `from_signals`); an opposite entry reverses.
    @inline(__always)
    static func step(side: inout Int, longEntry: Bool, longExit: Bool, shortEntry: Bool, shortExit: Bool) -> Signal {
        var le = longEntry, lx = longExit, se = shortEntry, sx = shortExit
        if le || se {
            if le && lx { le = false; lx = false }
            if se && sx { se = false; sx = false }
            if le && se { le = false; se = false }
        }
        switch side {
        case 1:
            if se { side = -1; return .short }
            if lx { side = 0; return .flat }
        case -1:
            if le { side = 1; return .long }
            if sx { side = 0; return .flat }
        default:
            if le { side = 1; return .long }
            if se { side = -1; return .short }
        }
        return .hold
    }
}
