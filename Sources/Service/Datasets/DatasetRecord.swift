import Foundation
import PostgresNIO

/// A `datasets` row as the API shows it.
public struct DatasetRecord: Encodable, Sendable {
    public var id: Int
    public var name: String
    public var description: String?
    public var filePath: String
    public var fileSize: Int64?
    public var fileType: String?
    public var rowCount: Int?
    public var columnCount: Int?
    public var columns: JSONValue
    public var status: DatasetStatus
    public var errorMessage: String?
    public var statistics: JSONValue
    public var sampleData: JSONValue
    public var ownerID: Int?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var processedAt: Date?

    static let columnsSQL = """
        d.id, d.name, d.description, d.file_path, d.file_size, d.file_type, d.row_count, d.column_count, coalesce(d.columns, 'null')::text,
        coalesce(d.status::text, 'uploading'), d.error_message, coalesce(d.statistics, 'null')::text, coalesce(d.sample_data, 'null')::text,
        d.owner_id, d.created_at, d.updated_at, d.processed_at
        """

    init(row: PostgresRow) throws {
        var cells = RowCells(row)
        id = try cells.next(Int.self)
        name = try cells.next(String.self)
        description = try cells.next(String?.self)
        filePath = try cells.next(String.self)
        fileSize = try cells.next(Int64?.self)
        fileType = try cells.next(String?.self)
        rowCount = try cells.next(Int?.self)
        columnCount = try cells.next(Int?.self)
        columns = try JSONValue.parse(try cells.next(String.self))
        status = try .decoding(try cells.next(String.self), column: "datasets.status")
        errorMessage = try cells.next(String?.self)
        statistics = try JSONValue.parse(try cells.next(String.self))
        sampleData = try JSONValue.parse(try cells.next(String.self))
        ownerID = try cells.next(Int?.self)
        createdAt = try cells.next(Date?.self)
        updatedAt = try cells.next(Date?.self)
        processedAt = try cells.next(Date?.self)
    }

    static func all(_ rows: PostgresRowSequence) async throws -> [DatasetRecord] {
        var records: [DatasetRecord] = []
        for try await row in rows { records.append(try DatasetRecord(row: row)) }
        return records
    }

    enum CodingKeys: CodingKey {
        case id, name, description, fileSize, fileType, rowCount, columnCount, columns, status, errorMessage, statistics, sampleData
        case ownerID, createdAt, updatedAt, processedAt
    }

    /// The detail form: everything but the server's file path.
    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, detail: true)
    }

    func encode(to encoder: any Encoder, detail: Bool) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(fileSize, forKey: .fileSize)
        try c.encodeIfPresent(fileType, forKey: .fileType)
        try c.encodeIfPresent(rowCount, forKey: .rowCount)
        try c.encodeIfPresent(columnCount, forKey: .columnCount)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(errorMessage, forKey: .errorMessage)
        if detail {
            try c.encode(columns, forKey: .columns)
            try c.encode(statistics, forKey: .statistics)
            try c.encode(sampleData, forKey: .sampleData)
        }
        try c.encodeIfPresent(ownerID, forKey: .ownerID)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(processedAt, forKey: .processedAt)
    }

    /// The list form: without the bulky columns, statistics and sample.
    public struct Summary: Encodable, Sendable {
        let record: DatasetRecord
        public func encode(to encoder: any Encoder) throws { try record.encode(to: encoder, detail: false) }
    }
}
