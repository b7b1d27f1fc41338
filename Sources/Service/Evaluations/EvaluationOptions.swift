import Backtest
import Foundation
import Ingest

/// The `config` of `POST /api/v1/evaluations/`, checked field by field: the seed's `start_date`,
/// `end_date`, `initial_capital` and `benchmark`, and what a backtest needs beyond them
/// (execution, metric convention, a parameter grid, more data sets or strategies to compare).
/// Each problem is reported under `config.<field>`; an unknown field is a problem, not ignored.
struct EvaluationOptions {
    static let known: [String: String] = [
        "start_date": "first day (YYYY-MM-DD or an ISO 8601 time), inclusive",
        "end_date": "last day, inclusive",
        "initial_capital": "starting cash (default 100000)",
        "benchmark": "a symbol of the same data file, or buy_and_hold (default)",
        "commission": "fraction of traded value per fill (default 0.001)",
        "fixed_fee": "fee per order (default 0)",
        "slippage_bps": "slippage in basis points (default 0)",
        "fill": "next_open (Backtesting.py, default) or close (vectorbt)",
        "allow_short": "short positions (default false)",
        "convention": "backtesting.py (default) or vectorbt metrics",
        "annualization": "inferred (default), trading, calendar or bars per year",
        "symbol": "the symbol to trade (default: the file's first)",
        "parameters": "rule parameters overriding the strategy's",
        "grid": "parameter axes: {name: [values] or \"start:stop[:step]\"} (backtest only)",
        "sort": "grid ranking figure (default sharpe)",
        "ascending": "rank smallest first",
        "top": "grid rows kept in results (default 20)",
        "shard_size": "grid combinations per shard task (default 2000)",
        "walk_forward": "grid: {train, test, step?, anchored?}: walk-forward over the grid; lengths in bars or durations (2y, 6m, 90d)",
        "overfitting_partitions": "grid: time blocks of the overfitting statistics (even, 2-20; default 16; 0: none)",
        "dataset_ids": "more datasets to run on (one shard each)",
        "strategy_ids": "strategies to compare with (comparison)",
        "versions": "versions of the strategy to compare (comparison)",
        "training_job_id": "evaluate the trained model of this completed job of the strategy",
    ]
    static let maxCombinations = 100_000

