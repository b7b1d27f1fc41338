import Foundation
import Hummingbird

/// `/api/v1/auth/`: register, login, refresh, logout — the seed's request and response shapes.
public struct AuthRoutes: Sendable {
    let auth: AuthService

    public init(auth: AuthService) {
        self.auth = auth
    }

    /// The token pair the seed's login returns (`token_type` bearer, `expires_in` seconds).
    struct TokenResponse: Encodable {
        var accessToken: String
        var refreshToken: String
        var tokenType = "bearer"
        var expiresIn: Int
        /// Login's answer carries the user; refresh's leaves the key out.
        var user: UserRecord?

        enum CodingKeys: CodingKey {
            case accessToken, refreshToken, tokenType, expiresIn, user
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(accessToken, forKey: .accessToken)
            try container.encode(refreshToken, forKey: .refreshToken)
            try container.encode(tokenType, forKey: .tokenType)
            try container.encode(expiresIn, forKey: .expiresIn)
            if let user { try container.encode(user, forKey: .user) }
        }
    }

    public func register(on router: Router<APIContext>) {
        let group = router.group("/api/v1/auth")
        group.post("/register") { request, context in try await self.registerUser(request, context) }
        group.post("/login") { request, context in try await self.login(request, context) }
        group.post("/refresh") { request, context in try await self.refresh(request, context) }
        group.group().add(middleware: AuthMiddleware(auth: auth)).post("/logout") { _, context in
            let user = try context.requireUser()
            try await self.auth.sessions.revoke(sessionToken: user.sessionToken, logger: context.logger)
            return try Envelope.success(["revoked": true], message: "Logged out", context: context)
        }
    }

    func registerUser(_ request: Request, _ context: APIContext) async throws -> Response {
        let input = try await request.decode(as: RegisterRequest.self, context: context)
        let hash = try await auth.hasher.hash(input.password, clientIsThere: context.clientIsThere)
        let user = try await auth.users.create(username: input.username, email: input.email, passwordHash: hash, fullName: input.fullName, logger: context.logger)
        return try Envelope.success(user, status: .created, message: "User registered", context: context)
    }

    func login(_ request: Request, _ context: APIContext) async throws -> Response {
        let input = try await request.decode(as: LoginRequest.self, context: context)
        let origin = AuthService.Origin(ipAddress: ClientAddress.ip(of: request, context: context, trustForwardedFor: auth.settings.trustForwardedFor),
                                        userAgent: ClientAddress.userAgent(of: request), clientIsThere: context.clientIsThere)
        let (grant, user) = try await auth.login(input.username, password: input.password, rememberMe: input.rememberMe, origin: origin, logger: context.logger)
        return try Envelope.success(TokenResponse(accessToken: grant.accessToken, refreshToken: grant.refreshToken,
                                                  expiresIn: auth.tokens.lifetime, user: user), message: "Login successful", context: context)
    }

    /// The refresh token comes in the Authorization header, as the seed shows.
    func refresh(_ request: Request, _ context: APIContext) async throws -> Response {
        guard let token = AuthMiddleware.bearerToken(request) else { throw APIError.unauthorized("Missing refresh token (Authorization: Bearer <refresh_token>)") }
        let grant = try await auth.refresh(token, logger: context.logger)
        return try Envelope.success(TokenResponse(accessToken: grant.accessToken, refreshToken: grant.refreshToken, expiresIn: auth.tokens.lifetime),
                                    message: "Token refreshed", context: context)
    }
}
