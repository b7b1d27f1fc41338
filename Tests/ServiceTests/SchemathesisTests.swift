import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import Service
import Testing

/// schemathesis (from the check venv) against a live server on a database of its own, with every
/// check on: it generates requests from the API document — valid ones, which must be accepted,
/// and invalid ones, which must be refused — and checks every response against the document
/// (status, content type, headers, schema) and that nothing answers 5xx. The hooks sign each
/// request in (`Schemathesis/qf_hooks.py`); `Schemathesis/schemathesis.toml` lists, with
/// reasons, the operations whose rules JSON Schema cannot state.
@Suite struct SchemathesisTests {
    static var folder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Schemathesis").path
    }

    /// The venv's schemathesis, beside its Python.
    static var executable: String? {
        ProcessInfo.processInfo.environment["QF_PYTHON"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("schemathesis").path }
    }

    @Test func schemathesisFindsNoServerErrorAndNoSchemaViolation() async throws {
        let executable = try #require(Self.executable, "QF_PYTHON names the check venv (make test sets it)")
        #expect(FileManager.default.isExecutableFile(atPath: executable), "make test installs schemathesis into the check venv")
        try await TestDatabase.with("schemathesis") { sql, cluster, name in
            try await Migrator(client: sql, logger: TestDatabase.logger).up()
            let settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": cluster.url(database: name)], logger: TestDatabase.logger)
            let data = DataSettings(directory: FileManager.default.temporaryDirectory.appendingPathComponent("qf-st-\(UUID().uuidString)").path,
                                    maxUploadBytes: 256 * 1024)
            defer { try? FileManager.default.removeItem(atPath: data.directory) }
            // The fuzzer fails logins by the thousand, from one address and with the test user's
            // name among others: the login limits (tested by AuthTests) would lock the hooks out.
            let auth = TestAPI.authSettings {
                $0.trustForwardedFor = false
                $0.maxFailuresPerIP = 100_000
                $0.maxFailuresPerUsername = 10_000
            }
            let dependencies = await ServiceDependencies.build(ServiceConfiguration(database: settings, auth: auth, data: data), logger: TestDatabase.logger)
            defer { dependencies.close() }
            let app = APIServer.application(dependencies, logWriter: nil, worker: nil, host: "127.0.0.1", port: 0, logger: TestDatabase.logger)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let url = "http://127.0.0.1:\(port)"
                // A superuser (so /logs answers 200) with a strategy, for the operations on ids.
                let register = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
                                                        body: ByteBuffer(string: #"{"username": "schemer", "email": "schemer@example.com", "password": "schema-check-42"}"#))
                #expect(register.status == .created)
                try await sql.query("UPDATE users SET is_superuser = true WHERE username = 'schemer'", logger: TestDatabase.logger)
                let document = FileManager.default.temporaryDirectory.appendingPathComponent("qf-openapi-\(UUID().uuidString).json").path
                try OpenAPIDocument.json().write(to: URL(fileURLWithPath: document))
                defer { try? FileManager.default.removeItem(atPath: document) }
                let run = try ProcessRunner.spawn(executable: executable, [
                    "--config-file", Self.folder + "/schemathesis.toml", "run", document, "--url", url, "--checks", "all",
                    "--max-examples", "30", "--seed", "7", "--workers", "1", "--no-color",
                ], environment: ["QF_ST_URL": url, "QF_ST_USERNAME": "schemer", "QF_ST_PASSWORD": "schema-check-42",
                                 "SCHEMATHESIS_HOOKS": "qf_hooks", "PYTHONPATH": Self.folder])
                let result = await run.wait()
                let summary = result.output.components(separatedBy: "SUMMARY").last ?? result.output
                #expect(result.status == 0, "schemathesis failed:\n\(result.output.suffix(20_000))")
                #expect(summary.contains("generated") && !summary.contains("Failures:") && !summary.contains("Errors:"), "\(summary)")
            }
        }
    }
}
