import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Service
import Testing

/// Every documented operation, driven with hostile values: in each path parameter, in each query
/// parameter, and in each body field of an otherwise valid body (one field at a time). Nothing
/// may answer 5xx — a trap would end the test process itself — and nothing may be stored.
@Suite struct RouteFuzzTests {
    /// Values no field takes: NUL, lone surrogates (as JSON escapes), extremes, wrong types, a
    /// megabyte, deep nesting.
    static let hostileJSON: [String] = [
        #""a\u0000b""#, #""\ud800""#, "-1", "0", "9223372036854775807", "-9223372036854775808", "99999999999999999999999", "1e308", "-1e308",
        "1e-320", "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", "\"" + String(repeating: "x", count: 1 << 20) + "\"",
    ]
    /// Values that are valid text or objects, however they look: stored as given (never executed
    /// or followed), so only the absence of a 5xx is asserted for them.
    static let suspiciousJSON: [String] = ["\"'; DROP TABLE users; --\"", #""../../etc/passwd""#, #"{"$gt": ""}"#, #""<script>alert(1)</script>""#,
                                           "true", "[]", "\"" + String(repeating: "é", count: 5000) + "\""]
    static let hostileQuery: [String] = ["%00", "-1", "0", "9223372036854775808", "99999999999999999999", "1e400", "NaN", "%ff%fe",
                                         String(repeating: "a", count: 20_000), "-created_at,-created_at", "%27%3B--", "true"]
    static let hostilePath: [String] = ["0", "-1", "2147483648", "9223372036854775807", "99999999999999999999", "1e3", "%00", "abc", "..%2F..%2Fetc",
                                        String(repeating: "9", count: 5_000)]

