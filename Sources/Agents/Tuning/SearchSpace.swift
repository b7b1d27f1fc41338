import Compute
import Foundation

/// One searched hyperparameter: a list of values (`gamma=0.95,0.99`) or a range (`learning_rate=1e-4:1e-2:log`,
/// `n_steps=64:512`), optionally with a point count for grids (`learning_rate=1e-4:1e-2:log:3`).
/// Ranges of integers sample whole numbers; `:log` samples uniformly in the logarithm.
public struct SearchDimension: Sendable, Equatable {
    public enum Domain: Sendable, Equatable {
        case values([HyperparameterValue])
        case range(lower: Double, upper: Double, logScale: Bool, points: Int?)
    }

    public let name: String
    public let domain: Domain

    public init(name: String, domain: Domain) {
        self.name = name
        self.domain = domain
    }

    /// Parses `name=…` as `qf tune --search` and a job's `search` block take it, checking every
    /// value against the hyperparameter's declared range (`HyperparameterCatalog`).
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw AgentsError.invalidConfiguration("search '\(text)': expected name=values (gamma=0.95,0.99) or name=low:high[:log][:points]")
        }
        let name = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        try self.init(name: name, text: String(text[text.index(after: equals)...]))
    }

    /// Parses the part after `=` for the hyperparameter `name`.
    public init(name: String, text: String) throws {
        let spec = try HyperparameterCatalog.spec(named: name)
        let where_ = "search \(name)"
        guard !["seed", "epochs", "selection_metric"].contains(name) else {
            throw AgentsError.invalidConfiguration("\(where_): \(name) is set by the search itself (--seeds, --max-epochs, --metric), not searched")
        }
        self.name = name
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let numeric: Bool = { if case .real = spec.kind { return true }; if case .integer = spec.kind { return true }; return false }()
        if parts.count >= 2, numeric {
            guard parts.count <= 4, let lower = Double(parts[0]), let upper = Double(parts[1]), lower.isFinite, upper.isFinite, lower < upper else {
                throw AgentsError.invalidConfiguration("\(where_): '\(text)' is not low:high[:log][:points] with low < high")
            }
            var logScale = false, points: Int?
            for extra in parts.dropFirst(2) {
                if extra == "log" { logScale = true } else if let n = Int(extra), n >= 2, n <= 1_000 { points = n } else {
                    throw AgentsError.invalidConfiguration("\(where_): '\(extra)' is neither 'log' nor a point count from 2 to 1000")
                }
            }
            if logScale && lower <= 0 { throw AgentsError.invalidConfiguration("\(where_): a log range needs low > 0") }
            for end in [lower, upper] {
                if case .integer = spec.kind, end != end.rounded() { throw AgentsError.invalidConfiguration("\(where_): \(name) takes whole numbers, got \(end)") }
                try spec.check(Self.value(end, spec))
            }
            domain = .range(lower: lower, upper: upper, logScale: logScale, points: points)
        } else {
            let values = try text.split(separator: ",").map { try spec.parse(String($0)) }
            guard !values.isEmpty, Set(values).count == values.count else {
                throw AgentsError.invalidConfiguration("\(where_): list distinct values, e.g. \(name)=a,b")
            }
            domain = .values(values)
        }
    }

    /// One draw (random search).
    public func sample(_ rng: inout Xoshiro256) throws -> HyperparameterValue {
        let spec = try HyperparameterCatalog.spec(named: name)
        switch domain {
        case .values(let values): return values[Int(rng.next() % UInt64(values.count))]
        case .range(let lower, let upper, let logScale, _):
            let u = Double(rng.next() >> 11) * 0x1p-53
            if case .integer = spec.kind {
                if logScale {
                    let x = exp(log(lower) + u * (log(upper + 1) - log(lower)))
                    return .integer(min(Int(upper), Int(x.rounded(.down))))
                }
                return .integer(Int(lower) + Int(rng.next() % UInt64(Int(upper) - Int(lower) + 1)))
            }
            return .real(logScale ? exp(log(lower) + u * (log(upper) - log(lower))) : lower + u * (upper - lower))
        }
    }

    /// The values a grid takes: a list as given; a range needs a point count (evenly spaced, in
    /// the logarithm for `:log`; integers rounded and deduplicated).
    public func gridValues() throws -> [HyperparameterValue] {
        let spec = try HyperparameterCatalog.spec(named: name)
        switch domain {
        case .values(let values): return values
        case .range(let lower, let upper, let logScale, let points):
            guard let points else {
                throw AgentsError.invalidConfiguration("search \(name): a grid needs listed values or a point count (\(name)=\(Self.short(lower)):\(Self.short(upper))\(logScale ? ":log" : ""):4)")
            }
            var values: [HyperparameterValue] = []
            for i in 0..<points {
                let t = Double(i) / Double(points - 1)
                let x = logScale ? exp(log(lower) + t * (log(upper) - log(lower))) : lower + t * (upper - lower)
                let v = Self.value(i == points - 1 ? upper : i == 0 ? lower : x, spec)
                if !values.contains(v) { values.append(v) }
            }
            return values
        }
    }

    static func value(_ x: Double, _ spec: HyperparameterSpec) -> HyperparameterValue {
        if case .integer = spec.kind { return .integer(Int(x.rounded())) }
        return .real(x)
    }

    static func short(_ x: Double) -> String { String(format: "%g", x) }
}

/// The configurations a search tries: seeded random draws, or the full grid.
public struct SearchSpace: Sendable, Equatable {
    public let dimensions: [SearchDimension]

    public init(dimensions: [SearchDimension]) throws {
        guard !dimensions.isEmpty else { throw AgentsError.invalidConfiguration("search: give at least one hyperparameter to search") }
        let names = dimensions.map(\.name)
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw AgentsError.invalidConfiguration("search \(repeated): searched twice")
        }
        self.dimensions = dimensions
    }

    /// `count` configurations drawn from `seed` (the same seed gives the same configurations).
    public func random(count: Int, seed: UInt64) throws -> [[String: HyperparameterValue]] {
        guard (1...10_000).contains(count) else { throw AgentsError.invalidConfiguration("trials: must be 1 to 10000, got \(count)") }
        var rng = Xoshiro256(seed: seed ^ 0x7475_6E65)
        return try (0..<count).map { _ in
            var trial: [String: HyperparameterValue] = [:]
            for d in dimensions { trial[d.name] = try d.sample(&rng) }
            return trial
        }
    }

    /// Every combination, the first dimension varying slowest (at most 10,000).
    public func grid() throws -> [[String: HyperparameterValue]] {
        var trials: [[String: HyperparameterValue]] = [[:]]
        for d in dimensions {
            let values = try d.gridValues()
            guard trials.count * values.count <= 10_000 else {
                throw AgentsError.invalidConfiguration("search: the grid has more than 10000 configurations; use --trials N to sample it")
            }
            trials = trials.flatMap { t in values.map { v in t.merging([d.name: v]) { $1 } } }
        }
        return trials
    }
}
