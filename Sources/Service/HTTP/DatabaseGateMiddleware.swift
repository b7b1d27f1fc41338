import Hummingbird

/// Fails fast while the database is away: a request that needs it is answered 503 with
/// `Retry-After` at once when the database is marked down (see `DatabaseAvailability`), and an
/// error saying the database cannot be reached marks it down and becomes that 503 too, never a
/// 500. A request still running when an outage begins is cut short the moment the database is
/// marked down: left alone it would wait for the pool's circuit breaker (15 s) before failing
/// the same way. The process's own routes (`/healthz`, `/metrics`, the OpenAPI document) do not
/// need the database and are never gated.
struct DatabaseGateMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let availability: DatabaseAvailability

    /// Answered from memory, never waiting on anything (they also skip `RequestDeadline`).
    static let answeredFromMemory: Set<String> = ["/healthz", "/api/v1/openapi.json"]
    /// Those, and `/metrics`, which queries the pools but must answer during an outage.
    static let ungated = answeredFromMemory.union(["/metrics"])

    static var unavailable: APIError {
        APIError(.serviceUnavailable, type: "database_unavailable", message: "The database is not answering; retry shortly",
                 retryAfterSeconds: DatabaseAvailability.retryAfterSeconds)
    }

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard !Self.ungated.contains(request.uri.path) else { return try await next(request, context) }
        guard !availability.isDown else { throw Self.unavailable }
        do {
            return try await untilOutage { try await next(request, context) }
        } catch let error where DatabaseAvailability.isUnreachable(error) {
            availability.markDown()
            context.logger.warning("database unreachable", metadata: ["error": .string(String(reflecting: error))])
            throw Self.unavailable
        } catch is OutageBegan {
            availability.noteCutShort()
            context.logger.warning("database went away during the request; answered 503")
            throw Self.unavailable
        }
    }

    struct OutageBegan: Error {}

    /// Runs `work` and, beside it, waits for the database to be marked down; whichever ends first
    /// wins, and an outage cancels the work (a lease request PostgresNIO holds is cancellable, a
    /// statement on a connection that died fails by itself) and throws `OutageBegan`.
    func untilOutage(_ work: () async throws -> Response) async throws -> Response {
        try await withoutActuallyEscaping(work) { work in
            // The closure runs in a child task of this structured group, which ends before the
            // group returns, and nothing else touches it meanwhile: it does not outlive its caller.
            let box = UncheckedWork(run: work)
            let availability = self.availability
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await box.run() }
                group.addTask {
                    await availability.untilDown()
                    return nil
                }
                defer { group.cancelAll() }
                // The first to end decides; the other is cancelled (and awaited by the group).
                guard let response = try await group.next()! else { throw OutageBegan() }
                return response
            }
        }
    }
}

/// A non-escaping request closure carried into a child task of a structured group (see
/// `DatabaseGateMiddleware.untilOutage`).
private struct UncheckedWork: @unchecked Sendable {
    let run: () async throws -> Response
}
