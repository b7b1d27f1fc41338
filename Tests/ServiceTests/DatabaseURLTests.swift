import Service
import PostgresNIO
import Testing

@Suite struct DatabaseURLTests {
    @Test func parsesFullURL() throws {
        let url = try DatabaseURL("postgresql://quant:p%40ss@db.internal:6543/forge?sslmode=require")
        #expect(url.user == "quant" && url.password == "p@ss" && url.host == "db.internal")
        #expect(url.port == 6543 && url.database == "forge" && url.parameters["sslmode"] == "require")
        #expect(!url.isUnixSocket)
    }

    @Test func defaultsAndUnixSockets() throws {
        let plain = try DatabaseURL("postgres://localhost")
        #expect(plain.user == "postgres" && plain.port == 5432 && plain.database == "postgres" && plain.password == nil)
        let socket = try DatabaseURL("postgres://qf@/quantforge?host=/tmp/qf-pg")
        #expect(socket.host == "/tmp/qf-pg" && socket.isUnixSocket && socket.database == "quantforge")
        let v6 = try DatabaseURL("postgres://u@[::1]:5433/d")
        #expect(v6.host == "::1" && v6.port == 5433)
    }

    @Test func rejectsBadURLsWithoutLeakingPasswords() {
        for (text, reason) in [("mysql://a@b/c", "scheme 'mysql'"), ("localhost:5432", "missing scheme"),
                               ("postgres://u:secret@h:99999/d", "port '99999'"), ("postgres://u:secret@/d", "no host")] {
            #expect {
                _ = try DatabaseURL(text)
            } throws: { error in
                let message = "\(error)"
                return message.contains(reason) && !message.contains("secret")
            }
        }
        #expect(DatabaseURL.redacted("postgres://u:secret@h/d") == "postgres://u:***@h/d")
    }

    @Test func poolSizeComesFromTheEnvironment() async throws {
        let url = ["DATABASE_URL": "postgres://qf@db.example:5432/qf", "DATABASE_READ_URL": "postgres://qf@replica.example/qf"]
        let sized = try await DatabaseSettings.resolve(environment: url.merging(["QF_DB_POOL_SIZE": "5"]) { $1 }, logger: TestDatabase.logger)
        #expect(sized.primary.options.maximumConnections == 5 && sized.replica?.options.maximumConnections == 5)
        let standard = try await DatabaseSettings.resolve(environment: url, logger: TestDatabase.logger)
        #expect(standard.primary.options.maximumConnections == PostgresClient.Configuration.Options().maximumConnections)
        for bad in ["0", "1001", "many"] {
            do {
                _ = try await DatabaseSettings.resolve(environment: url.merging(["QF_DB_POOL_SIZE": bad]) { $1 }, logger: TestDatabase.logger)
                Issue.record("QF_DB_POOL_SIZE=\(bad) was accepted")
            } catch let error as DatabaseSettings.Invalid {
                #expect(error.description.contains("QF_DB_POOL_SIZE") && error.description.contains(bad))
            }
        }
    }
}
