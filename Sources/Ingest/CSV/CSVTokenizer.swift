#if canImport(Glibc)
import Glibc
#endif

/// One field of the current record: a byte range of the reader's buffer.
public struct CSVField {
    /// The field's bytes (quotes removed; doubled quotes inside still doubled when `hasEscapes`).
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Whether the field was quoted and contains `""` escapes that `string` undoes.
    public let hasEscapes: Bool

    /// Whether the field is empty.
    public var isEmpty: Bool { bytes.isEmpty }

    /// The field as a String, or nil when its bytes are not valid UTF-8.
    public var string: String? {
        var text = String(validating: bytes, as: UTF8.self)
        if hasEscapes { text = text?.replacingOccurrences(of: "\"\"", with: "\"") }
        return text
    }

    /// The field for messages: decoded, or its bytes in hex when not UTF-8, at most 60 characters;
    /// a NUL byte shows as `<NUL>` (the messages reach PostgreSQL, whose text cannot hold one).
    public var display: String {
        if var s = string {
            if s.utf8.contains(0) { s = s.replacingOccurrences(of: "\u{0}", with: "<NUL>") }
            return s.count > 60 ? String(s.prefix(57)) + "..." : s
        }
        return "<non-UTF-8 bytes " + bytes.prefix(16).map { String($0, radix: 16) }.joined(separator: " ") + ">"
    }
}

/// The fields of the current record, valid until the tokenizer reads the next one.
public struct CSVRecord: RandomAccessCollection {
    let fields: UnsafeBufferPointer<CSVField>
    public var startIndex: Int { 0 }
    public var endIndex: Int { fields.count }
    public subscript(position: Int) -> CSVField { fields[position] }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

/// Reads a delimited text file record by record in fixed-size blocks, so memory stays bounded by
/// the block size whatever the file size. Fields are byte ranges into the block (no per-field
/// allocation); a record that straddles two blocks is carried into the next one.
///
/// Dialect: RFC 4180 quoting (a field in double quotes may hold delimiters, newlines and `""`),
/// LF or CRLF line ends, a UTF-8 byte-order mark skipped. Line numbers count physical lines from 1.
public final class CSVTokenizer {
    public let path: String
    public let delimiter: UInt8
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var atEOF = false
    // Fields of the current record, in a buffer reused for every record (grown when a record has
    // more fields than ever before).
    private var fields: UnsafeMutablePointer<CSVField>
    private var fieldCapacity = 64
    /// Physical line on which the current record starts.
    public private(set) var line = 0
    private var nextLine = 1
    /// Bytes consumed so far (for progress).
    public private(set) var bytesRead = 0
    private var firstBlock = true

    /// Opens `path`; `blockSize` bounds the memory used (a single record must fit in it).
    public init(path: String, delimiter: UInt8, blockSize: Int = 1 << 22) throws {
        self.path = path
        self.delimiter = delimiter
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError.notFound(path) }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(blockSize, 1024), alignment: 64)
        fields = .allocate(capacity: fieldCapacity)
    }

    deinit {
        close(fd)
        buffer.deallocate()
        fields.deallocate()
    }

    /// Refills the buffer, keeping the unconsumed tail; returns false at end of file.
    private func refill() throws -> Bool {
        if atEOF { return false }
        let tail = end - start
        if tail == buffer.count {
            throw IngestError.invalidInput("\(path):\(nextLine): a record is longer than the \(buffer.count)-byte read block (an unclosed quote?)")
        }
        if tail > 0 && start > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: tail) }
        start = 0
        end = tail
        let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
        guard n >= 0 else { throw IngestError.invalidInput("\(path): read failed: \(String(cString: strerror(errno)))") }
        if n == 0 { atEOF = true; return tail > 0 }
        end += n
        bytesRead += n
        if firstBlock {
            firstBlock = false
            let b = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if end >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { start = 3 }
            if end >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)) {
                throw IngestError.invalidInput("\(path): UTF-16 text is not supported; save the file as UTF-8")
            }
        }
        return true
    }

    /// Parses the next record; nil at end of file. The returned fields are valid until the next call.
    public func next() throws -> CSVRecord? {
        while true {
            if let record = try parseRecord(final: atEOF) { return record }
            if !(try refill()) { return nil }
        }
    }

    /// Parses one record from `start` if it is complete in the buffer (or `final`, at end of file).
    private func parseRecord(final: Bool) throws -> CSVRecord? {
        let b = UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        var i = start
        let end = self.end
        if i >= end { return nil }
        var count = 0
        func append(_ field: CSVField) {
            if count == fieldCapacity {
                let grown = UnsafeMutablePointer<CSVField>.allocate(capacity: fieldCapacity * 2)
                grown.moveInitialize(from: fields, count: count)
                fields.deallocate()
                fields = grown
                fieldCapacity *= 2
            }
            (fields + count).initialize(to: field)
            count += 1
        }
        var lines = 0
        let quote: UInt8 = 0x22, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, d = delimiter
        while true {
            // One field starting at i.
            if i < end && b[i] == quote {
                var j = i + 1
                var escapes = false
                while true {
                    guard j < end else {
                        if final { throw IngestError.invalidInput("\(path):\(nextLine): unclosed quote at end of file") }
                        return nil
                    }
                    if b[j] == quote {
                        if j + 1 < end && b[j + 1] == quote { escapes = true; j += 2; continue }
                        if j + 1 >= end && !final { return nil }
                        break
                    }
                    if b[j] == lf { lines += 1 }
                    j += 1
                }
                append(CSVField(bytes: UnsafeBufferPointer(start: b + i + 1, count: j - i - 1), hasEscapes: escapes))
                i = j + 1
                // After the closing quote: a delimiter, a line end, or end of data.
                if i < end && b[i] != d && b[i] != lf && b[i] != cr {
                    throw IngestError.invalidInput("\(path):\(nextLine + lines): unexpected character after a closing quote in field \(count)")
                }
            } else {
                var j = i
                while j < end && b[j] != d && b[j] != lf { j += 1 }
                if j == end && !final { return nil }
                var fieldEnd = j
                if fieldEnd > i && b[fieldEnd - 1] == cr && (j == end || b[j] == lf) { fieldEnd -= 1 }
                append(CSVField(bytes: UnsafeBufferPointer(start: b + i, count: fieldEnd - i), hasEscapes: false))
                i = j
            }
            if i < end && b[i] == d { i += 1; continue }
            if i < end && b[i] == cr { i += 1 }
            if i < end && b[i] == lf { i += 1; lines += 1 } else if i < end { continue }
            break
        }
        start = i
        line = nextLine
        nextLine += max(lines, 1)
        return CSVRecord(fields: UnsafeBufferPointer(start: fields, count: count))
    }
}
