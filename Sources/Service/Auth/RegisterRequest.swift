/// `POST /api/v1/auth/register`'s body, read with every problem reported at once.
struct RegisterRequest: RequestFields {
    // Username and email are not trimmed: their patterns allow no white space, and a space sent
    // by mistake is better refused than silently dropped from a login name.
    static let username = BodyField("username", .text(maxLength: 50, trim: false, rule: .init(minLength: 3, pattern: CredentialRules.usernamePattern)),
                                    required: true, description: "Letters, digits, '_', '-' and '.', starting with a letter or digit")
    static let email = BodyField("email", .text(maxLength: 100, trim: false, rule: .init(pattern: CredentialRules.emailPattern)), required: true)
    static let password = BodyField("password", .text(maxLength: PasswordHasher.maximumBytes, trim: false, rule: .init(minLength: 8)), required: true,
                                    description: "8 to 72 UTF-8 bytes (bcrypt's limit) with a letter and a digit; not the username, not a common password")
    static let fullName = BodyField("full_name", .text(maxLength: 100))
    static let fields = [username, email, password, fullName]

    var username: String
    var email: String
    var password: String
    var fullName: String?

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames)
        let username = body.text(Self.username), email = body.text(Self.email), password = body.text(Self.password)
        fullName = body.text(Self.fullName)
        if let username, let problem = CredentialRules.usernameProblem(username) { body.fail("username", problem) }
        if let email, let problem = CredentialRules.emailProblem(email) { body.fail("email", problem) }
        if let password, let problem = CredentialRules.passwordProblem(password, username: username) { body.fail("password", problem) }
        try body.validate()
        guard let username, let email, let password else { throw APIError.internalError }
        (self.username, self.email, self.password) = (username, email, password)
    }
}
