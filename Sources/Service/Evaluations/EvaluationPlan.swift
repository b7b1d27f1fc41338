import Backtest
import Expressions
import Foundation

/// What an evaluation runs, resolved once when it is submitted and stored with it (`plan`), so
/// every worker runs exactly the same thing whatever happens to the strategy afterwards: the
/// subjects (strategies by their rule and parameters, or trained models), the data, the time
/// range, the execution settings, an optional parameter grid, and the shards the work is split
/// into — each shard one queue task that any worker on any node may claim.
public struct EvaluationPlan: Codable, Sendable, Equatable {
    /// The seed's `evaluation_type`: what the results add to Backtest's figures.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case backtest, performance, risk, comparison
    }

    /// A strategy under evaluation: a built-in rule with parameters, or a trained agent.
    public struct Subject: Codable, Sendable, Equatable {
        public var label: String
        public var strategyID: Int?
        public var version: String?
        /// A Backtest strategy name (`sma_cross`, …); nil for a trained model or expressions.
        public var rule: String?
        /// A strategy written as signal expressions (entry, exit, …).
        public var rules: SignalRules?
        /// A strategy written as a target-position expression.
        public var position: String?
        public var parameters: [String: Double]
        /// For a trained model: the training job and its run folder (checkpoints, test split).
        public var trainingJobID: Int?
        public var modelDirectory: String?

        init(label: String, strategyID: Int? = nil, version: String? = nil, rule: String?, rules: SignalRules? = nil, position: String? = nil,
             parameters: [String: Double], trainingJobID: Int? = nil, modelDirectory: String? = nil) {
            self.label = label
            self.strategyID = strategyID
            self.version = version
            self.rule = rule
            self.rules = rules
            self.position = position
            self.parameters = parameters
            self.trainingJobID = trainingJobID
            self.modelDirectory = modelDirectory
        }
    }

    /// Bars to run on: one symbol of an Ingest bar file.
    public struct DataSource: Codable, Sendable, Equatable {
        public var datasetID: Int?
        public var name: String
        public var path: String
        public var symbol: String?
    }

    /// One axis of a parameter grid.
    public struct Axis: Codable, Sendable, Equatable {
        public var name: String
        public var values: [Double]
    }

    /// One unit of work: a subject on a data source, or a slice of the grid's combinations.
    public struct Shard: Codable, Sendable, Equatable {
        public var subject: Int
        public var dataset: Int
        /// Grid indices `from..<to` (grid shards only).
        public var from: Int?
        public var to: Int?
        /// The walk-forward window whose in-sample sweep this shard runs (walk-forward only).
        public var window: Int? = nil
    }

    /// A walk-forward evaluation: the lengths as given (bars or durations) and the windows they
    /// made on the data when the evaluation was submitted.
    public struct WalkForwardSpec: Codable, Sendable, Equatable {
        public var train: String
        public var test: String
        public var step: String?
        public var anchored: Bool
        public var windows: [WalkForwardWindows.Window]

        public init(train: String, test: String, step: String?, anchored: Bool, windows: [WalkForwardWindows.Window]) {
            self.train = train
            self.test = test
            self.step = step
            self.anchored = anchored
            self.windows = windows
        }
    }

    public var kind: Kind
    public var subjects: [Subject]
    public var datasets: [DataSource]
    public var grid: [Axis]?
    /// The benchmark's symbol; nil: buy and hold of the traded symbol.
    public var benchmark: String?
    /// The bar file holding the benchmark when it is another dataset than the evaluated one (the
    /// caller's dataset that has the symbol); nil: the evaluated file.
    public var benchmarkPath: String?
    /// The time range, ns since the epoch (UTC), inclusive; nil bounds are open.
    public var start: Int64?
    public var end: Int64?
    public var settings: ExecutionSettings
    public var convention: MetricsConvention
    public var annualization: Annualization
    /// Grid results: the figure to rank by, its order and the rows kept in `results`.
    public var sort: String
    public var ascending: Bool
    public var top: Int
    public var shards: [Shard]
    /// Grid results: the time blocks of the overfitting statistics (CSCV's S); nil: none (and
    /// plans stored before they existed).
    public var overfittingPartitions: Int? = nil
    /// Walk-forward over the grid instead of one sweep (one shard per window); nil: none.
    public var walkForward: WalkForwardSpec? = nil

    /// The `{parameters}` a subject written as expressions names (nil for a built-in rule or a model).
    static func expressionParameters(_ subject: Subject) throws -> [String]? {
        if let rules = subject.rules { return try rules.parameterNames() }
        if let position = subject.position { return try Compiler.parameterNames(position) }
        return nil
    }

    /// The grid as Backtest's `ParameterGrid`, the subject's other parameters fixed.
    func parameterGrid(for subject: Subject) -> ParameterGrid? {
        guard let grid else { return nil }
        let axes = grid.map { ParameterGrid.Axis(name: $0.name, values: $0.values) }
        let names = Set(axes.map(\.name))
        return ParameterGrid(axes: axes, fixed: subject.parameters.filter { !names.contains($0.key) })
    }

    /// Splits the work: a grid into slices of `shardSize` combinations, otherwise one shard per
    /// subject and data source.
    static func shards(subjects: Int, datasets: Int, gridCount: Int?, shardSize: Int) -> [Shard] {
        if let gridCount {
            return stride(from: 0, to: gridCount, by: shardSize).map { Shard(subject: 0, dataset: 0, from: $0, to: min($0 + shardSize, gridCount)) }
        }
        return (0..<subjects).flatMap { s in (0..<datasets).map { d in Shard(subject: s, dataset: d) } }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    func jsonText() throws -> String { String(decoding: try Self.encoder.encode(self), as: UTF8.self) }

    static func decode(_ text: String) throws -> EvaluationPlan {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(EvaluationPlan.self, from: Data(text.utf8))
    }
}

