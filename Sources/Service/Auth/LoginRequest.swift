/// `POST /api/v1/auth/login`'s body.
struct LoginRequest: RequestFields {
    static let username = BodyField("username", .text(maxLength: 100), required: true, description: "The username or the email")
    static let password = BodyField("password", .text(maxLength: 200, trim: false), required: true)
    static let rememberMe = BodyField("remember_me", .bool, description: "A 30-day session instead of 7 days")
    static let fields = [username, password, rememberMe]

    var username: String
    var password: String
    var rememberMe: Bool

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames)
        let username = body.text(Self.username), password = body.text(Self.password)
        rememberMe = body.bool(Self.rememberMe) ?? false
        try body.validate()
        guard let username, let password else { throw APIError.internalError }
        (self.username, self.password) = (username, password)
    }
}
