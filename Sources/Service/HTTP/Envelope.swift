import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The seed's response envelopes, byte for byte in their field names:
/// success `{success, data, message, code, timestamp, request_id}` and error
/// `{success: false, error: {code, message, type, details: [{field, message}]}, timestamp, request_id}`;
/// `timestamp` is Unix seconds.
public enum Envelope {
    struct Success<T: Encodable>: Encodable {
        let success = true
        let data: T
        let message: String
        let code: Int
        let timestamp: Int
        let requestID: String
    }

    struct Failure: Encodable {
        struct Body: Encodable {
            let code: Int
            let message: String
            let type: String
            let details: [APIError.Detail]
        }
        let success = false
        let error: Body
        let timestamp: Int
        let requestID: String

        init(_ error: APIError, requestID: String) {
            self.error = Body(code: error.status.code, message: error.message, type: error.type, details: error.details)
            timestamp = Envelope.now
            self.requestID = requestID
        }
    }

    /// The one encoder of every response body.
    static let encoder = StreamingJSONEncoder()

    static var now: Int { Int(Date().timeIntervalSince1970) }

    /// A success response with `data`.
    public static func success<T: Encodable>(_ data: T, status: HTTPResponse.Status = .ok, message: String = "Success", context: APIContext) throws -> Response {
        try json(Success(data: data, message: message, code: status.code, timestamp: now, requestID: context.requestID), status: status)
    }

    /// The error envelope for `error`.
    public static func failure(_ error: APIError, requestID: String) -> Response {
        // Encoding these plain fields cannot fail; fall back to a bare status if it ever did.
        (try? json(Failure(error, requestID: requestID), status: error.status)) ?? Response(status: error.status)
    }

    /// The error envelope's bytes, for answers written below the router (a refused request head,
    /// a refused WebSocket upgrade).
    static func failureBytes(_ error: APIError, requestID: String) -> [UInt8] {
        (try? encoder.encode(Failure(error, requestID: requestID))) ?? []
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let bytes = try encoder.encode(value, capacity: 4096)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A page of a list, the seed's `{items, total, page, size, pages}`.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var page: Int
    public var size: Int
    public var pages: Int

    public init(items: [Item], total: Int, page: Int, size: Int) {
        self.items = items
        self.total = total
        self.page = page
        self.size = size
        pages = size > 0 ? (total + size - 1) / size : 0
    }
}

extension Page: Encodable where Item: Encodable {}
