import Foundation

/// What the first lines of a file say about its format: the delimiter and whether the first row
/// is a header.
public struct CSVDialect: Sendable, Equatable {
    public var delimiter: UInt8
    public var hasHeader: Bool

    /// Delimiters tried, in order of preference on ties.
    static let candidates: [UInt8] = [0x2C, 0x3B, 0x09]  // , ; tab

    /// Looks at up to 64 KiB from the start of `path`: the delimiter is the candidate that splits
    /// the most lines into the same number (> 1) of fields outside quotes; the first row is a header
    /// when some field of it is text while the same field of the second row is a number or a date,
    /// or when none of its fields is a number or a date.
    public static func sniff(path: String, delimiter forced: UInt8? = nil) throws -> CSVDialect {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw IngestError.notFound(path) }
        defer { try? handle.close() }
        var sample = [UInt8](try handle.read(upToCount: 1 << 16) ?? Data())
        if sample.starts(with: [0xEF, 0xBB, 0xBF]) { sample.removeFirst(3) }
        guard sample.contains(where: { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 }) else {
            throw IngestError.invalidInput("\(path): the file is empty")
        }
        if sample.starts(with: [0xFF, 0xFE]) || sample.starts(with: [0xFE, 0xFF]) {
            throw IngestError.invalidInput("\(path): UTF-16 text is not supported; save the file as UTF-8")
        }
        let delimiter = forced ?? bestDelimiter(sample)
        let rows = splitRows(sample, delimiter: delimiter, limit: 2)
        return CSVDialect(delimiter: delimiter, hasHeader: looksLikeHeader(rows))
    }

    static func bestDelimiter(_ sample: [UInt8]) -> UInt8 {
        var best = candidates[0], bestScore = -1
        for d in candidates {
            let counts = splitRows(sample, delimiter: d, limit: 30).dropLast().map(\.count)
            guard let first = counts.first, first > 1 else { continue }
            let score = counts.filter { $0 == first }.count * 1000 + first
            if score > bestScore { best = d; bestScore = score }
        }
        return best
    }

    /// Splits the first `limit` complete lines into fields (quotes honoured, not unescaped).
    static func splitRows(_ sample: [UInt8], delimiter: UInt8, limit: Int) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field: [UInt8] = []
        var quoted = false, i = 0
        while i < sample.count && rows.count < limit {
            let c = sample[i]
            if quoted {
                if c == 0x22 { if i + 1 < sample.count && sample[i + 1] == 0x22 { field.append(c); i += 1 } else { quoted = false } } else { field.append(c) }
            } else if c == 0x22 {
                quoted = true
            } else if c == delimiter {
                row.append(String(decoding: field, as: UTF8.self)); field = []
            } else if c == 0x0A {
                row.append(String(decoding: field, as: UTF8.self).trimmingCharacters(in: ["\r"])); field = []
                rows.append(row); row = []
            } else {
                field.append(c)
            }
            i += 1
        }
        if rows.count < limit && (!row.isEmpty || !field.isEmpty) { row.append(String(decoding: field, as: UTF8.self)); rows.append(row) }
        return rows
    }

    static func isValue(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { NumberParser.double($0) != nil || TimestampParser.isDateEitherWay($0) }
    }

    static func looksLikeHeader(_ rows: [[String]]) -> Bool {
        guard let first = rows.first else { return false }
        let textFields = first.map { !$0.isEmpty && !isValue($0) }
        if !first.contains(where: { isValue($0) }) { return true }
        guard rows.count > 1 else { return false }
        let second = rows[1]
        for (k, isText) in textFields.enumerated() where isText && k < second.count && isValue(second[k]) { return true }
        return false
    }
}
