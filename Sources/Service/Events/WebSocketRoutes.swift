import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PostgresNIO

/// `WS /api/v1/ws`: live updates. The access token comes as `Authorization: Bearer …` or, for
/// browsers (which cannot set headers on a WebSocket), as `?token=`; without a valid one the
/// upgrade is refused with a 401. Messages, all JSON text:
/// - client → `{"type": "subscribe" | "unsubscribe", "channel": "training_job", "job_id": N}` or
///   `{"type": …, "channel": "strategy_status", "strategy_id": N}` — only the user's own objects
///   (a superuser's: any); answered `{"type": "subscribed" | "unsubscribed", "channel", "id"}` or
///   `{"type": "error", "message"}`;
/// - server → `{"type": "training_progress", "data": {job_id, progress, current_epoch, total_epochs,
///   metrics}}` after every epoch, `{"type": "status", "data": {job_id | strategy_id, status}}`
///   on every status change, and `{"type": "paper_trade", "data": {strategy_id, bar, bars, time,
///   close, position, equity, total_return, max_drawdown, trades}}` for each bar of a strategy's
///   paper-trading replay.
/// Pings go out every 30 s. A client whose outbox (256 messages) fills up is disconnected.
public struct WebSocketRoutes: Sendable {
    let auth: AuthService
    let hub: EventHub
    let database: Database

    public init(auth: AuthService, hub: EventHub, database: Database) {
        self.auth = auth
        self.hub = hub
        self.database = database
    }

    public static let path = "/api/v1/ws"

    /// The router that answers WebSocket upgrades (kept apart from the HTTP router). A refusal
    /// is recorded in `refusals`, so the client gets it (401 in the envelope) instead of the
    /// library's empty 400.
    func router(refusals: UpgradeRefusals) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: EnvelopeMiddleware())
        router.add(middleware: UpgradeRefusalRecorder(refusals: refusals))
        router.ws(RouterPath(stringLiteral: Self.path), shouldUpgrade: { request, context in
            guard let token = Self.token(request) else { throw APIError.unauthorized("Missing access token (Authorization header or token query parameter)") }
            _ = try await auth.authenticate(accessToken: token, logger: context.logger)
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            try await self.serve(inbound: inbound, outbound: outbound, request: context.request, logger: context.logger)
        })
        return router
    }

    static func token(_ request: Request) -> String? {
        AuthMiddleware.bearerToken(request) ?? request.uri.queryParameters["token"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, request: Request, logger: Logger) async throws {
        guard let token = Self.token(request), let user = try? await auth.authenticate(accessToken: token, logger: logger) else {
            try await outbound.close(.policyViolation, reason: "not authenticated")
            return
        }
        let subscriber = hub.register(userID: user.id)
        defer { hub.remove(subscriber) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in subscriber.messages { try await outbound.write(.text(message)) }
                // The outbox was closed: by a full buffer (a client not reading) or by removal.
                try await outbound.close(.policyViolation, reason: "too slow: messages were not read")
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message else { subscriber.send(Self.error("send JSON text messages")); continue }
                    subscriber.send(await self.handle(text, user: user, subscriber: subscriber, logger: logger))
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    static func error(_ message: String) -> String {
        JSONValue.object(["type": .string("error"), "message": .string(message)]).jsonText
    }

    /// One client message → the reply.
    func handle(_ text: String, user: AuthenticatedUser, subscriber: EventHub.Subscriber, logger: Logger) async -> String {
        guard let message = try? JSONValue.parse(text).objectValue, let type = message["type"]?.stringValue else {
            return Self.error("expected a JSON object with a type")
        }
        guard type == "subscribe" || type == "unsubscribe" else { return Self.error("unknown type '\(type)'; known: subscribe, unsubscribe") }
        let channel = message["channel"]?.stringValue ?? ""
        let idField: String, table: String, ownerColumn: String
        switch channel {
        case "training_job": (idField, table, ownerColumn) = ("job_id", "training_jobs", "user_id")
        case "strategy_status": (idField, table, ownerColumn) = ("strategy_id", "strategies", "owner_id")
        default: return Self.error("unknown channel '\(channel)'; known: training_job, strategy_status")
        }
        guard case .int(let rawID)? = message[idField], rawID > 0, rawID <= Int64(Int32.max) else { return Self.error("\(idField): an id is required") }
        let id = Int(rawID), key = "\(channel):\(id)"
        if type == "unsubscribe" {
            subscriber.unsubscribe(key)
            return JSONValue.object(["type": .string("unsubscribed"), "channel": .string(channel), "id": .int(rawID)]).jsonText
        }
        do {
            var owner: Int?? = .none
            let query = PostgresQuery(unsafeSQL: "SELECT \(ownerColumn) FROM \(table) WHERE id = $1", binds: { var b = PostgresBindings(); b.append(id); return b }())
            for try await value in try await database.reader.query(query, logger: logger).decode(Int?.self) { owner = .some(value) }
            guard case .some(let ownerID) = owner, user.isSuperuser || ownerID == user.id else {
                return Self.error("\(channel) \(id) not found")
            }
        } catch {
            logger.warning("subscription check failed", metadata: ["error": .string(String(reflecting: error))])
            return Self.error("could not check \(channel) \(id); try again")
        }
        subscriber.subscribe(key)
        return JSONValue.object(["type": .string("subscribed"), "channel": .string(channel), "id": .int(rawID)]).jsonText
    }
}
