import Hummingbird

/// Fails fast while the database is away: a request that needs it is answered 503 with
/// `Retry-After` at once when the database is marked down, and one already running (typically
/// waiting for a pooled connection) is cut short with the same answer the moment it is marked
/// down. An error saying the database cannot be reached marks it down and becomes that 503 too,
/// never a 500. The process's own routes (`/healthz`, `/metrics`, the OpenAPI document) do not
/// need the database and are never gated.
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
        // A WebSocket upgrade hands its connection on from this very task: it is not raced.
        if request.headers[.upgrade] != nil {
            do { return try await next(request, context) } catch let error where DatabaseAvailability.isUnreachable(error) {
                availability.markDown()
                throw Self.unavailable
            }
        }
        do {
            // `next` runs in a child task beside the watcher; the group ends (and cancels the
            // other) before this scope does, so `next` never outlives the call it came with.
            return try await withoutActuallyEscaping(next) { next in
                let handler = UncheckedHandler(run: next)
                return try await withThrowingTaskGroup(of: Response?.self) { group in
                    group.addTask { try await handler.run(request, context) }
                    group.addTask {
                        await availability.waitUntilDown()
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let response = first else { throw Self.unavailable }
                    return response
                }
            }
        } catch let error where DatabaseAvailability.isUnreachable(error) {
            availability.markDown()
            context.logger.warning("database unreachable", metadata: ["error": .string(String(reflecting: error))])
            throw Self.unavailable
        }
    }
}

/// The rest of the middleware chain, handed to a child task that cannot outlive it (see above).
private struct UncheckedHandler: @unchecked Sendable {
    let run: (Request, APIContext) async throws -> Response
}
