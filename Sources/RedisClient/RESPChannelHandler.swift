import NIOCore

/// A command on its way out, with the promise its reply completes.
struct RedisRequest {
    var bytes: ByteBuffer
    var promise: EventLoopPromise<RESPValue>
}

/// The connection's pipeline stage: frames replies with `RESPParser` and completes the requests'
/// promises in the order they were written (Redis answers in order, which is what makes
/// pipelining many requests over one connection safe). Pub/sub messages, which arrive without a
/// request, go to `onMessage`. When the connection ends, every unanswered request fails.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private let parser = RESPParser()
    private var received: ByteBuffer?
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let onMessage: (@Sendable (RESPValue) -> Void)?

    init(onMessage: (@Sendable (RESPValue) -> Void)?) {
        self.onMessage = onMessage
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.promise)
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil || received!.readableBytes == 0 {
            received = bytes
        } else {
            received!.writeBuffer(&bytes)
        }
        do {
            while var buffer = received, let value = try parser.next(from: &buffer) {
                received = buffer
                deliver(value)
            }
            received?.discardReadBytes()
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    private func deliver(_ value: RESPValue) {
        if let onMessage, let kind = value.elements?.first?.string, kind == "message" || kind == "pmessage" {
            onMessage(value)
            return
        }
        guard let promise = waiting.popFirst() else { return }   // Nothing asked: a stray reply is dropped.
        promise.succeed(value)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed("the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(RedisError.connectionClosed(String(describing: error)))
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
