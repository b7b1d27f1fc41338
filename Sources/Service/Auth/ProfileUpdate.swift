/// `PUT /api/v1/users/me`'s body: the fields given change, null or "" clears the first two.
struct ProfileUpdate: RequestFields {
    static let fullName = BodyField("full_name", .text(maxLength: 100), description: "Empty or null clears it")
    // Not trimmed: the URL's pattern allows no white space.
    static let avatarURL = BodyField("avatar_url", .text(maxLength: 500, trim: false, rule: .init(pattern: "^(\(UserRoutes.webURLCore))?$")),
                                     description: "An http(s) URL; empty or null clears it")
    static let settings = BodyField("settings", .object, description: "Replaces the stored settings")
    static let fields = [fullName, avatarURL, settings]
    /// Fields a user cannot change here, with why.
    static let managed = ["username", "email", "password", "is_superuser", "is_active"]

    var fullName: String?
    var avatarURL: String?
    var settings: JSONValue?
    /// The fields to set to NULL.
    var clear: Set<String> = []

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames, hints: Dictionary(uniqueKeysWithValues: Self.managed.map { ($0, "not changeable here") }))
        fullName = body.text(Self.fullName)
        avatarURL = body.text(Self.avatarURL)
        settings = body.object(Self.settings)
        if let avatarURL, !avatarURL.isEmpty, !UserRoutes.isWebURL(avatarURL) { body.fail("avatar_url", "must be an http or https URL") }
        try body.validate()
        for field in [Self.fullName, Self.avatarURL] where body.fields[field.name] == .null || body.fields[field.name] == .string("") { clear.insert(field.name) }
    }
}