extension EvaluationPlan {
    /// A grid sweep of one built-in rule over one symbol of a bar file (`qf sweep --distributed`):
    /// `path` must be readable at the same place by every worker (a shared folder).
    /// With `rules`, the grid is over the `{parameters}` of those expressions instead of a rule's.
    public static func sweep(rule: String, rules: SignalRules? = nil, fixed: [String: Double], axes: [(name: String, values: [Double])], path: String, symbol: String?,
                             settings: ExecutionSettings, convention: MetricsConvention, annualization: Annualization,
                             sort: String, ascending: Bool, top: Int, shardSize: Int, overfittingPartitions: Int? = 16) -> EvaluationPlan {
        let count = axes.reduce(1) { $0 * $1.values.count }
        let label = (rules == nil ? rule : "expressions") + " " + fixed.keys.sorted().map { "\($0)=\(fixed[$0]!)" }.joined(separator: " ")
        let subject = rules == nil ? Subject(label: label, rule: rule, parameters: fixed) : Subject(label: label, rule: nil, rules: rules, parameters: fixed)
        return EvaluationPlan(kind: .backtest, subjects: [subject],
                              datasets: [DataSource(datasetID: nil, name: (path as NSString).lastPathComponent, path: path, symbol: symbol)],
                              grid: axes.map { Axis(name: $0.name, values: $0.values) }, benchmark: nil, start: nil, end: nil, settings: settings,
                              convention: convention, annualization: annualization, sort: sort, ascending: ascending, top: top,
                              shards: shards(subjects: 1, datasets: 1, gridCount: count, shardSize: max(1, shardSize)), overfittingPartitions: overfittingPartitions)
    }
}

extension EvaluationPlan {
    /// A walk-forward over a grid (`qf walkforward --distributed`): one shard per window, each
    /// sweeping that window's in-sample bars; the merge stitches the out-of-sample runs.
    public static func walkForward(sweep: EvaluationPlan, spec: WalkForwardSpec) -> EvaluationPlan {
        var plan = sweep
        plan.walkForward = spec
        plan.shards = spec.windows.indices.map { Shard(subject: 0, dataset: 0, from: nil, to: nil, window: $0) }
        return plan
    }
}

extension EvaluationStore.NewEvaluation {
    /// An evaluation with no owner, strategy or dataset row: submitted from the command line.
    public init(operatorEvaluation name: String, plan: EvaluationPlan, config: JSONValue) {
        self.init(name: name, kind: plan.kind, config: config, strategyID: nil, datasetID: nil, plan: plan, userID: nil)
    }
}
