import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The answers of refused WebSocket upgrades, by connection. hummingbird-websocket answers every
/// refused upgrade with an empty 400; a client that sent no token or a bad one should get the
/// router's own answer, a 401 in the error envelope. `UpgradeRefusalRecorder` keeps that answer
/// here and `UpgradeRefusalWriter` puts it in the place of the empty 400.
final class UpgradeRefusals: Sendable {
    /// One refused upgrade's answer.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var requestID: String
        var body: [UInt8]
    }

    private let answers = Mutex<[ObjectIdentifier: Answer]>([:])

    func record(_ answer: Answer, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        answers.withLock { $0[key] = answer }
        // A connection that closes before its answer is written leaves nothing behind.
        channel.closeFuture.whenComplete { [self] _ in _ = answers.withLock { $0.removeValue(forKey: key) } }
    }

    func take(for channel: any Channel) -> Answer? {
        answers.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { answers.withLock { $0.count } }
}

/// On the WebSocket router, inside the envelope middleware: an `APIError` that refuses the
/// upgrade is recorded for its connection before it goes on.
struct UpgradeRefusalRecorder: RouterMiddleware {
    typealias Context = APIContext
    let refusals: UpgradeRefusals

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            if let channel = context.channel {
                refusals.record(.init(status: error.status, requestID: context.requestID,
                                      body: Envelope.failureBytes(error, requestID: context.requestID)), for: channel)
            }
            throw error
        }
    }
}

/// On the HTTP pipeline, after the HTTP codec: replaces the empty 400 of a refused upgrade by the
/// answer recorded for this connection. Any other response passes unchanged.
final class UpgradeRefusalWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let refusals: UpgradeRefusals

    init(refusals: UpgradeRefusals) {
        self.refusals = refusals
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(let head) = unwrapOutboundIn(data), head.status == .badRequest, let answer = refusals.take(for: context.channel) else {
            context.write(data, promise: promise)
            return
        }
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(answer.body.count)
        fields[.connection] = "close"
        fields[EnvelopeMiddleware.requestIDField] = answer.requestID
        if answer.status == .unauthorized { fields[.wwwAuthenticate] = "Bearer" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: answer.body))), promise: promise)
    }
}
