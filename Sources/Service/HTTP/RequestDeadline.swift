import Dispatch
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Bounds how long a request may stall: the router (every middleware and route) runs in a task of
/// its own, and a request that goes `HTTPLimits.handlerTimeout` without progress is answered 503
/// `request_stalled` with `Retry-After` while that task is left to end whenever it can. Progress is
/// a chunk of the request's body read by its handler, so an upload is never cut while its bytes
/// arrive (a body that stops arriving is the idle timeout's business); after the body, the
/// handler has the whole limit to answer. `/healthz` and the OpenAPI document, answered from
/// memory, skip it (`DatabaseGateMiddleware.answeredFromMemory`): the deadline's task costs
/// ~10 µs, a sixth of a `/healthz` answer under load, and is not measurable on a route that queries.
///
/// Why: PostgresNIO can lose a statement whose connection dies as it is sent, and such a statement
/// never answers, not even when cancelled (see `StallDeadline`). A request waiting on it would
/// hang its client for ever, and a test waiting on it would hang the test run. The stalled task's
/// work may still finish later: a `POST` retried with its `Idempotency-Key` meets it (a 409 while
/// it runs, its first answer after).
///
/// The answer is written here, outside the router's middlewares, so it carries by itself what they
/// would have added: the error envelope, the request id (chosen here and handed to the envelope
/// middleware in the context), CORS headers and a metrics sample under the route `stalled`.
/// It runs on any clock: a test's own clock makes its timing exact.
struct RequestDeadline<Builder: HTTPResponderBuilder, C: Clock>: HTTPResponderBuilder
where Builder.Responder.Context == APIContext, C.Duration == Duration {
    let inner: Builder
    let limit: Duration
    let clock: C
    let cors: CORSPolicy
    let metrics: APIMetrics

    func buildResponder() -> RequestDeadlineResponder<Builder.Responder, C> {
        RequestDeadlineResponder(inner: inner.buildResponder(), watch: StallWatch(limit: limit, clock: clock), cors: cors, metrics: metrics)
    }
}

/// `RequestDeadline`'s responder.
struct RequestDeadlineResponder<Inner: HTTPResponder, C: Clock>: HTTPResponder where Inner.Context == APIContext, C.Duration == Duration {
    typealias Context = APIContext
    let inner: Inner
    let watch: StallWatch<C>
    let cors: CORSPolicy
    let metrics: APIMetrics

    static var stalled: APIError {
        APIError(.serviceUnavailable, type: "request_stalled",
                 message: "The request made no progress for too long (most likely the database did not answer) and was given up on; retry shortly",
                 retryAfterSeconds: DatabaseAvailability.retryAfterSeconds)
    }

    @Sendable func respond(to request: Request, context: APIContext) async throws -> Response {
        guard !DatabaseGateMiddleware.answeredFromMemory.contains(request.uri.path) else { return try await inner.respond(to: request, context: context) }
        let start = DispatchTime.now().uptimeNanoseconds
        var forwarded = request, context = context
        let id = EnvelopeMiddleware.requestID(from: request.headers[EnvelopeMiddleware.requestIDField])
        context.requestID = id
        let progress = watch.progress()
        // Set through `body`, the request keeps its original body for the server to drain.
        forwarded.body = HummingbirdCore.RequestBody(asyncSequence: ProgressNotingBody(base: request.body, progress: progress))
        let handled = forwarded, handlerContext = context, inner = self.inner
        do {
            return try await watch.run(progress: progress) { try await inner.respond(to: handled, context: handlerContext) }
        } catch is StallDeadline.Exceeded {
            context.logger.error("request stalled; answered 503 and left its handler behind", metadata: [
                "request_id": .string(id), "method": .string(request.method.rawValue), "path": .string(request.uri.path), "limit": .string("\(watch.limit)"),
            ])
            let error = Self.stalled
            var response = Envelope.failure(error, requestID: id)
            response.headers[.retryAfter] = error.retryAfterSeconds.map(String.init)
            response.headers[EnvelopeMiddleware.requestIDField] = id
            CORSMiddleware.decorate(&response, for: request, policy: cors)
            metrics.record(method: request.method.rawValue, route: "stalled", status: response.status.code,
                           nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            return response
        }
    }
}

/// A request body that notes progress each time its reader gets a chunk.
struct ProgressNotingBody<C: Clock>: AsyncSequence, Sendable where C.Duration == Duration {
    typealias Element = ByteBuffer
    let base: HummingbirdCore.RequestBody
    let progress: StallDeadline.Progress<C>

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), progress: progress)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: HummingbirdCore.RequestBody.AsyncIterator
        let progress: StallDeadline.Progress<C>

        mutating func next() async throws -> ByteBuffer? {
            let chunk = try await base.next()
            progress.note()
            return chunk
        }
    }
}