    @Test func everyRouteSurvivesHostileValuesAndStoresNothing() async throws {
        try await TestAPI.with("route_fuzz") { api in
            let (token, refresh, _) = try await api.signUp("fuzzer")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let valid: [String: [String: Any]] = [
                "post /api/v1/auth/register": ["username": "newbie", "email": "newbie@example.com", "password": "correct-horse-42", "full_name": "N"],
                "post /api/v1/auth/login": ["username": "fuzzer", "password": "correct-horse-42", "remember_me": false],
                "post /api/v1/strategies": ["name": "s", "description": "d", "strategy_type": "algorithmic_trading", "config": [:], "parameters": [:],
                                            "tags": ["t"], "category": "c"],
                "put /api/v1/strategies/{id}": ["name": "s2", "description": "d", "config": ["a": 1], "parameters": [:], "tags": ["t"], "category": "c",
                                                "changelog": "c", "version_bump": "minor"],
                "post /api/v1/strategies/{id}/clone": ["name": "copy"],
                "post /api/v1/data/datasets/{id}/preprocess": ["operations": [["type": "fill_missing", "method": "ffill"]], "name": "p", "description": "d"],
                "post /api/v1/training/jobs": ["name": "j", "description": "d", "strategy_id": strategyID, "dataset_id": datasetID,
                                               "config": TrainingJobTests.dqn, "hyperparameters": ["epochs": 1]],
                "post /api/v1/evaluations": ["name": "e", "evaluation_type": "backtest", "strategy_id": strategyID, "dataset_id": datasetID, "config": [:]],
                "put /api/v1/users/me": ["full_name": "F", "avatar_url": "https://example.com/a.png", "settings": [:]],
            ]
            let before = try await Self.fingerprint(api)
            var sent = 0
            var accepted: [String] = []
            func send(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, bearer: String = token) async throws {
                var headers: HTTPFields = [.authorization: "Bearer \(bearer)"]
                if body != nil { headers[.contentType] = "application/json" }
                let status = try await api.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0.status }
                sent += 1
                if status.code < 300 && method != .get && body != nil { accepted.append("\(method) \(uri) \(body!.prefix(200))") }
                #expect(status.code < 500, "\(method) \(uri.prefix(120)) \(body.map { String($0.prefix(120)) } ?? ""): \(status)")
            }
            for operation in OpenAPIDocument.operations where operation.path != "/api/v1/data/upload" {
                let method = HTTPRequest.Method(rawValue: operation.method.uppercased())!
                let key = "\(operation.method) \(operation.path)"
                let bearer = operation.path == "/api/v1/auth/refresh" ? refresh : token
                // Path parameters: hostile in each position, the others valid.
                let parameters = operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map(String.init)
                func path(_ replacing: String?, with value: String) -> String {
                    var path = operation.path
                    for parameter in parameters {
                        let own = parameter == "{version}" ? "1.0.0" : parameter == "{id}" ? String(operation.path.contains("datasets") ? datasetID : strategyID) : "1"
                        path = path.replacingOccurrences(of: parameter, with: parameter == replacing ? value : own)
                    }
                    return path
                }
                let destructive = method == .delete || operation.path.hasSuffix("/start") || operation.path.hasSuffix("/stop")
                    || operation.path.hasSuffix("/logout") || operation.path.hasSuffix("/cancel") || operation.path.hasSuffix("/activate")
                for parameter in parameters {
                    for value in Self.hostilePath { try await send(method, path(parameter, with: value), body: method == .get ? nil : "{}", bearer: bearer) }
                }
                // Query parameters (on a path with valid ids, unless the operation changes state).
                if !destructive {
                    for name in operation.query {
                        for value in Self.hostileQuery { try await send(method, "\(path(nil, with: ""))?\(name)=\(value)", bearer: bearer) }
                    }
                }
                // Body fields: a valid body with one field hostile.
                if let body = valid[key] {
                    for field in operation.bodyFields {
                        for value in Self.hostileJSON {
                            var object = body
                            object[field] = nil
                            let base = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
                            let text = base == "{}" ? "{\"\(field)\": \(value)}" : String(base.dropLast()) + ", \"\(field)\": \(value)}"
                            try await send(method, path(nil, with: ""), body: text, bearer: bearer)
                        }
                    }
                }
            }
            let after = try await Self.fingerprint(api)
            #expect(after == before, "nothing stored or changed: \(before) → \(after); accepted: \(accepted)")
            for (key, body) in valid {
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                let path = parts[1].replacingOccurrences(of: "{id}", with: String(parts[1].contains("datasets") ? datasetID : strategyID))
                for field in body.keys.sorted() {
                    for value in Self.suspiciousJSON {
                        var object = body
                        object[field] = nil
                        let base = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
                        try await send(HTTPRequest.Method(rawValue: parts[0].uppercased())!, path, body: String(base.dropLast()) + ", \"\(field)\": \(value)}")
                    }
                }
            }
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM strategies WHERE name LIKE '%DROP TABLE users%'") != "0", "stored as written")
            #expect(sent > 1_000, "\(sent) requests")
            #expect(try await api.call(.get, "/healthz").status == .ok, "still serving")
        }
    }

    /// The rows a request could create or change, hashed.
    static func fingerprint(_ api: TestAPI.Harness) async throws -> String {
        try await AuthTests.text(api.sql, """
            SELECT concat_ws('|', (SELECT count(*) || ':' || coalesce(sum(hashtext(u.username || coalesce(u.full_name, '') || coalesce(u.avatar_url, '') || coalesce(u.settings::text, ''))), 0) FROM users u),
                                  (SELECT count(*) || ':' || coalesce(sum(hashtext(s.name || coalesce(s.description, '') || s.config::text || s.version || s.status::text)), 0) FROM strategies s),
                                  (SELECT count(*) FROM strategy_versions), (SELECT count(*) FROM datasets), (SELECT count(*) FROM training_jobs),
                                  (SELECT count(*) FROM evaluations), (SELECT count(*) FROM celery_tasks))
            """)
    }
}
