import Testing
@testable import RedisClient

@Suite struct RedisEndpointTests {
    @Test func theFormsRedisCliTakes() throws {
        #expect(try RedisEndpoint(url: "redis://localhost", name: "X") == RedisEndpoint(host: "localhost"))
        #expect(try RedisEndpoint(url: "redis://10.0.0.5:6380/2", name: "X") == RedisEndpoint(host: "10.0.0.5", port: 6380, database: 2))
        #expect(try RedisEndpoint(url: "redis://:p%40ss@h:1", name: "X") == RedisEndpoint(host: "h", port: 1, password: "p@ss"))
        #expect(try RedisEndpoint(url: "redis://app:s3cret@h/", name: "X") == RedisEndpoint(host: "h", username: "app", password: "s3cret"))
        #expect(try RedisEndpoint(url: "redis://[::1]:7000", name: "X") == RedisEndpoint(host: "::1", port: 7000))
    }

    @Test func badURLsNameTheVariableAndTheProblem() {
        let cases: [(String, String)] = [("http://h", "scheme"), ("rediss://h", "TLS"), ("redis://h:0", "port"), ("redis://h:x", "port"),
                                         ("redis://h/abc", "database"), ("redis://", "host"), ("redis://:%zz@h", "hex")]
        for (url, expected) in cases {
            #expect {
                _ = try RedisEndpoint(url: url, name: "REDIS_URL")
            } throws: { error in
                let text = String(describing: error)
                return text.hasPrefix("REDIS_URL: ") && text.contains(expected)
            }
        }
    }

    @Test func theDescriptionHidesThePassword() throws {
        let endpoint = try RedisEndpoint(url: "redis://:hunter2@h:1/3", name: "X")
        #expect(endpoint.description == "redis://:***@h:1/3")
    }
}
