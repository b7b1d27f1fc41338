import Foundation
import MultipartKit
import NIOCore

/// The state of one `multipart/form-data` upload as its chunks arrive: the file part's bytes are
/// handed out chunk by chunk (never held whole), text fields are kept (at most 64 KiB each).
/// MultipartKit's parser finds the parts; this sorts them into the file and the fields.
final class MultipartUpload {
    let parser: MultipartParser
    var headers: [String: String] = [:]
    var currentName: String?
    var currentIsFile = false
    /// The file part's file name, once its headers have been read.
    private(set) var filename: String?
    private(set) var fileEnded = false
    /// Bytes of the file part not yet taken by `takeFileBytes()`.
    private var pending: [ByteBuffer] = []
    private(set) var fileBytes = 0
    private(set) var fields: [String: String] = [:]
    private var fieldBuffer: [UInt8] = []
    private(set) var problem: String?

    static let maximumFieldBytes = 64 * 1024

    /// The boundary of a `multipart/form-data; boundary=…` content type.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            let value = String(part.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.isEmpty ? nil : value
        }
        return nil
    }

    init(boundary: String) {
        parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in headers[name.lowercased()] = value }
        parser.onBody = { [unowned self] buffer in body(&buffer) }
        parser.onPartComplete = { [unowned self] in partComplete() }
    }

    func feed(_ chunk: ByteBuffer) throws {
        try parser.execute(chunk)
    }

    /// `name` and `filename` of a `Content-Disposition: form-data; name="…"; filename="…"`.
    static func disposition(_ value: String) -> (name: String?, filename: String?) {
        var name: String?, filename: String?
        for part in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            let text = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            switch pair[0].lowercased() {
            case "name": name = text
            case "filename": filename = text
            default: break
            }
        }
        return (name, filename)
    }

    private func startPartIfNeeded() {
        guard currentName == nil else { return }
        let (name, file) = Self.disposition(headers["content-disposition"] ?? "")
        currentName = name ?? ""
        if name == "file" {
            if filename != nil { problem = "only one file per upload" }
            currentIsFile = true
            filename = file ?? ""
        }
    }

    private func body(_ buffer: inout ByteBuffer) {
        startPartIfNeeded()
        if currentIsFile {
            fileBytes += buffer.readableBytes
            pending.append(buffer)
        } else if fieldBuffer.count + buffer.readableBytes <= Self.maximumFieldBytes {
            fieldBuffer.append(contentsOf: buffer.readableBytesView)
        } else {
            problem = "field '\(currentName ?? "")' is longer than \(Self.maximumFieldBytes) bytes"
        }
    }

    private func partComplete() {
        startPartIfNeeded()
        if currentIsFile { fileEnded = true } else if let name = currentName, !name.isEmpty {
            fields[name] = String(decoding: fieldBuffer, as: UTF8.self)
        }
        headers = [:]
        currentName = nil
        currentIsFile = false
        fieldBuffer = []
    }

    /// The file bytes received since the last call.
    func takeFileBytes() -> [ByteBuffer] {
        defer { pending = [] }
        return pending
    }
}
