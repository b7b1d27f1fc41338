import Foundation
import Testing

/// What `qf sweep --json` printed (after any progress lines): its rows and overfitting statistics.
enum SweepOutput {
    static func document(_ output: String) throws -> [String: Any] {
        guard let start = output.range(of: "\n{")?.lowerBound ?? (output.hasPrefix("{") ? output.startIndex : nil) else { return [:] }
        return try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any] ?? [:]
    }

    static func rows(_ output: String) throws -> [[String: Any]] { try document(output)["rows"] as? [[String: Any]] ?? [] }

    /// The overfitting statistics of a distributed sweep (merged from its shards) equal a local one's.
    static func expectSameOverfitting(remote: String, local: String) throws {
        func figure(_ output: String, _ part: String, _ key: String) throws -> Double {
            ((try document(output)["overfitting"] as? [String: Any])?[part] as? [String: Any])?[key] as? Double ?? .nan
        }
        for (part, key) in [("deflated_sharpe", "probability"), ("deflated_sharpe", "expected_maximum"), ("probability_of_backtest_overfitting", "probability"),
                            ("probability_of_backtest_overfitting", "median_logit")] {
            let a = try figure(remote, part, key), b = try figure(local, part, key)
            #expect(!a.isNaN && abs(a - b) <= 1e-9 * max(1, abs(b)), "\(part).\(key): distributed \(a), local \(b)")
        }
    }
}
