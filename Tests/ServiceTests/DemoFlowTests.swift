import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import Service
import Testing

/// The demo flow end to end over real HTTP and WebSocket: a live server with an embedded worker
/// on a real PostgreSQL, and the built `qf demo` as a separate process driving it — register,
/// upload, train (watching the epochs on the WebSocket), evaluate, paper-trade. Then the
/// database must hold exactly what the flow says it did.
@Suite struct DemoFlowTests {
    @Test func qfDemoWalksTheWholeFlowAgainstALiveServer() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
        try await TestDatabase.with("demo_flow") { sql, cluster, name in
            try await Migrator(client: sql, logger: TestDatabase.logger).up()
            var settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": cluster.url(database: name)], logger: TestDatabase.logger)
            settings.primary.options.maximumConnections = 8
            let database = Database(settings: settings, logger: TestDatabase.logger)
            let auth = await AuthService(settings: TestAPI.authSettings(), database: database)
            let data = DataSettings(directory: FileManager.default.temporaryDirectory.appendingPathComponent("qf-demo-\(UUID().uuidString)").path)
            defer { try? FileManager.default.removeItem(atPath: data.directory) }
            let worker = ServiceWorkers.make(database: database, settings: settings, data: data, concurrency: 2, pollInterval: .milliseconds(100), logger: TestDatabase.logger)
            let app = APIServer.application(database: database, auth: auth, data: data, logWriter: nil, worker: worker, events: settings.primaryConnection,
                                            host: "127.0.0.1", port: 0, logger: TestDatabase.logger)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let sample = URL(fileURLWithPath: TestDatabase.projectDirectory).appendingPathComponent("data/synthetic.csv").path
                let result = await (try ProcessRunner.start(["demo", "--url", "http://127.0.0.1:\(port)", "--data", sample, "--username", "walker", "--epochs", "2",
                                                             "--timeout", "240"], environment: [:]))()
                let output = result.output
                #expect(result.status == 0, "\(output)")
                // The epochs arrived over the WebSocket, in order, then the completion.
                let epochLines = output.split(separator: "\n").filter { $0.contains("epoch ") && $0.contains("/2") }
                #expect(epochLines.count == 2 && epochLines[0].contains("epoch 1/2") && epochLines[1].contains("epoch 2/2"), "\(output)")
                #expect(output.contains("status: completed") && output.contains("report: http://127.0.0.1:\(port)/api/v1/evaluations/"), "\(output)")
                #expect(output.contains("status: stopped (replay finished)"), "\(output)")

                // What the database holds after the flow.
                #expect(try await AuthTests.text(sql, "SELECT count(*)::text FROM users WHERE username = 'walker'") == "1")
                #expect(try await AuthTests.text(sql, "SELECT status::text || ' ' || row_count FROM datasets") == "ready 1000")
                #expect(try await AuthTests.text(sql, "SELECT status::text FROM training_jobs") == "completed")
                #expect(try await AuthTests.text(sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics") == "1,2")
                #expect(try await AuthTests.text(sql, "SELECT string_agg(status::text, ',') FROM evaluations") == "completed,completed")
                #expect(try await AuthTests.text(sql, "SELECT status::text || ' ' || (last_run_at IS NOT NULL) FROM strategies") == "stopped true")
                // Every task succeeded (the replay's is recorded just after the status the demo waits for).
                var unfinished = "?"
                for _ in 0..<1200 {   // two minutes: the replay's worker writes it within milliseconds, on a busy machine seconds
                    unfinished = try await AuthTests.text(sql, "SELECT count(*)::text FROM celery_tasks WHERE status NOT IN ('SUCCESS')")
                    if unfinished == "0" { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(unfinished == "0")
            }
        }
    }
}
