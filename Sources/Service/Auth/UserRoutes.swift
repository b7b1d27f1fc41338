import Foundation
import Hummingbird

/// `/api/v1/users/me`: the signed-in user's profile; PUT changes `full_name`, `avatar_url`
/// (an http(s) URL) and `settings` (a JSON object, replaced whole). Null clears the first two.
public struct UserRoutes: Sendable {
    let auth: AuthService

    public init(auth: AuthService) {
        self.auth = auth
    }

    public func register(on router: Router<APIContext>) {
        let group = router.group("/api/v1/users").add(middleware: AuthMiddleware(auth: auth))
        group.get("/me") { _, context in
            let user = try context.requireUser()
            // The primary: a profile just changed must read back changed.
            guard let record = try await self.auth.users.find(id: user.id, reading: .latest, logger: context.logger) else {
                throw APIError.notFound("User not found")
            }
            return try Envelope.success(record, context: context)
        }
        group.put("/me") { request, context in
            let user = try context.requireUser()
            let input = try await request.decode(as: ProfileUpdate.self, context: context)
            let record = try await self.auth.users.updateProfile(id: user.id, fullName: input.fullName, avatarURL: input.avatarURL, settings: input.settings,
                                                                 clear: input.clear, logger: context.logger)
            return try Envelope.success(record, message: "Profile updated", context: context)
        }
    }

    /// An http(s) URL in RFC 3986's unreserved and reserved characters (the API document states it).
    static let webURLCore = "[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]*[A-Za-z0-9](:[0-9]{1,5})?([/?#][A-Za-z0-9._~:/?#@!$&'()*+,;=-]*)?"
    static let webURL = try! NSRegularExpression(pattern: "^\(webURLCore)$")

    static func isWebURL(_ text: String) -> Bool {
        webURL.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
