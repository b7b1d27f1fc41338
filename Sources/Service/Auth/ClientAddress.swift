import Foundation
import HTTPTypes
import Hummingbird

/// The client's IP address and user agent as recorded with sessions and login attempts. Behind a
/// trusted proxy (`QF_TRUST_FORWARDED_FOR=1`) the first `X-Forwarded-For` entry; otherwise the
/// TCP peer. Only a well-formed IPv4 or IPv6 address is kept (anything else is nil), so the
/// value can always be cast to INET.
public enum ClientAddress {
    public static func ip(of request: Request, context: APIContext, trustForwardedFor: Bool) -> String? {
        if trustForwardedFor, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!],
           let first = forwarded.split(separator: ",").first.map({ $0.trimmingCharacters(in: .whitespaces) }), isIPAddress(first) {
            return first
        }
        return context.peerAddress.flatMap { isIPAddress($0) ? $0 : nil }
    }

    public static func userAgent(of request: Request) -> String? {
        request.headers[.userAgent].map { String($0.prefix(1000)) }
    }

    public static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
