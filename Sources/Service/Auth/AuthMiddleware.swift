import Hummingbird

/// Guards a route group: the request needs `Authorization: Bearer <access token>` whose
/// signature, expiry and session all hold; the user lands in `context.user` and in the log
/// metadata. Anything else is a 401 in the error envelope. With `queryToken`, the token may come
/// as `?token=` instead — for what a browser opens from a link (an HTML report), as the
/// WebSocket allows.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = APIContext
    let auth: AuthService
    let queryToken: Bool

    public init(auth: AuthService, queryToken: Bool = false) {
        self.auth = auth
        self.queryToken = queryToken
    }

    public func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let fromQuery = queryToken ? request.uri.queryParameters["token"].map(String.init).flatMap { $0.isEmpty ? nil : $0 } : nil
        guard let token = Self.bearerToken(request) ?? fromQuery else { throw APIError.unauthorized("Missing bearer token") }
        var context = context
        let user = try await auth.authenticate(accessToken: token, logger: context.logger)
        context.user = user
        context.logger[metadataKey: "user_id"] = .stringConvertible(user.id)
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
    public static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
