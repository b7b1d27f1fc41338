import Foundation
import PostgresNIO

/// A `datasets` row as the API shows it.
public struct DatasetRecord: JSONWritable {
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

    /// The detail form: everything but the server's file path.
    public func writeJSON(to w: inout JSONWriter) {
        write(to: &w, detail: true)
    }

    func write(to w: inout JSONWriter, detail: Bool) {
        w.object { w in
            w.key("column_count"); w.int(columnCount)
            if detail { w.key("columns"); columns.writeJSON(to: &w) }
            w.key("created_at"); w.date(createdAt)
            w.key("description"); w.string(description)
            w.key("error_message"); w.string(errorMessage)
            w.key("file_size"); if let fileSize { w.int(fileSize) } else { w.null() }
            w.key("file_type"); w.string(fileType)
            w.key("id"); w.int(id)
            w.key("name"); w.string(name)
            w.key("owner_id"); w.int(ownerID)
            w.key("processed_at"); w.date(processedAt)
            w.key("row_count"); w.int(rowCount)
            if detail {
                w.key("sample_data"); sampleData.writeJSON(to: &w)
                w.key("statistics"); statistics.writeJSON(to: &w)
            }
            w.key("status"); w.string(status.rawValue)
            w.key("updated_at"); w.date(updatedAt)
        }
    }

    /// The list form: without the bulky columns, statistics and sample.
    public struct Summary: JSONWritable {
        let record: DatasetRecord
        public func writeJSON(to w: inout JSONWriter) { record.write(to: &w, detail: false) }
    }
}
