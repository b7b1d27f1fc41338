/// Who a request acts for: the user and session an access token named, confirmed live (session
/// active and unexpired, user active) by `AuthMiddleware` against the database.
public struct AuthenticatedUser: Sendable, Equatable {
    public var id: Int
    public var username: String
    public var isSuperuser: Bool
    /// The `user_sessions.session_token` the access token carries (`sid`).
    public var sessionToken: String

    public init(id: Int, username: String, isSuperuser: Bool, sessionToken: String) {
        self.id = id
        self.username = username
        self.isSuperuser = isSuperuser
        self.sessionToken = sessionToken
    }
}
