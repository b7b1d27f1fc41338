/// What a store reports when it cannot do what was asked, in the domain's words. Stores know
/// nothing of HTTP; `APIError.init(_:)` is the one place that says which answer each case gets.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such object for this caller (another user's object counts as missing): "Dataset 7 not found".
    case notFound(String)
    /// The object's state, or a value that must be unique, forbids it; `field` names the field at fault.
    case conflict(String, field: String?)
    /// The credentials or the account behind them no longer hold (a user deleted mid-login).
    case credentialsRejected(String)
    /// A write that must return its row returned none: a broken invariant, not the caller's fault.
    case missingRow(String)

    public var description: String {
        switch self {
        case .notFound(let message), .conflict(let message, _), .credentialsRejected(let message), .missingRow(let message): message
        }
    }

    /// Whether this is `notFound` (for callers that treat a missing row as "nothing to do").
    public var isNotFound: Bool {
        if case .notFound = self { true } else { false }
    }
}

extension APIError {
    /// The answer each store error gets: 404, 409 (naming the field), 401, or a 500 that says
    /// nothing internal (the cause goes to the log).
    public init(_ error: StoreError) {
        switch error {
        case .notFound(let message): self = .notFound(message)
        case .conflict(let message, let field): self = .conflict(message, field: field)
        case .credentialsRejected(let message): self = .unauthorized(message)
        case .missingRow: self = .internalError
        }
    }
}
