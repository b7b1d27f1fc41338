import ArgumentParser
import Backtest
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
    @Option(help: "Target weights: equal, or SYMBOL=weight,… (symbols not named get 0).") var weights = "equal"
    @Option(help: "Rebalance: once, daily, weekly, monthly, yearly or a number of bars.") var rebalance = "monthly"
    @Option(help: "Align symbols on timestamps they all have (inner) or carry the last value forward (ffill).") var align: Panel.Alignment = .inner
    @Option(help: "Write a self-contained HTML report to this file.") var report: String?
    @Flag(help: "Print the metrics as JSON.") var json = false

    func run() throws {
        let file = try BarFile(path: market.data)
        let names = symbols.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? file.symbols
        for name in names where !file.symbols.contains(name) {
            throw ValidationError("\(market.data) has no symbol \(name) (it has \(file.symbols.joined(separator: ", ")))")
        }
        guard !names.isEmpty else { throw ValidationError("\(market.data) has no symbols") }
        let columns = try file.columns(of: names[0])
        func named(_ wanted: String) throws -> String {
            guard let c = columns.first(where: { $0.lowercased() == wanted }) else { throw ValidationError("\(market.data): no '\(wanted)' column") }
            return c
        }
        let panel = try Panel(file: file, symbols: names, columns: [try named("open"), try named("close")], alignment: align)
        guard panel.timestamps.count > 1 else { throw ValidationError("the symbols share fewer than two timestamps (try --align ffill)") }
        let target = try targetWeights(names)
        let schedule = try scheduleValue()
        let settings = try market.settings()
        let open = panel.values[0], close = panel.values[1]
        let result = PortfolioBacktest.run(open: open, close: close, timestamps: panel.timestamps, schedule: schedule, settings: settings) { _ in target }
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
