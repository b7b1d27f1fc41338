import HTTPTypes
import Hummingbird
import Logging

/// First in every chain: gives the request its id (the client's `X-Request-ID` when sane — 1 to
/// 128 of `A–Z a–z 0–9 . _ : -` — else `req_` and 24 random hex digits), attaches it to the
/// request's logger, echoes it in the response header, and turns every error into the error
/// envelope: `APIError`s as they are, Hummingbird's HTTP errors (unknown route, wrong method) by
/// their status, anything else into a 500 that says nothing internal while the log gets the cause.
public struct EnvelopeMiddleware: RouterMiddleware {
    public typealias Context = APIContext

    public init() {}

    public func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        // `RequestDeadline` has already chosen it when it runs in front.
        let id = context.requestID.isEmpty ? Self.requestID(from: request.headers[Self.requestIDField]) : context.requestID
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response: Response
        do {
            do {
                response = try await next(request, context)
            } catch let error as StoreError {
                if case .missingRow = error { context.logger.error("internal error", metadata: ["error": .string(error.description)]) }
                throw APIError(error)
            }
        } catch let error as APIError {
            response = Envelope.failure(error, requestID: id)
            if let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
            if error.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        } catch let error as HTTPResponseError {
            // A path the API has, asked with a method it does not take, is a 405 naming the
            // methods it does take (RFC 9110 §15.5.6), not a 404.
            let allowed = error.status == .notFound ? Self.allowedMethods(for: request.uri.path) : []
            if !allowed.isEmpty && !allowed.contains(request.method.rawValue) {
                response = Envelope.failure(APIError(.methodNotAllowed, type: "method_not_allowed",
                                                     message: "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))"),
                                            requestID: id)
                response.headers[.allow] = allowed.joined(separator: ", ")
            } else {
                response = Envelope.failure(Self.translate(error.status), requestID: id)
                if error.status == .methodNotAllowed, !allowed.isEmpty { response.headers[.allow] = allowed.joined(separator: ", ") }
            }
        } catch where ClientFault.isClientsDoing(error) {
            context.logger.info("request aborted by the client", metadata: ["error": .string("\(error)"), "path": .string(request.uri.path)])
            response = Envelope.failure(ClientFault.aborted, requestID: id)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": .string(String(reflecting: error)), "path": .string(request.uri.path)])
            response = Envelope.failure(.internalError, requestID: id)
        }
        response.headers[Self.requestIDField] = id
        return response
    }

    public static let requestIDField = HTTPField.Name("X-Request-ID")!

    /// The client's id when sane, else a new one.
    static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.count),
           header.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || ".-_:".unicodeScalars.contains($0) }) {
            return header
        }
        var generator = SystemRandomNumberGenerator()
        return "req_" + (0..<3).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &generator)) }.joined()
    }

    /// The methods the API documents for `path` (upper-case, sorted), matching `{param}` segments
    /// of the documented paths against any one segment; a trailing slash is ignored.
    static func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods = Set<String>()
        for operation in OpenAPIDocument.operations {
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: true)
            guard template.count == segments.count,
                  zip(template, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { continue }
            methods.insert(operation.method.uppercased())
        }
        return methods.sorted()
    }

    /// Hummingbird's own errors in the envelope's words.
    static func translate(_ status: HTTPResponse.Status) -> APIError {
        switch status {
        case .notFound: return .notFound("No such route")
        case .methodNotAllowed: return APIError(status, type: "method_not_allowed", message: "Method not allowed on this route")
        case .badRequest: return APIError(status, type: "validation_error", message: "Bad request")
        case .contentTooLarge: return APIError(status, type: "payload_too_large", message: "Request body too large")
        default:
            return status.code >= 500 ? .internalError : APIError(status, type: "http_error", message: status.reasonPhrase)
        }
    }
}
