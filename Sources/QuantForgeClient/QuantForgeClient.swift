import Foundation
import HTTPTypes
import OpenAPIRuntime
import OpenAPIURLSession
import Synchronization

/// The bearer token a `Client` signs its requests with: set after logging in, replaced after a
/// refresh. Requests made while it is nil go unsigned (registration, login, health).
public final class BearerToken: ClientMiddleware, Sendable {
    let current = Mutex<String?>(nil)

    public init(_ token: String? = nil) {
        current.withLock { $0 = token }
    }

    /// The token, or nil.
    public var value: String? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    public func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                          next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if let token = value, request.headerFields[.authorization] == nil { request.headerFields[.authorization] = "Bearer \(token)" }
        return try await next(request, body, baseURL)
    }
}

extension Client {
    /// A client of the QuantForge service at `url` (such as `http://127.0.0.1:8080`) over
    /// URLSession, signing requests with `token`; with `throwingRefusals`, any 4xx or 5xx throws an
    /// `APIFailure` with the server's message instead of arriving as the operation's error case.
    public static func quantForge(_ url: URL, token: BearerToken, throwingRefusals: Bool = false) -> Client {
        Client(serverURL: url, transport: URLSessionTransport(), middlewares: throwingRefusals ? [token, ErrorEnvelopeMiddleware()] : [token])
    }
}
