import HTTPTypes
import Hummingbird

/// Which browser origins may call the API (`QF_CORS_ORIGINS`: a comma-separated list of origins
/// such as `https://research.example.com`, or `*` for any). Unset, the API sends no CORS headers
/// and browsers keep to same-origin use. The API authenticates with bearer tokens, never
/// cookies, so credentials are never allowed.
public struct CORSPolicy: Sendable, Equatable {
    public var origins: [String]
    public var allowsAnyOrigin: Bool

    public static let sameOriginOnly = CORSPolicy(origins: [], allowsAnyOrigin: false)

    public init(origins: [String], allowsAnyOrigin: Bool) {
        self.origins = origins
        self.allowsAnyOrigin = allowsAnyOrigin
    }

    public var isEnabled: Bool { allowsAnyOrigin || !origins.isEmpty }

    /// An error naming the variable and the entry it could not read.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func resolve(environment: [String: String]) throws -> CORSPolicy {
        guard let text = environment["QF_CORS_ORIGINS"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return .sameOriginOnly }
        if text == "*" { return CORSPolicy(origins: [], allowsAnyOrigin: true) }
        var origins: [String] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            // An origin is scheme://host[:port], nothing after: a path or a trailing slash would
            // never equal the Origin header a browser sends.
            let isOrigin = (entry.hasPrefix("http://") || entry.hasPrefix("https://"))
                && !entry.dropFirst(entry.hasPrefix("https://") ? 8 : 7).contains("/") && entry.count > 8
            guard isOrigin else {
                throw Invalid(description: "QF_CORS_ORIGINS: '\(entry)' is not an origin (scheme://host[:port], no path), or use * for any")
            }
            origins.append(entry.lowercased())
        }
        return CORSPolicy(origins: origins, allowsAnyOrigin: false)
    }

    /// The value of `Access-Control-Allow-Origin` for `origin`, or nil when it is not allowed.
    func allowedOrigin(_ origin: String) -> String? {
        if allowsAnyOrigin { return "*" }
        return origins.contains(origin.lowercased()) ? origin : nil
    }
}

/// Applies a `CORSPolicy`: answers preflights (`OPTIONS` with `Access-Control-Request-Method`)
/// with 204 and the methods the path takes, or 403 in the envelope for an origin not allowed;
/// adds `Access-Control-Allow-Origin` to every answer to an allowed origin, errors included.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let policy: CORSPolicy

    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID, Idempotency-Key"
    static let exposedHeaders = "X-Request-ID, Retry-After, Allow, Location"

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard policy.isEnabled, let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = policy.allowedOrigin(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            let methods = EnvelopeMiddleware.allowedMethods(for: request.uri.path)
            guard !methods.isEmpty else { return try await next(request, context) }
            guard let allowed else {
                var response = Envelope.failure(APIError(.forbidden, type: "cors_origin_not_allowed",
                                                         message: "Origin \(origin) may not call this API (QF_CORS_ORIGINS)"),
                                                requestID: EnvelopeMiddleware.requestID(from: nil))
                response.headers[.vary] = "Origin"
                return response
            }
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = allowed
            headers[.accessControlAllowMethods] = methods.joined(separator: ", ")
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        Self.decorate(&response, origin: allowed, policy: policy)
        return response
    }

    /// Adds the headers every answer to `request` carries under `policy` (also for answers
    /// written outside the router's middlewares, such as `RequestDeadline`'s).
    static func decorate(_ response: inout Response, for request: Request, policy: CORSPolicy) {
        guard policy.isEnabled, let origin = request.headers[.origin] else { return }
        decorate(&response, origin: policy.allowedOrigin(origin), policy: policy)
    }

    private static func decorate(_ response: inout Response, origin allowed: String?, policy: CORSPolicy) {
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.accessControlExposeHeaders] = exposedHeaders
        }
        if !policy.allowsAnyOrigin { response.headers[.vary] = "Origin" }
    }
}
