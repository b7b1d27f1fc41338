import Foundation
import JWTKit

/// The claims of an access token: the user (`sub`), the session (`sid`, a `user_sessions`
/// `session_token`), issue and expiry times. `typ` is always `access`, so no other token this
/// service might sign can stand in for one.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var sid: String
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var typ: String

    public init(userID: Int, sessionToken: String, issuedAt: Date, expiresAt: Date) {
        sub = SubjectClaim(value: String(userID))
        sid = sessionToken
        iat = IssuedAtClaim(value: issuedAt)
        exp = ExpirationClaim(value: expiresAt)
        typ = "access"
    }

    public var userID: Int? { Int(sub.value) }

    /// How far in the future `iat` may be: clocks of two servers differ by a little, never by more.
    public static let allowedClockSkew: TimeInterval = 60

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard typ == "access" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token") }
        guard iat.value <= Date().addingTimeInterval(Self.allowedClockSkew) else {
            throw JWTError.claimVerificationFailure(failedClaim: iat, reason: "issued in the future")
        }
    }
}

/// Signs and verifies access tokens: HS256 under the current key id, and verification with any
/// configured key chosen by the token's `kid` header, so a secret can rotate without signing
/// everybody out. A token with an unknown kid, another algorithm (`none` included), a changed
/// byte or a past expiry does not verify.
public struct AccessTokens: Sendable {
    let keys: JWTKeyCollection
    let currentKid: String
    /// Every configured key id: a token must name one of them in its header.
    let knownKids: Set<String>
    public let lifetime: Int

    public init(settings: AuthSettings) async {
        let keys = JWTKeyCollection()
        for key in [settings.signingKey] + settings.previousKeys {
            await keys.add(hmac: HMACKey(from: key.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
        }
        self.keys = keys
        currentKid = settings.signingKey.kid
        knownKids = Set(([settings.signingKey] + settings.previousKeys).map(\.kid))
        lifetime = settings.accessTokenTTL
    }

    /// A token for `userID` in the session `sessionToken`, valid for `lifetime` seconds from `now`.
    public func issue(userID: Int, sessionToken: String, now: Date = Date()) async throws -> String {
        // Whole seconds: RFC 7519 allows fractions, but many clients parse NumericDate as an integer.
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(userID: userID, sessionToken: sessionToken, issuedAt: issued,
                                       expiresAt: issued.addingTimeInterval(TimeInterval(lifetime)))
        return try await keys.sign(claims, kid: JWKIdentifier(string: currentKid))
    }

    /// The claims of a token whose signature and expiry hold; otherwise a 401 saying which failed.
    public func verify(_ token: String) async throws -> AccessTokenClaims {
        // jwt-kit falls back to its default key for a token without a kid (or with one it does
        // not know): only tokens that name a configured key are verified at all.
        guard let kid = Self.keyID(of: token), knownKids.contains(kid) else { throw APIError.unauthorized("Invalid access token") }
        do {
            let claims = try await keys.verify(token, as: AccessTokenClaims.self)
            guard claims.userID != nil else { throw APIError.unauthorized("Invalid access token") }
            return claims
        } catch let error as JWTError where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim {
            throw APIError.unauthorized("Access token expired")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.unauthorized("Invalid access token")
        }
    }

    /// The `kid` of a compact JWS's header, or nil when the header is not base64url JSON with one.
    static func keyID(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first, header.count <= 1024 else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), case .object(let fields)? = try? JSONValue.parse(bytes: Array(data)),
              case .string(let kid)? = fields["kid"] else { return nil }
        return kid
    }
}
