import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO

/// `Idempotency-Key` on `POST`: a client whose request timed out can send it again with the same
/// key and get the first answer back instead of creating a second job, evaluation or strategy.
///
/// The first request with a key reserves it (per user, for 24 hours) before it runs, and its
/// answer is stored when it ends; a repeat with the same method, path and body gets that answer
/// again with `Idempotent-Replayed: true`; a repeat while the first still runs is a 409 with
/// `Retry-After`; the same key on a different request is a 422. Only answers that did something
/// (2xx) are kept: after an error — a 400, or a 503 in an outage — the key is freed, so the
/// corrected or retried request runs for real. Sits
/// behind `AuthMiddleware` (keys are the caller's own) and reads JSON bodies up to
/// `RequestBody.maximumBytes`; uploads (multipart) are not covered.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let database: Database

    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.header], let user = context.user,
              !(request.headers[.contentType] ?? "").hasPrefix("multipart/") else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw APIError.validation([.init(field: "Idempotency-Key", message: "1 to 255 printable ASCII characters without spaces")])
        }
        let body = try await request.body.collect(upTo: RequestBody.maximumBytes)
        var hasher = SHA256()
        hasher.update(data: Array("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        // The same JSON re-encoded by a retrying client (another key order, other spacing) is the
        // same request: JSON is hashed in a canonical form, anything else as its bytes.
        if let value = try? JSONValue.parse(bytes: Array(body.readableBytesView)) {
            hasher.update(data: Array(Self.canonical(value).utf8))
        } else {
            hasher.update(data: Array(body.readableBytesView))
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let logger = context.logger

        var reserved = false
        for try await _ in try await database.primary.query("""
            INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES (\(user.id), \(key), \(digest))
            ON CONFLICT (user_id, key) DO NOTHING RETURNING 1
            """, logger: logger).decode(Int.self) { reserved = true }
        guard reserved else { return try await replay(user: user.id, key: key, digest: digest, logger: logger) }

        var again = request
        again.body = .init(buffer: body)
        let response: Response
        do { response = try await next(again, context) } catch {
            try? await release(user: user.id, key: key, logger: logger)
            throw error
        }
        guard (200..<300).contains(response.status.code) else {
            try? await release(user: user.id, key: key, logger: logger)
            return response
        }
        // Keep the answer: collect the body once, store it, and send the same bytes.
        let collected = CollectedBytes()
        var sent = response
        try await response.body.write(CollectingWriter(store: collected))
        let bytes = collected.buffer
        try await database.primary.query("""
            UPDATE idempotency_keys SET status_code = \(Int(response.status.code)), content_type = \(response.headers[.contentType]),
                response_body = \(String(buffer: bytes)) WHERE user_id = \(user.id) AND key = \(key)
            """, logger: logger)
        sent.body = .init(byteBuffer: bytes)
        return sent
    }

    /// `value` as JSON text with object keys sorted, so equal documents give equal text.
    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .object(let members):
            return "{" + members.keys.sorted().map { JSONValue.string($0).jsonText + ":" + canonical(members[$0]!) }.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map(canonical).joined(separator: ",") + "]"
        default:
            return value.jsonText
        }
    }

    func replay(user: Int, key: String, digest: String, logger: Logger) async throws -> Response {
        for try await (hash, status, type, text) in try await database.primary.query("""
            SELECT request_hash, status_code, content_type, response_body FROM idempotency_keys WHERE user_id = \(user) AND key = \(key)
            """, logger: logger).decode((String, Int?, String?, String?).self) {
            guard hash == digest else {
                throw APIError(.unprocessableContent, type: "idempotency_key_reused",
                               message: "This Idempotency-Key was used for a different request; use a new key for a new request")
            }
            guard let status, let text else {
                throw APIError(.conflict, type: "idempotency_key_in_use", message: "The first request with this Idempotency-Key is still running",
                               retryAfterSeconds: 1)
            }
            var headers = HTTPFields()
            if let type { headers[.contentType] = type }
            headers[Self.replayed] = "true"
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        // Freed between the insert and this read (its first request failed): run it for real.
        throw APIError(.conflict, type: "idempotency_key_in_use", message: "Retry with the same Idempotency-Key", retryAfterSeconds: 1)
    }

    func release(user: Int, key: String, logger: Logger) async throws {
        try await database.primary.query("DELETE FROM idempotency_keys WHERE user_id = \(user) AND key = \(key) AND status_code IS NULL", logger: logger)
    }
}

/// Collects a response body's bytes.
private final class CollectedBytes: @unchecked Sendable {
    var buffer = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let store: CollectedBytes
    mutating func write(_ buffer: ByteBuffer) async throws { var copy = buffer; store.buffer.writeBuffer(&copy) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
