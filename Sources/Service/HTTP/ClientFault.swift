import NIOCore
import NIOHTTP1

/// Errors that a client causes by going away or sending a broken stream mid-request — a body
/// cut short, a connection closed or timed out for idleness while the handler reads it. They are
/// logged as the client's doing (info) and answered 400, never counted as server faults.
enum ClientFault {
    static func isClientsDoing(_ error: any Error) -> Bool {
        if error is HTTPParserError { return true }
        guard let channelError = error as? ChannelError else { return false }
        switch channelError {
        case .eof, .inputClosed, .outputClosed, .ioOnClosedChannel, .alreadyClosed: return true
        default: return false
        }
    }

    static let aborted = APIError(.badRequest, type: "request_aborted", message: "The request body ended before it was complete")
}
