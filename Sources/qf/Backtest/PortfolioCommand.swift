import ArgumentParser
import Backtest
import Expressions
import Foundation
import Ingest

/// `qf portfolio`: several symbols of a bar file with shared cash, held at target weights that are
/// restored on a schedule and drift in between.
struct PortfolioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portfolio", abstract: "Backtest a portfolio of target weights rebalanced on a schedule.",
        discussion: "Weights are fractions of equity (negative: short, with --short); the rest stays in cash. The benchmark is the equal-weight buy & hold of the same symbols.")

    @OptionGroup var market: MarketOptions
    @Option(help: "Symbols, comma-separated (default: every symbol of the file).") var symbols: String?
    @Option(help: "Target weights: equal, SYMBOL=weight,… (symbols not named get 0), or an expression per symbol and bar, normalised to a gross exposure of 1, e.g. \"cs_rank(pct_change(close, 20)) - 0.5\" (docs/expressions.md).") var weights = "equal"
    @Option(help: "Rebalance: once, daily, weekly, monthly, yearly or a number of bars.") var rebalance = "monthly"
    @Option(help: "Align symbols on timestamps they all have (inner) or carry the last value forward (ffill).") var align: Panel.Alignment = .inner
    @Option(help: "Write a self-contained HTML report to this file.") var report: String?
    @Flag(help: "Print the metrics as JSON.") var json = false

    func run() throws {
        let file = try BarFile(path: market.data)
        let names = symbols.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? file.symbols
        for name in names where !file.symbols.contains(name) {
            throw CommandFailure("\(market.data) has no symbol \(name) (it has \(file.symbols.joined(separator: ", ")))")
        }
        guard !names.isEmpty else { throw CommandFailure("\(market.data) has no symbols") }
        let columns = try file.columns(of: names[0])
        func named(_ wanted: String) throws -> String {
            guard let c = columns.first(where: { $0.lowercased() == wanted }) else { throw CommandFailure("\(market.data): no '\(wanted)' column") }
            return c
        }
        // Every column the symbols share, for a weights expression (open and close first).
        var shared = Set(columns)
        for name in names.dropFirst() { shared.formIntersection(try file.columns(of: name)) }
        let others = isExpression ? shared.subtracting([try named("open"), try named("close")]).sorted() : []
        let panel = try Panel(file: file, symbols: names, columns: [try named("open"), try named("close")] + others, alignment: align)
        guard panel.timestamps.count > 1 else { throw ValidationError("the symbols share fewer than two timestamps (try --align ffill)") }
        let schedule = try scheduleValue()
        let settings = try market.settings()
        let open = panel.values[0], close = panel.values[1]
        let weightsAt: (Int) -> [Double]?
        if isExpression {
            let perBar = try expressionWeights(panel)
            weightsAt = { perBar[$0] }
        } else {
            let target = try targetWeights(names)
            weightsAt = { _ in target }
        }
        let result = PortfolioBacktest.run(open: open, close: close, timestamps: panel.timestamps, schedule: schedule, settings: settings, weights: weightsAt)
        // Benchmark: equal weights bought at the first close and held.
        let benchmark = panel.timestamps.indices.map { i in names.indices.reduce(0.0) { $0 + close[$1][i] / close[$1][0] } / Double(names.count) }
        let trades = result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
        let m = PerformanceMetrics(equity: result.equity, timestamps: panel.timestamps, trades: trades, convention: market.convention,
                                   annualization: try market.annualizationValue(), benchmark: benchmark, initialCash: settings.initialCash)
        if json {
            try printJSON(m)
            return
        }
        let label = "\(names.count) symbols, \(weights) weights, rebalanced \(rebalance)"
        var statistics = StatsTable.rows(m, label: label, openTrade: nil)
        // A portfolio's exposure is the share of bars holding anything, and its costs are every
        // order's, open positions included (the trade figures cover closed trades only).
        let held = panel.timestamps.indices.filter { i in result.units.contains { $0[i] != 0 } }.count
        for k in statistics.indices {
            if statistics[k].0 == "Exposure Time [%]" { statistics[k].1 = String(format: "%.5f", Double(held) / Double(panel.timestamps.count) * 100) }
            if statistics[k].0 == "Commissions [$]" { statistics[k].1 = String(format: "%.2f", result.fees) }
        }
        statistics.insert(("Traded Value [$]", String(format: "%.2f", result.tradedValue)), at: 8)
        statistics.insert(("Orders", "\(result.fills.count)"), at: 9)
        for (name, value) in statistics { print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + value) }
        if let report {
            try StagedFile.write(HTMLReport.html(HTMLReport.Content(title: "Portfolio: \(label)", metrics: m, statistics: statistics, equity: result.equity,
                                                                    timestamps: panel.timestamps, trades: trades, benchmark: benchmark)), to: report)
            print("report: \(report)")
        }
    }

    /// Whether `--weights` is an expression rather than `equal` or `SYMBOL=weight,…`.
    var isExpression: Bool {
        guard weights != "equal" else { return false }
        return !weights.split(separator: ",").allSatisfy { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && Double(parts[1].trimmingCharacters(in: .whitespaces)) != nil && !parts[0].contains(where: { "()<>!".contains($0) })
        }
    }

    /// The expression's weights per bar over the panel's columns (see `RuleSignals.portfolioWeights`).
    func expressionWeights(_ panel: Panel) throws -> [[Double]?] {
        var columns: [String: [Double]] = [:]
        for (k, name) in panel.columns.enumerated() {
            let values = panel.values[k].flatMap { $0 }
            columns[name] = values
            if columns[name.lowercased()] == nil { columns[name.lowercased()] = values }
        }
        let frame = Frame(symbols: panel.symbols, bars: panel.timestamps.count, columns: columns)
        let perBar: [[Double]?]
        do {
            perBar = try RuleSignals.portfolioWeights(weights, frame: frame, arithmetic: market.convention.meanArithmetic)
        } catch let error as RuleError {
            throw ValidationError("--weights:\n\(error.error)")
        }
        if !market.short, let bar = perBar.firstIndex(where: { $0?.contains { $0 < 0 } ?? false }) {
            throw ValidationError("--weights gives a negative weight (a short) first on bar \(bar): pass --short to allow short positions")
        }
        return perBar
    }

    func targetWeights(_ names: [String]) throws -> [Double] {
        if weights == "equal" { return [Double](repeating: 1 / Double(names.count), count: names.count) }
        var w = [Double](repeating: 0, count: names.count)
        for item in weights.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite else { throw ValidationError("--weights \(item): expected SYMBOL=number") }
            guard let k = names.firstIndex(of: String(parts[0])) else { throw ValidationError("--weights: \(parts[0]) is not among the symbols (\(names.joined(separator: ", ")))") }
            w[k] = value
        }
        guard w.reduce(0, { $0 + abs($1) }) <= 1 + 1e-9 || market.short else {
            throw ValidationError("--weights add up to more than 1 (gross \(w.reduce(0) { $0 + abs($1) })): leverage is not modelled")
        }
        return w
    }

    func scheduleValue() throws -> RebalanceSchedule {
        switch rebalance {
        case "once": return .everyBars(Int.max)
        case "daily": return .calendar(.day)
        case "weekly": return .calendar(.week)
        case "monthly": return .calendar(.month)
        case "yearly": return .calendar(.year)
        default:
            guard let n = Int(rebalance), n > 0 else { throw ValidationError("--rebalance must be once, daily, weekly, monthly, yearly or a number of bars, got \(rebalance)") }
            return .everyBars(n)
        }
    }
}

extension Panel.Alignment: ExpressibleByArgument {}
