import Agents
import Foundation

/// A search's state, kept as its parent job's `metrics`: the rungs, where it stands, and each
/// trial's values, child jobs (one per seed), status and scores — the leaderboard, best first once
/// the search is done, when `best` holds the winner and the config to train with.
struct SearchState: Codable, Sendable, Equatable {
    struct Trial: Codable, Sendable, Equatable {
        var trial: Int
        var values: [String: HyperparameterValue]
        /// The child training jobs, one per seed.
        var jobIDs: [Int]
        /// running, stopped (successive halving ended it at a rung: a normal end), completed, failed.
        var status: String
        /// Epochs its seeds trained, as of the last rung decided.
        var epochs: Int
        /// Each seed's best value of the metric so far (nil: none).
        var scores: [Double?]
        var statistics: SeedStatistics?

        enum CodingKeys: String, CodingKey {
            case trial, values, status, epochs, scores, statistics
            case jobIDs = "job_ids"
        }
    }

    struct Best: Codable, Sendable, Equatable {
        var trial: Int
        var values: [String: HyperparameterValue]
        /// A job config (`qf train --config`) with the winner's values.
        var config: TrainingJobConfiguration
    }

    var metric: String
    var rungs: [Int]
    /// Index into `rungs` of the rung being trained.
    var rung: Int
    /// η (nil: no successive halving).
    var reduction: Int?
    var seeds: Int
    var trialsTotal: Int
    /// Trials that have ended (stopped, completed or failed): the parent's progress.
    var trialsDone: Int
    var epochsTrained: Int
    var epochsIfFull: Int
    var trials: [Trial]
    var best: Best?

    enum CodingKeys: String, CodingKey {
        case metric, rungs, rung, reduction, seeds, trials, best
        case trialsTotal = "trials_total"
        case trialsDone = "trials_done"
        case epochsTrained = "epochs_trained"
        case epochsIfFull = "epochs_if_full"
    }

    var json: JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? JSONValue.parse(String(decoding: encoder.encode(self), as: UTF8.self))) ?? .object([:])
    }

    static func decode(_ value: JSONValue) throws -> SearchState {
        try JSONDecoder().decode(SearchState.self, from: Data(value.jsonText.utf8))
    }
}
