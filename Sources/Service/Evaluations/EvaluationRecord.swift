import Foundation
import PostgresNIO

/// An `evaluations` row as the API shows it: the seed's columns, progress over the shards, and
/// `report_url` (the owner-only HTML report) once there is one. Lists leave `charts` out.
public struct EvaluationRecord: Encodable, Sendable {
    public var id: Int
    public var name: String
    public var evaluationType: String
    public var status: EvaluationStatus
    public var config: JSONValue
    public var rangeStart: Date?
    public var rangeEnd: Date?
    public var results: JSONValue
    public var reportPath: String?
    public var charts: JSONValue?
    public var strategyID: Int?
    public var datasetID: Int?
    public var userID: Int?
    public var progress: Double
    public var shardsTotal: Int
    public var shardsDone: Int
    public var errorMessage: String?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var startedAt: Date?
    public var completedAt: Date?
    var planText: String?

    static func columns(charts: Bool) -> String {
        """
        e.id, e.name, e.evaluation_type::text, coalesce(e.status::text, 'pending'), e.config::text, lower(e.time_range), upper(e.time_range),
        coalesce(e.results, '{}')::text, e.report_path, \(charts ? "coalesce(e.charts, '[]')::text" : "NULL::text"), e.strategy_id, e.dataset_id, e.user_id,
        e.progress, e.shards_total, e.shards_done, e.error_message, e.created_at, e.updated_at, e.started_at, e.completed_at, e.plan::text
        """
    }

    init(row: PostgresRow) throws {
        var cells = RowCells(row)
        id = try cells.next(Int.self); name = try cells.next(String.self); evaluationType = try cells.next(String.self); status = try .decoding(try cells.next(String.self), column: "evaluations.status")
        config = try JSONValue.parse(try cells.next(String.self)); rangeStart = try cells.next(Date?.self); rangeEnd = try cells.next(Date?.self)
        results = try JSONValue.parse(try cells.next(String.self)); reportPath = try cells.next(String?.self)
        charts = try cells.next(String?.self).map { try JSONValue.parse($0) }
        strategyID = try cells.next(Int?.self); datasetID = try cells.next(Int?.self); userID = try cells.next(Int?.self)
        progress = try cells.next(Double.self); shardsTotal = try cells.next(Int.self); shardsDone = try cells.next(Int.self)
        errorMessage = try cells.next(String?.self)
        createdAt = try cells.next(Date?.self); updatedAt = try cells.next(Date?.self); startedAt = try cells.next(Date?.self); completedAt = try cells.next(Date?.self)
        planText = try cells.next(String?.self)
    }

    static func all(_ rows: PostgresRowSequence) async throws -> [EvaluationRecord] {
        var records: [EvaluationRecord] = []
        for try await row in rows { records.append(try EvaluationRecord(row: row)) }
        return records
    }

    func plan() throws -> EvaluationPlan {
        guard let planText else { throw PermanentTaskFailure("evaluation \(id) has no plan") }
        return try EvaluationPlan.decode(planText)
    }

    /// Where the report is served (owner only).
    var reportURL: String? { reportPath == nil ? nil : "/api/v1/evaluations/\(id)/report" }

    enum CodingKeys: CodingKey {
        case id, name, evaluationType, status, config, timeRange, results, reportURL, charts, strategyID, datasetID, userID
        case progress, shardsTotal, shardsDone, errorMessage, createdAt, updatedAt, startedAt, completedAt
    }

    enum TimeRangeKeys: CodingKey {
        case start, end
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(evaluationType, forKey: .evaluationType)
        try c.encode(status, forKey: .status)
        try c.encode(config, forKey: .config)
        var range = c.nestedContainer(keyedBy: TimeRangeKeys.self, forKey: .timeRange)
        try range.encodeIfPresent(rangeStart, forKey: .start)
        try range.encodeIfPresent(rangeEnd, forKey: .end)
        try c.encode(results, forKey: .results)
        try c.encodeIfPresent(reportURL, forKey: .reportURL)
        // Lists leave the charts out (the key too); the detail always has them.
        if let charts { try c.encode(charts, forKey: .charts) }
        try c.encodeIfPresent(strategyID, forKey: .strategyID)
        try c.encodeIfPresent(datasetID, forKey: .datasetID)
        try c.encodeIfPresent(userID, forKey: .userID)
        try c.encode(progress, forKey: .progress)
        try c.encode(shardsTotal, forKey: .shardsTotal)
        try c.encode(shardsDone, forKey: .shardsDone)
        try c.encodeIfPresent(errorMessage, forKey: .errorMessage)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(completedAt, forKey: .completedAt)
    }
}
