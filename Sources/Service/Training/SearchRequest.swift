import Agents
import Foundation

/// A training job's `search` block: the hyperparameter search `qf tune` runs, as a parent job
/// whose trials are child training jobs.
///
///     "search": {"space": {"learning_rate": "1e-4:1e-2:log", "gamma": [0.95, 0.99]},
///                "trials": 16, "seeds": 2, "scheduler": "asha", "metric": "valid_sharpe",
///                "max_epochs": 9, "min_epochs": 1, "reduction": 3, "sampling_seed": 0}
///
/// `space` maps hyperparameter names to a list of values or a range string (`low:high[:log][:points]`);
/// `trials` is a count or "grid" (default: grid when every dimension is a list, else 16);
/// `max_epochs` defaults to the job's epochs. Every problem is a 400 naming `search.<field>`.
struct SearchRequest: Sendable {
    var space: SearchSpace
    var options: TuneOptions
    /// The block as stored in the parent's `config.search`, defaults filled in.
    var normalized: JSONValue

    static let keys: Set<String> = ["space", "trials", "seeds", "scheduler", "metric", "max_epochs", "min_epochs", "reduction", "sampling_seed"]

    /// Parses and checks the block; `defaultEpochs` is the job's resolved epochs.
    static func parse(_ block: JSONValue, defaultEpochs: Int) throws -> SearchRequest {
        guard case .object(let fields) = block else { throw APIError.validation([.init(field: "search", message: "must be an object with a space")]) }
        var problems: [APIError.Detail] = []
        for key in fields.keys.sorted() where !keys.contains(key) {
            problems.append(.init(field: "search.\(key)", message: "unknown key; known: \(keys.sorted().joined(separator: ", "))"))
        }
        var dimensions: [SearchDimension] = []
        if case .object(let space)? = fields["space"], !space.isEmpty {
            for name in space.keys.sorted() {
                do {
                    dimensions.append(try SearchDimension(name: name, text: try Self.text(space[name]!)))
                } catch let error as AgentsError {
                    problems.append(.init(field: "search.space.\(name)", message: error.description))
                } catch {
                    problems.append(.init(field: "search.space.\(name)", message: "\(error)"))
                }
            }
        } else {
            problems.append(.init(field: "search.space", message: "is required: an object of hyperparameter name → list of values or \"low:high[:log]\""))
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let value = fields[key], value != .null else { return nil }
            if case .int(let n) = value, range.contains(Int(n)) { return Int(n) }
            problems.append(.init(field: "search.\(key)", message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
            return nil
        }
        let seeds = integer("seeds", 1...100) ?? 1
        let maxEpochs = integer("max_epochs", 1...100_000) ?? defaultEpochs
        let minEpochs = integer("min_epochs", 1...100_000)
        let reduction = integer("reduction", 2...100) ?? 3
        var samplingSeed: UInt64 = 0
        if let value = fields["sampling_seed"], value != .null {
            if case .int(let n) = value, n >= 0 { samplingSeed = UInt64(n) } else { problems.append(.init(field: "search.sampling_seed", message: "must be a whole number ≥ 0")) }
        }
        var trials: Int?
        switch fields["trials"] {
        case nil, .null?:
            trials = dimensions.allSatisfy { if case .values = $0.domain { return true }; return false } ? nil : 16
        case .string("grid")?: trials = nil
        case .int(let n)? where (1...1_000).contains(n): trials = Int(n)
        default: problems.append(.init(field: "search.trials", message: "must be \"grid\" or a whole number from 1 to 1000"))
        }
        var metric = SelectionMetric.validSharpe
        if let value = fields["metric"], value != .null {
            if case .string(let name) = value, let m = SelectionMetric(rawValue: name) { metric = m } else {
                problems.append(.init(field: "search.metric", message: "one of \(SelectionMetric.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        var halving: SuccessiveHalving?
        switch fields["scheduler"] {
        case nil, .null?, .string("asha")?:
            do { halving = try SuccessiveHalving(maxEpochs: maxEpochs, minEpochs: minEpochs, reduction: reduction) } catch let error as AgentsError {
                problems.append(.init(field: "search.min_epochs", message: error.description))
            }
        case .string("none")?: halving = nil
        default: problems.append(.init(field: "search.scheduler", message: "asha or none"))
        }
        var space: SearchSpace?
        if problems.isEmpty {
            do { space = try SearchSpace(dimensions: dimensions) } catch let error as AgentsError {
                problems.append(.init(field: "search.space", message: error.description))
            }
        }
        guard problems.isEmpty, let space else { throw APIError.validation(problems) }
        var options = TuneOptions(maxEpochs: maxEpochs, directory: "")
        options.trials = trials
        options.seeds = seeds
        options.halving = halving
        options.metric = metric
        options.samplingSeed = samplingSeed
        var normalized = fields
        normalized["trials"] = trials.map { .int(Int64($0)) } ?? .string("grid")
        normalized["seeds"] = .int(Int64(seeds))
        normalized["scheduler"] = .string(halving == nil ? "none" : "asha")
        normalized["metric"] = .string(metric.rawValue)
        normalized["max_epochs"] = .int(Int64(maxEpochs))
        normalized["sampling_seed"] = .int(Int64(samplingSeed))
        if let halving {
            normalized["min_epochs"] = .int(Int64(halving.minEpochs))
            normalized["reduction"] = .int(Int64(halving.reduction))
        }
        return SearchRequest(space: space, options: options, normalized: .object(normalized))
    }

    /// A dimension's JSON as `--search` text: a string as is, a list joined by commas (a list of
    /// layer sizes as 64x64).
    static func text(_ value: JSONValue) throws -> String {
        func one(_ v: JSONValue) throws -> String {
            switch v {
            case .int(let n): return String(n)
            case .double(let x): return String(x)
            case .bool(let b): return String(b)
            case .string(let s): return s
            case .array(let sizes): return try sizes.map(one).joined(separator: "x")
            default: throw AgentsError.invalidConfiguration("values must be numbers, booleans, names or lists of layer sizes")
            }
        }
        switch value {
        case .string(let s): return s
        case .array(let items) where !items.isEmpty: return try items.map(one).joined(separator: ",")
        default: throw AgentsError.invalidConfiguration("a list of values or a range string \"low:high[:log][:points]\"")
        }
    }
}
