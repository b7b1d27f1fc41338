import Compute
import Foundation

/// A training job as the seed's `training_jobs` row and `POST /training/jobs` describe it:
/// TradeMaster-style names (`task_name`, `dataset_name`, `agent_name`, `optimizer_name`,
/// `loss_name`), hyperparameters by their usual names, and where the data lives. Unknown keys are
/// an error naming them, so a typo never trains with a silent default.
public struct TrainingJobConfiguration: Codable, Sendable, Equatable {
    /// The names that pick the task, data, agent, optimizer and loss.
    public struct Names: Codable, Sendable, Equatable {
        public var taskName: String
        public var datasetName: String
        public var agentName: String
        public var optimizerName: String?
        public var lossName: String?
        /// The symbol a single-asset task (algorithmic trading, order execution) trades, when the
        /// data holds several; nil: the only one (the first, for a bar file of one symbol).
        public var symbol: String?
        /// The observation's columns as expressions over the data's columns
        /// (`["zscore(close, 20)", "rsi(close, 14) / 100"]`, docs/expressions.md) instead of
        /// TradeMaster's: algorithmic trading's 16, each portfolio asset's 11 (where `cs_rank` and
        /// the other cross-sectional functions compare the assets), daily order execution's; nil:
        /// TradeMaster's.
        public var features: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case taskName = "task_name", datasetName = "dataset_name", agentName = "agent_name"
            case optimizerName = "optimizer_name", lossName = "loss_name", symbol, features
        }

        public init(taskName: String, datasetName: String, agentName: String, optimizerName: String? = nil, lossName: String? = nil, symbol: String? = nil,
                    features: [String]? = nil) {
            self.features = features
            self.taskName = taskName
            self.datasetName = datasetName
            self.agentName = agentName
            self.optimizerName = optimizerName
            self.lossName = lossName
            self.symbol = symbol
        }
    }

    /// Files of the splits: CSV (ingested on the way in) or HDF5 from `qf ingest`. Relative paths
    /// resolve against the working directory. Defaults come from the dataset name.
    public struct DataPaths: Codable, Sendable, Equatable {
        public var train: String?
        public var valid: String?
        public var test: String?

        public init(train: String? = nil, valid: String? = nil, test: String? = nil) {
            self.train = train
            self.valid = valid
            self.test = test
        }
    }

    public var name: String?
    public var config: Names
    public var hyperparameters = Hyperparameters()
    public var data: DataPaths?

    public init(name: String? = nil, config: Names, hyperparameters: Hyperparameters = Hyperparameters(), data: DataPaths? = nil) {
        self.name = name
        self.config = config
        self.hyperparameters = hyperparameters
        self.data = data
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, config, hyperparameters, data
    }

    /// Parses a job from JSON, rejecting unknown keys at every level with their path.
    public static func decode(json: Data, source: String = "config") throws -> TrainingJobConfiguration {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw AgentsError.invalidConfiguration("\(source): not valid JSON (\(error.localizedDescription))")
        }
        guard let top = object as? [String: Any] else { throw AgentsError.invalidConfiguration("\(source): expected a JSON object") }
        try checkKeys(top, known: CodingKeys.allCases.map(\.rawValue), path: source)
        if let names = top["config"] as? [String: Any] { try checkKeys(names, known: Names.CodingKeys.allCases.map(\.rawValue), path: "\(source).config") }
        if let h = top["hyperparameters"] as? [String: Any] { try checkKeys(h, known: Hyperparameters.CodingKeys.allCases.map(\.rawValue), path: "\(source).hyperparameters") }
        if let d = top["data"] as? [String: Any] { try checkKeys(d, known: ["train", "valid", "test"], path: "\(source).data") }
        do { return try JSONDecoder().decode(TrainingJobConfiguration.self, from: json) } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw AgentsError.invalidConfiguration("\(source).\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw AgentsError.invalidConfiguration("\(source).\(path): required")
        } catch let DecodingError.dataCorrupted(context) {
            throw AgentsError.invalidConfiguration("\(source).\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        }
    }

    /// Reads and parses a config file.
    public static func load(path: String) throws -> TrainingJobConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw AgentsError.invalidConfiguration("\(path): cannot read the file") }
        return try decode(json: data, source: path)
    }

    static func checkKeys(_ object: [String: Any], known: [String], path: String) throws {
        let unknown = object.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw AgentsError.invalidConfiguration("\(path): unknown key\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))")
        }
    }
}
