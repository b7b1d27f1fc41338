import Foundation
@testable import Service
import Testing

/// The API document itself: the checked-in copy is what the server serves, and the validator
/// that every HTTP suite's responses pass through does reject what the document forbids.
@Suite struct OpenAPIDocumentTests {
    static var checkedIn: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/QuantForgeClient/openapi.json")
    }

    @Test func theCheckedInDocumentIsTheServedOne() throws {
        let served = try OpenAPIDocument.json()
        let file = try Data(contentsOf: Self.checkedIn)
        #expect(file == served, "Sources/QuantForgeClient/openapi.json differs from the document the code generates: run `make openapi`")
    }

    @Test func theValidatorRejectsWhatTheDocumentForbids() throws {
        let validator = OpenAPIValidator.shared
        func check(_ status: Int, _ json: String, _ method: String = "GET", _ uri: String = "/api/v1/users/me") -> [String] {
            validator.problems(method: method, uri: uri, status: status, contentType: "application/json; charset=utf-8", body: Array(json.utf8))
        }
        let user = #"{"avatar_url":null,"created_at":"2026-12-03T01:02:03Z","email":"a@b.co","full_name":null,"id":7,"is_active":true,"is_superuser":false,"is_verified":false,"last_login_at":null,"login_count":0,"settings":{},"updated_at":null,"username":"ann"}"#
        let envelope = { (data: String) in #"{"code":200,"data":\#(data),"message":"Success","request_id":"r","success":true,"timestamp":1}"# }
        #expect(check(200, envelope(user)).isEmpty)
        #expect(!check(200, envelope(user.replacingOccurrences(of: #""id":7"#, with: #""id":"7""#))).isEmpty, "a mistyped field")
        #expect(!check(200, envelope(user.replacingOccurrences(of: #""login_count":0,"#, with: ""))).isEmpty, "a missing field")
        #expect(!check(200, envelope(user.replacingOccurrences(of: #""username":"ann"}"#, with: #""username":"ann","password_hash":"x"}"#))).isEmpty,
                "an undocumented field")
        #expect(!check(200, envelope(user.replacingOccurrences(of: "2026-12-03T01:02:03Z", with: "yesterday"))).isEmpty, "a bad date-time")
        #expect(!check(201, envelope(user)).isEmpty, "an undocumented success status")
        #expect(!check(404, envelope(user)).isEmpty, "a success body under an error status")
        #expect(check(404, #"{"error":{"code":404,"details":[],"message":"m","type":"not_found"},"request_id":"r","success":false,"timestamp":1}"#).isEmpty)
        #expect(!check(200, envelope(#"{"id":1,"status":"bogus"}"#), "GET", "/api/v1/strategies/1").isEmpty, "a status outside its enum")
        #expect(!check(200, "{}", "GET", "/no/such/path").isEmpty, "an undocumented path")
    }
}
