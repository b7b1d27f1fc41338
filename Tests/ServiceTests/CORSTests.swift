import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Service
import Testing

/// CORS (issue 15): `QF_CORS_ORIGINS` names the browser origins that may call the API; their
/// preflights are answered with the path's own methods, their answers (errors too) carry
/// `Access-Control-Allow-Origin`; any other origin's preflight is a 403 in the envelope. Unset,
/// no CORS header is ever sent.
@Suite struct CORSTests {
    static let allowed = "https://research.example.com"

    @Test func theSettingIsReadAndCheckedEntryByEntry() throws {
        #expect(try CORSPolicy.resolve(environment: [:]) == .sameOriginOnly)
        #expect(try CORSPolicy.resolve(environment: ["QF_CORS_ORIGINS": "*"]).allowsAnyOrigin)
        let two = try CORSPolicy.resolve(environment: ["QF_CORS_ORIGINS": "https://a.example.com, http://localhost:3000"])
        #expect(two.origins == ["https://a.example.com", "http://localhost:3000"])
        for bad in ["a.example.com", "https://a.example.com/", "https://a.example.com/app", "ftp://x.example.com"] {
            #expect(throws: CORSPolicy.Invalid.self, "\(bad)") { try CORSPolicy.resolve(environment: ["QF_CORS_ORIGINS": bad]) }
        }
    }

    @Test func allowedOriginsGetPreflightsAndHeadersOthersDoNot() async throws {
        let policy = try CORSPolicy.resolve(environment: ["QF_CORS_ORIGINS": Self.allowed])
        try await TestAPI.with("cors", cors: policy) { api in
            let token = try await api.signUp("browser").access
            // Preflight for a path with GET and POST.
            var preflight = HTTPFields()
            preflight[.origin] = Self.allowed
            preflight[.accessControlRequestMethod] = "POST"
            preflight[.accessControlRequestHeaders] = "authorization, content-type"
            let answered = try await api.client.execute(uri: "/api/v1/strategies", method: .options, headers: preflight) { $0 }
            #expect(answered.status == .noContent)
            #expect(answered.headers[.accessControlAllowOrigin] == Self.allowed)
            #expect(answered.headers[.accessControlAllowMethods] == "GET, POST")
            #expect(answered.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            // A path with an id: its own methods.
            let item = try await api.client.execute(uri: "/api/v1/training/jobs/7", method: .options, headers: preflight) { $0 }
            #expect(item.headers[.accessControlAllowMethods] == "DELETE, GET")
            // Another origin's preflight: 403 in the envelope, no allow header.
            var foreign = preflight
            foreign[.origin] = "https://evil.example.net"
            let refused = try await api.client.execute(uri: "/api/v1/strategies", method: .options, headers: foreign) { $0 }
            #expect(refused.status == .forbidden && refused.headers[.accessControlAllowOrigin] == nil)
            #expect(try TestAPI.json(refused).error["type"] as? String == "cors_origin_not_allowed")
            // Actual requests: success and error answers both carry the header for the allowed
            // origin, with the request id exposed; another origin's get none.
            let ok = try await api.call(.get, "/api/v1/strategies", token: token, headers: [.origin: Self.allowed])
            #expect(ok.status == .ok && ok.headers[.accessControlAllowOrigin] == Self.allowed)
            #expect(ok.headers[.accessControlExposeHeaders]?.contains("X-Request-ID") == true && ok.headers[.vary] == "Origin")
            let unauthorized = try await api.call(.get, "/api/v1/strategies", headers: [.origin: Self.allowed])
            #expect(unauthorized.status == .unauthorized && unauthorized.headers[.accessControlAllowOrigin] == Self.allowed)
            let other = try await api.call(.get, "/api/v1/strategies", token: token, headers: [.origin: "https://evil.example.net"])
            #expect(other.status == .ok && other.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func withoutTheSettingNoCORSHeaderIsSent() async throws {
        try await TestAPI.with("cors_off") { api in
            let answer = try await api.call(.get, "/healthz", headers: [.origin: Self.allowed])
            #expect(answer.status == .ok && answer.headers[.accessControlAllowOrigin] == nil)
            var preflight = HTTPFields()
            preflight[.origin] = Self.allowed
            preflight[.accessControlRequestMethod] = "POST"
            let options = try await api.client.execute(uri: "/api/v1/strategies", method: .options, headers: preflight) { $0 }
            #expect(options.headers[.accessControlAllowOrigin] == nil && options.status == .methodNotAllowed)
        }
    }
}
