import Expressions
import Ingest

extension PortfolioData {
    /// `features` (expressions over the symbols' shared columns, docs/expressions.md; the
    /// cross-sectional `cs_rank`, `cs_zscore`, `cs_demean` compare the assets on each day) as each
    /// asset's observation columns instead of TradeMaster's 11: computed over the whole aligned
    /// panel, the days before every feature of every asset exists (their warm-up) dropped, and a
    /// value that is not finite later (a division by zero) fed as 0.
    /// - Throws: `AgentsError.invalidConfiguration` naming `config.features[k]` and the mistake.
    public init(file: BarFile, symbols: [String]? = nil, features: [String]) throws {
        let names = symbols ?? file.symbols
        guard !names.isEmpty else { throw AgentsError.invalidData("\(file.path) has no symbols") }
        var shared = Set(try file.columns(of: names[0]))
        for name in names.dropFirst() { shared.formIntersection(try file.columns(of: name)) }
        guard let close = shared.first(where: { $0.lowercased() == "close" }) else {
            throw AgentsError.invalidData("\(file.path): the symbols share no close column")
        }
        let others = shared.subtracting([close]).sorted()
        let panel = try Panel(file: file, symbols: names, columns: [close] + others, alignment: .inner)
        let bars = panel.timestamps.count
        var columns: [String: [Double]] = [:]
        for (k, name) in panel.columns.enumerated() {
            let values = panel.values[k].flatMap { $0 }
            columns[name] = values
            if columns[name.lowercased()] == nil { columns[name.lowercased()] = values }
        }
        let frame = Frame(symbols: panel.symbols, bars: bars, columns: columns)
        // Each feature's values: symbol after symbol, `bars` each.
        let computed = try FeatureExpressions.evaluate(features, on: frame)
        var first = 0
        for values in computed {
            for asset in 0..<names.count {
                let series = values[(asset * bars)..<((asset + 1) * bars)]
                first = max(first, (series.firstIndex { !$0.isNaN } ?? ((asset + 1) * bars)) - asset * bars)
            }
        }
        guard first < bars - 1 else {
            throw AgentsError.invalidData("\(file.path): the features never all have a value on two days (windows longer than the \(bars) days?)")
        }
        let days = first..<bars
        let perFeature = computed.map { values in
            (0..<names.count).map { asset in days.map { day in values[asset * bars + day].isFinite ? values[asset * bars + day] : 0 } }
        }
        self.init(symbols: panel.symbols, timestamps: Array(panel.timestamps[days]), close: panel.values[0].map { Array($0[days]) }, features: perFeature)
    }
}

/// A job's `config.features` compiled and evaluated over a frame, a mistake named
/// `config.features[k]` (the algorithmic-trading and portfolio data read them alike).
enum FeatureExpressions {
    static func evaluate(_ features: [String], on frame: Frame) throws -> [[Double]] {
        var graph = ExpressionGraph()
        var roots: [ExpressionGraph.NodeID] = []
        let compiler = Compiler(columns: frame.columnNames)
        for (k, text) in features.enumerated() {
            do {
                roots.append(try compiler.compile(text, expecting: .number, into: &graph))
            } catch let error as ExpressionError {
                throw AgentsError.invalidConfiguration("config.features[\(k)]: \(error.oneLine)")
            }
        }
        return Evaluator(graph: graph).evaluate(roots, on: frame)
    }
}
