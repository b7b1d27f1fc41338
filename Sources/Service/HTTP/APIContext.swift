import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every API route: Hummingbird's core context, the request's id (set
/// before any handler runs), the peer's address, and the signed-in user
/// once the authentication middleware has accepted an access token.
public struct APIContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-ID` when the client sent a sane one, else generated; echoed in the response
    /// (chosen by `RequestDeadline` in front of the router, else by the envelope middleware).
    public var requestID = ""
    /// The TCP peer's IP address (nil in router tests, which have no socket).
    public var peerAddress: String?
    /// Set by `AuthMiddleware` on the routes that need a user.
    public var user: AuthenticatedUser?
    /// Where a WebSocket route leaves its handler for the upgrade.
    public let webSocket: WebSocketHandlerReference<APIContext>
    /// The connection: to tell whether its client is still there, and to key what is kept per
    /// connection (a refused WebSocket upgrade's answer).
    public let channel: (any Channel)?

    /// Request bodies go through the service's one JSON path.
    public var requestDecoder: APIRequestDecoder { APIRequestDecoder() }

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        peerAddress = source.channel.remoteAddress?.ipAddress
        channel = source.channel
    }

    /// The route's `:id` as a row id, or a 404 naming `what` (a malformed id names no row either).
    public func pathID(_ what: String) throws -> Int {
        guard let text = parameters.get("id"), let id = Int(text), id > 0, id <= Int(Int32.max) else { throw APIError.notFound("\(what) not found") }
        return id
    }

    /// Whether the client is still connected, for work only worth doing while it waits. Router
    /// tests have no socket (no peer address): their client is always there.
    public var clientIsThere: @Sendable () -> Bool {
        let channel = peerAddress == nil ? nil : channel
        return { ClientPresence.isThere(channel) }
    }

    /// The signed-in user, or a 401 (only reachable on a route without `AuthMiddleware`).
    public func requireUser() throws -> AuthenticatedUser {
        guard let user else { throw APIError.unauthorized() }
        return user
    }
}