    var start: Int64?
    var end: Int64?
    var settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 100_000)
    var benchmark: String?
    var convention: MetricsConvention = .backtestingPy
    var annualization: Annualization = .inferred
    var symbol: String?
    var parameters: [String: Double] = [:]
    var grid: [EvaluationPlan.Axis]?
    var sort = "sharpe"
    var ascending = false
    var top = 20
    var shardSize = 2_000
    var overfittingPartitions = 16
    var walkForward: (train: String, test: String, step: String?, anchored: Bool)?
    var datasetIDs: [Int] = []
    var strategyIDs: [Int] = []
    var versions: [String] = []
    var trainingJobID: Int?
    var problems: [APIError.Detail] = []

    init(_ config: JSONValue) {
        guard case .object(let fields) = config else {
            problems.append(.init(field: "config", message: "must be an object"))
            return
        }
        for key in fields.keys.sorted() where Self.known[key] == nil {
            fail(key, "unknown field; known: \(Self.known.keys.sorted().joined(separator: ", "))")
        }
        func number(_ key: String) -> Double? {
            switch fields[key] {
            case nil, .null?: return nil
            case .int(let v)?: return Double(v)
            case .double(let v)? where v.isFinite: return v
            default: fail(key, "must be a number"); return nil
            }
        }
        func text(_ key: String) -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: fail(key, "must be a string"); return nil
            }
        }
        func ids(_ key: String) -> [Int] {
            switch fields[key] {
            case nil, .null?: return []
            case .array(let items)?:
                var out: [Int] = []
                for item in items {
                    guard case .int(let v) = item, v > 0, v <= Int64(Int32.max) else { fail(key, "must be a list of ids"); return [] }
                    out.append(Int(v))
                }
                if out.count > 100 { fail(key, "at most 100") }
                return out
            default: fail(key, "must be a list of ids"); return []
            }
        }
        start = text("start_date").flatMap { time($0, field: "start_date", endOfDay: false) }
        end = text("end_date").flatMap { time($0, field: "end_date", endOfDay: true) }
        if let start, let end, start > end { fail("end_date", "is before start_date") }
        if let cash = number("initial_capital") { if cash > 0 { settings.initialCash = cash } else { fail("initial_capital", "must be positive") } }
        if let c = number("commission") { if c >= 0 && c < 1 { settings.commission = c } else { fail("commission", "must be in [0, 1)") } }
        if let f = number("fixed_fee") { if f >= 0 { settings.fixedFee = f } else { fail("fixed_fee", "must not be negative") } }
        if let s = number("slippage_bps") { if s >= 0 { settings.slippageBps = s } else { fail("slippage_bps", "must not be negative") } }
        if let fill = text("fill") {
            if let value = ExecutionSettings.Fill(rawValue: fill) { settings.fill = value; settings.lot = fill == "close" ? .fractional : .whole } else {
                fail("fill", "one of \(ExecutionSettings.Fill.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        switch fields["allow_short"] {
        case nil, .null?: break
        case .bool(let b)?: settings.allowShort = b
        default: fail("allow_short", "must be true or false")
        }
        if let c = text("convention") {
            if let value = MetricsConvention(rawValue: c) { convention = value } else { fail("convention", "one of backtesting.py, vectorbt") }
        }
        switch fields["annualization"] {
        case nil, .null?, .string("inferred")?: break
        case .string("trading")?: annualization = .tradingDays
        case .string("calendar")?: annualization = .calendarDays
        case .int(let n)? where n > 0: annualization = .barsPerYear(Double(n))
        case .double(let n)? where n > 0 && n.isFinite: annualization = .barsPerYear(n)
        default: fail("annualization", "inferred, trading, calendar or a positive number")
        }
        benchmark = text("benchmark").flatMap { ["", "buy_and_hold", "buy-and-hold"].contains($0.lowercased()) ? nil : $0 }
        symbol = text("symbol")
        switch fields["parameters"] {
        case nil, .null?: break
        case .object(let values)?:
            for (name, value) in values {
                switch value {
                case .int(let v): parameters[name] = Double(v)
                case .double(let v) where v.isFinite: parameters[name] = v
                default: fail("parameters.\(name)", "must be a number")
                }
            }
        default: fail("parameters", "must be an object of numbers")
        }
        switch fields["grid"] {
        case nil, .null?: break
        case .object(let axes)? where !axes.isEmpty:
            var out: [EvaluationPlan.Axis] = []
            for name in axes.keys.sorted() {
                switch axes[name]! {
                case .array(let items):
                    let values = items.compactMap { item -> Double? in
                        switch item { case .int(let v): Double(v); case .double(let v) where v.isFinite: v; default: nil }
                    }
                    if values.count != items.count || values.isEmpty { fail("grid.\(name)", "must be a non-empty list of numbers") } else { out.append(.init(name: name, values: values)) }
                case .string(let range):
                    do { out.append(.init(name: name, values: try ParameterGrid.Axis(parsing: "\(name)=\(range)").values)) } catch {
                        fail("grid.\(name)", "\(error)")
                    }
                default: fail("grid.\(name)", "a list of numbers or \"start:stop[:step]\"")
                }
            }
            let count = out.reduce(1) { $0 * $1.values.count }
            if count > Self.maxCombinations { fail("grid", "\(count) combinations; at most \(Self.maxCombinations)") } else { grid = out }
        default: fail("grid", "must be an object of axes")
        }
        if let s = text("sort") { if SweepMetrics.names.contains(s) { sort = s } else { fail("sort", "one of \(SweepMetrics.names.joined(separator: ", "))") } }
        switch fields["ascending"] {
        case nil, .null?: break
        case .bool(let b)?: ascending = b
        default: fail("ascending", "must be true or false")
        }
        if let t = number("top") { if t >= 1 && t <= 1000 && t == t.rounded() { top = Int(t) } else { fail("top", "a whole number in 1…1000") } }
        if let s = number("shard_size") { if s >= 1 && s <= 100_000 && s == s.rounded() { shardSize = Int(s) } else { fail("shard_size", "a whole number in 1…100000") } }
        if let s = number("overfitting_partitions") {
            // Int(exactly:) is nil for fractions and for numbers past Int's range (no trap).
            if let n = Int(exactly: s), n == 0 || ReturnBlocks.isValidPartitionCount(n) { overfittingPartitions = n } else {
                fail("overfitting_partitions", "\(ReturnBlocks.partitionCountRule), or 0 for none")
            }
        }
        switch fields["walk_forward"] {
        case nil, .null?: break
        case .object(let block)?:
            func length(_ key: String, required: Bool) -> String? {
                switch block[key] {
                case .string(let text)?: return text
                case .int(let n)?: return String(n)
                case nil, .null?: if required { fail("walk_forward.\(key)", "is required: bars (500) or a duration (2y, 6m, 90d)") }; return nil
                default: fail("walk_forward.\(key)", "bars (500) or a duration (2y, 6m, 90d)"); return nil
                }
            }
            for key in block.keys.sorted() where !["train", "test", "step", "anchored"].contains(key) {
                fail("walk_forward.\(key)", "unknown; known: train, test, step, anchored")
            }
            var anchored = false
            switch block["anchored"] {
            case nil, .null?: break
            case .bool(let b)?: anchored = b
            default: fail("walk_forward.anchored", "must be true or false")
            }
            if let train = length("train", required: true), let test = length("test", required: true) {
                walkForward = (train, test, length("step", required: false), anchored)
            }
        default: fail("walk_forward", "must be an object {train, test, step?, anchored?}")
        }
        datasetIDs = ids("dataset_ids")
        strategyIDs = ids("strategy_ids")
        switch fields["versions"] {
        case nil, .null?: break
        case .array(let items)?:
            versions = items.compactMap(\.stringValue)
            if versions.count != items.count || versions.count > 20 { fail("versions", "a list of at most 20 version strings") }
        default: fail("versions", "a list of version strings")
        }
        if let job = number("training_job_id") {
            if job >= 1 && job == job.rounded() && job <= Double(Int32.max) { trainingJobID = Int(job) } else { fail("training_job_id", "must be an id") }
        }
    }

    mutating func fail(_ field: String, _ message: String) {
        problems.append(.init(field: "config.\(field)", message: message))
    }

    /// A date (`2024-01-01`: the whole day, so an end date includes its day) or a full time.
    mutating func time(_ text: String, field: String, endOfDay: Bool) -> Int64? {
        let parsed = Array(text.utf8).withUnsafeBufferPointer { TimestampParser.parse($0) }
        guard let ns = parsed else { fail(field, "a date (YYYY-MM-DD) or an ISO 8601 time, got '\(text)'"); return nil }
        // A date alone is the whole day: its last microsecond (the database's precision).
        guard endOfDay && !text.contains(":") else { return ns }
        let (last, overflow) = ns.addingReportingOverflow(ReturnSeries.nanosecondsPerDay - 1_000)
        return overflow ? Int64.max : last
    }
}
