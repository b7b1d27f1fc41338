import Foundation
import Logging
import NIOCore

/// The first handler on every connection. It reads request heads as raw bytes, before NIO's HTTP
/// parser, and answers what that parser would only drop without a word: a request line over the
/// limit with 414, a header block over it with 431, a head that does not arrive in time with 408 —
/// each in the error envelope, then the connection is closed and nothing reaches the routes.
///
/// It follows bodies by `Content-Length` only to know where the next head starts. A chunked body
/// or an upgraded connection (WebSocket) is passed through unread from then on; NIO's own limits
/// and the idle timeout still hold there.
final class RequestHeadGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case head
        case body(remaining: Int)
        case passthrough
        case refused
    }

    /// Why a request was refused, as a status and the envelope's type and message.
    struct Refusal {
        var status: Int
        var reason: String
        var type: String
        var message: String

        static func headTooLarge(_ message: String) -> Refusal {
            Refusal(status: 431, reason: "Request Header Fields Too Large", type: "request_header_fields_too_large", message: message)
        }
    }

    private let limits: HTTPLimits
    private let refused: RefusedConnections
    private let logger: Logger
    private var phase = Phase.head
    private var lineLength = 0
    private var headBytes = 0
    private var lineCount = 0
    /// The current line's first bytes: enough for the few headers read here.
    private var line: [UInt8] = []
    private var contentLength = 0
    private var passThroughAfterHead = false
    private var timer: Scheduled<Void>?

    private static let keptLineBytes = 256
    private static let lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    init(limits: HTTPLimits, refused: RefusedConnections, logger: Logger) {
        self.limits = limits
        self.refused = refused
        self.logger = logger
        line.reserveCapacity(Self.keptLineBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The first head's clock starts with the connection: a client that connects and sends
        // nothing, or half a head, is as slow as one that sends slowly.
        if context.channel.isActive { startTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        ClientPresence.forget(context.channel)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { ClientPresence.markDeparted(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .refused: return
        case .passthrough: context.fireChannelRead(data); return
        case .head, .body: break
        }
        let buffer = unwrapInboundIn(data)
        let refusal = buffer.withUnsafeReadableBytes { scan($0, context: context) }
        if let refusal { refuse(refusal, context: context) } else { context.fireChannelRead(data) }
    }

    /// Walks `bytes` through heads and bodies; the first limit broken, if any.
    private func scan(_ bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) -> Refusal? {
        var index = 0
        while index < bytes.count {
            switch phase {
            case .refused, .passthrough:
                return nil
            case .body(let remaining):
                let taken = min(remaining, bytes.count - index)
                index += taken
                phase = remaining == taken ? .head : .body(remaining: remaining - taken)
            case .head:
                if headBytes == 0, timer == nil { startTimer(context) }
                let byte = bytes[index]
                index += 1
                headBytes += 1
                if byte == Self.lineFeed {
                    if let refusal = endOfLine() { return refusal }
                } else {
                    lineLength += 1
                    if line.count < Self.keptLineBytes { line.append(byte) }
                    if lineCount == 0, lineLength > limits.maximumRequestLineBytes {
                        return Refusal(status: 414, reason: "URI Too Long", type: "uri_too_long",
                                       message: "The request line is longer than \(limits.maximumRequestLineBytes) bytes")
                    }
                }
                if headBytes > limits.maximumHeaderBytes {
                    return .headTooLarge("The request head is larger than \(limits.maximumHeaderBytes) bytes")
                }
            }
        }
        return nil
    }

    private func endOfLine() -> Refusal? {
        let isEmpty = lineLength == 0 || (lineLength == 1 && line.first == Self.carriageReturn)
        defer {
            line.removeAll(keepingCapacity: true)
            lineLength = 0
        }
        if isEmpty {
            // An empty line before the request line is tolerated (RFC 9112 §2.2); after it, it
            // ends the head.
            if lineCount == 0 { headBytes = 0; return nil }
            endOfHead()
            return nil
        }
        if lineCount > 0 { readHeader() }
        lineCount += 1
        if lineCount - 1 > limits.maximumHeaderCount {
            return .headTooLarge("The request has more than \(limits.maximumHeaderCount) header fields")
        }
        return nil
    }

    private func endOfHead() {
        stopTimer()
        if passThroughAfterHead {
            phase = .passthrough
        } else {
            phase = contentLength > 0 ? .body(remaining: contentLength) : .head
        }
        headBytes = 0
        lineCount = 0
        contentLength = 0
        passThroughAfterHead = false
    }

    /// Notes the headers that say where this request ends.
    private func readHeader() {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
        switch name {
        case "content-length":
            // A length this reader cannot follow is left to NIO's parser, which refuses it.
            if let length = Int(value), length >= 0 { contentLength = length } else { passThroughAfterHead = true }
        case "transfer-encoding", "upgrade":
            passThroughAfterHead = true
        default:
            break
        }
    }

    private func startTimer(_ context: ChannelHandlerContext) {
        guard timer == nil, case .head = phase else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: HTTPLimits.timeAmount(limits.headerTimeout)) {
            self.timer = nil
            guard case .head = self.phase else { return }
            self.refuse(Refusal(status: 408, reason: "Request Timeout", type: "request_timeout",
                                message: "The request head did not arrive within \(self.limits.headerTimeout)"), context: context)
        }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    /// Writes the refusal straight to the socket and closes the connection.
    private func refuse(_ refusal: Refusal, context: ChannelHandlerContext) {
        phase = .refused
        stopTimer()
        refused.markRefused(context.channel)
        logger.info("request head refused", metadata: ["status": .stringConvertible(refusal.status), "reason": .string(refusal.message),
                                                       "peer": .string(context.channel.remoteAddress?.description ?? "unknown")])
        let requestID = EnvelopeMiddleware.requestID(from: nil)
        let error = APIError(.init(code: refusal.status, reasonPhrase: refusal.reason), type: refusal.type, message: refusal.message)
        let body = Envelope.failureBytes(error, requestID: requestID)
        var buffer = context.channel.allocator.buffer(capacity: body.count + 256)
        buffer.writeString("HTTP/1.1 \(refusal.status) \(refusal.reason)\r\nContent-Type: application/json; charset=utf-8\r\n"
                           + "Content-Length: \(body.count)\r\nConnection: close\r\nX-Request-ID: \(requestID)\r\n\r\n")
        buffer.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
