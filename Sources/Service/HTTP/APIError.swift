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

    public init(_ status: HTTPResponse.Status, type: String, message: String, details: [Detail] = []) {
        self.status = status
        self.type = type
        self.message = message
        self.details = details
    }

    /// 400 with the fields that failed validation.
    public static func validation(_ details: [Detail], message: String = "Validation error") -> APIError {
        APIError(.badRequest, type: "validation_error", message: message, details: details)
    }

    public static func notFound(_ message: String = "Not found") -> APIError {
        APIError(.notFound, type: "not_found", message: message)
    }

    /// The 500 every unexpected failure turns into (its cause goes to the log, not the client).
    public static let internalError = APIError(.internalServerError, type: "internal_error", message: "Internal server error")
}
