import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client of the QuantForge REST API for `qf demo`: JSON in and out, the bearer token,
/// multipart upload, and errors that carry the server's status and message.
final class APIClient: @unchecked Sendable {
    let base: String
    var token: String?
    let session: URLSession

    init(base: String) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        session = URLSession(configuration: configuration)
    }

    /// A refused request: its method, path, status and the server's error message.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    func call(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        return try await send(request, method: method, path: path)
    }

    /// `POST /api/v1/data/upload` with the file and fields as multipart/form-data.
    func upload(file path: String, fields: [(String, String)]) async throws -> [String: Any] {
        let boundary = "qf-demo-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        let name = (path as NSString).lastPathComponent
        guard let contents = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(path)") }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: text/csv\r\n\r\n".utf8))
        body.append(contents)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        var request = URLRequest(url: URL(string: base + "/api/v1/data/upload")!)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        return try await send(request, method: "POST", path: "/api/v1/data/upload")
    }

    func send(_ original: URLRequest, method: String, path: String) async throws -> [String: Any] {
        var request = original
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            let error = object["error"] as? [String: Any]
            let details = (error?["details"] as? [[String: Any]] ?? []).map { "\($0["field"] ?? "?"): \($0["message"] ?? "")" }.joined(separator: "; ")
            throw Failure(description: "\(method) \(path): \(status) \(error?["message"] ?? String(decoding: data.prefix(300), as: UTF8.self))" + (details.isEmpty ? "" : " (\(details))"))
        }
        return object["data"] as? [String: Any] ?? object
    }
}
