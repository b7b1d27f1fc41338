import Agents
import Foundation

/// The one shape of a training job's `metrics`, running or finished, and of each `training_metrics`
/// row: snake_case names whose values are numbers or null — never "nan" strings — and no server
/// paths.
///
///     {"epoch": 3, "loss": 0.012, "mean_reward": 0.4, "episode_return": 12.5, "epsilon": 0.05,
///      "entropy": null, "valid_total_return": 0.031, "valid_sharpe": 1.2, "valid_max_drawdown": -0.08,
///      "steps_per_second": 9120, "test": null}
///
/// While a job runs, `test` is null; when it completes, the last epoch's figures stay and `test`
/// holds the held-out run: `{"dataset_id", "split": "test", "epoch" (the weights tested),
/// "episode": {...}, "backtest": {"total_return", "sharpe", "max_drawdown", …}, "extras": {...}}`.
enum TrainingMetricsJSON {
    /// One epoch's figures, `test` null.
    static func epoch(_ metrics: EpochMetrics) -> JSONValue {
        guard case .object(var fields) = encoded(metrics) else { return .object(["test": .null]) }
        fields["test"] = .null
        return .object(fields)
    }

    /// The last epoch's figures with the test run added.
    static func finished(lastEpoch: JSONValue?, report: TestReport, datasetID: Int?) -> JSONValue {
        var fields = lastEpoch?.objectValue ?? [:]
        var test: [String: JSONValue] = ["dataset_id": datasetID.map { .int(Int64($0)) } ?? .null, "split": .string("test"),
                                         "epoch": report.epoch.map { .int(Int64($0)) } ?? .null]
        test["episode"] = encoded(report.episode)
        test["backtest"] = encoded(report.backtest)
        test["extras"] = encoded(report.extras)
        fields["test"] = .object(test)
        return .object(fields)
    }

    /// `value` as JSON with snake_case keys and non-finite numbers as null.
    static func encoded<T: Encodable>(_ value: T) -> JSONValue {
        let encoder = JSONEncoder()
        // Non-finite numbers go through as marker strings and come back as null below.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: marker, negativeInfinity: marker, nan: marker)
        guard let data = try? encoder.encode(value), let parsed = try? JSONValue.parse(bytes: Array(data)) else { return .null }
        return cleaned(parsed)
    }

    static let marker = "\u{1}non-finite\u{1}"

    static func cleaned(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(marker): return .null
        case .double(let d) where !d.isFinite: return .null
        case .array(let items): return .array(items.map(cleaned))
        case .object(let members):
            return .object(Dictionary(uniqueKeysWithValues: members.map { (snakeCase($0.key), cleaned($0.value)) }))
        default: return value
        }
    }

    /// `maxDrawdownDuration` → `max_drawdown_duration`; names already in snake_case stay.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase {
                if !out.isEmpty && out.last != "_" { out.append("_") }
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}
