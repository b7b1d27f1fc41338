import Crypto
import Foundation

/// Refresh tokens and session tokens: random opaque strings. A refresh token is a credential, so
/// only its SHA-256 is stored (`user_sessions.refresh_token`): a database leak does not hand out
/// working tokens. A session token names the session inside access tokens; it proves nothing
/// without a valid signature, so it is stored as is.
public enum RefreshTokens {
    /// 32 random bytes as URL-safe text, prefixed so the token's kind shows in logs and support.
    public static func newRefreshToken() -> String { "qfr_" + randomText(bytes: 32) }

    /// 24 random bytes as URL-safe text.
    public static func newSessionToken() -> String { "qfs_" + randomText(bytes: 24) }

    /// The stored form of a refresh token: SHA-256 in hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func randomText(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
