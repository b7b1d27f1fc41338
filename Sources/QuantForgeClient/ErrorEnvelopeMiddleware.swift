import Foundation
import HTTPTypes
import OpenAPIRuntime

/// A refused request as the server explained it: the operation, the status, the error envelope's
/// message and each `details` entry (`field: message`).
public struct APIFailure: Error, CustomStringConvertible, Sendable {
    public var operationID: String
    public var status: Int
    public var message: String
    public var details: [String]

    public var description: String {
        "\(operationID): \(status) \(message)" + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
    }
}

/// Turns every 4xx and 5xx into an `APIFailure` carrying the server's own words, for callers that
/// treat any refusal as the end (a script, the demo) rather than switching over each operation's
/// documented error cases.
public struct ErrorEnvelopeMiddleware: ClientMiddleware {
    public init() {}

    public func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                          next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        guard response.status.code >= 400 else { return (response, responseBody) }
        var bytes: [UInt8] = []
        if let responseBody { bytes = try await [UInt8](collecting: responseBody, upTo: 1 << 20) }
        let envelope = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        let error = envelope?["error"] as? [String: Any]
        let details = (error?["details"] as? [[String: Any]] ?? []).map { "\($0["field"] ?? "?"): \($0["message"] ?? "")" }
        throw APIFailure(operationID: operationID, status: response.status.code,
                         message: error?["message"] as? String ?? String(decoding: bytes.prefix(300), as: UTF8.self), details: details)
    }
}
