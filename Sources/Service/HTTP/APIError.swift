import HTTPTypes

/// An error the API reports to the client, in the seed's error envelope: the HTTP status, a
/// machine-readable type (`validation_error`, `not_found`, …), a message and per-field details.
/// Anything thrown that is not an `APIError` becomes a 500 whose message says nothing internal.
public struct APIError: Error, Sendable, Equatable {
    /// One field's problem.
    public struct Detail: Codable, Sendable, Equatable {
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var status: HTTPResponse.Status
    public var type: String
    public var message: String
    public var details: [Detail]
    /// Seconds the client should wait before trying again (sent as `Retry-After`), for 429s.
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, type: String, message: String, details: [Detail] = [], retryAfterSeconds: Int? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// 400 with the fields that failed validation.
    public static func validation(_ details: [Detail], message: String = "Validation error") -> APIError {
        APIError(.badRequest, type: "validation_error", message: message, details: details)
    }

    public static func notFound(_ message: String = "Not found") -> APIError {
        APIError(.notFound, type: "not_found", message: message)
    }

    /// 401: no credentials, or credentials that do not hold (bad signature, expired, revoked).
    public static func unauthorized(_ message: String = "Not authenticated") -> APIError {
        APIError(.unauthorized, type: "authentication_error", message: message)
    }

    /// 403: authenticated, but not allowed.
    public static func forbidden(_ message: String = "Not allowed") -> APIError {
        APIError(.forbidden, type: "permission_denied", message: message)
    }

    /// 409: the request conflicts with the resource's state (a duplicate, an illegal transition).
    public static func conflict(_ message: String, field: String? = nil) -> APIError {
        APIError(.conflict, type: "conflict", message: message, details: field.map { [Detail(field: $0, message: message)] } ?? [])
    }

    /// The 500 every unexpected failure turns into (its cause goes to the log, not the client).
    public static let internalError = APIError(.internalServerError, type: "internal_error", message: "Internal server error")
}
