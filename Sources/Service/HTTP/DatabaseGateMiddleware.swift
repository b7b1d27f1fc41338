import Hummingbird

/// Fails fast while the database is away: a request that needs it is answered 503 with
/// `Retry-After` at once when the database is marked down (see `DatabaseAvailability`), and an
/// error saying the database cannot be reached marks it down and becomes that 503 too, never a
/// 500. A request already waiting for a pooled connection when an outage begins waits for the
/// pool (its circuit breaker, about 15 s) before it gets the same 503; requests after it do not
/// wait. The process's own routes (`/healthz`, `/metrics`, the OpenAPI document) do not need the
/// database and are never gated.
struct DatabaseGateMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let availability: DatabaseAvailability

    static let ungated: Set<String> = ["/healthz", "/metrics", "/api/v1/openapi.json"]

    static var unavailable: APIError {
        APIError(.serviceUnavailable, type: "database_unavailable", message: "The database is not answering; retry shortly",
                 retryAfterSeconds: DatabaseAvailability.retryAfterSeconds)
    }

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard !Self.ungated.contains(request.uri.path) else { return try await next(request, context) }
        guard !availability.isDown else { throw Self.unavailable }
        do {
            return try await next(request, context)
        } catch let error where DatabaseAvailability.isUnreachable(error) {
            availability.markDown()
            context.logger.warning("database unreachable", metadata: ["error": .string(String(reflecting: error))])
            throw Self.unavailable
        }
    }
}
