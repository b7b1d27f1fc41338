import Foundation
import Logging
import PostgresNIO
@testable import Service
import Testing

/// Log records at WARNING and above reach `system_logs` in batches with their context; lower
/// levels do not; a full queue drops the oldest and counts them.
@Suite struct SystemLogWriterTests {
    @Test func warningsAndAboveAreWrittenInBatchesWithTheirContext() async throws {
        try await TestDatabase.with("logs") { client, _, _ in
            try await Migrator(client: client, logger: TestDatabase.logger).up()
            try await client.query("INSERT INTO users (username, email, hashed_password) VALUES ('ada', 'ada@example.com', 'x')", logger: TestDatabase.logger)
            let writer = SystemLogWriter(client: client, batchSize: 2)
            var logger = Logger(label: "backtest") { writer.handler(label: $0) }
            logger[metadataKey: "request_id"] = "req_abc"
            logger.info("not stored")
            logger.warning("slow query", metadata: ["ms": "1500", "stack_trace": "frame 1\nframe 2"])
            logger.error("job failed", metadata: ["user_id": "1", "module": "worker"])
            logger.critical("disk full", metadata: ["user_id": "999"])
            #expect(writer.pending == 3)
            #expect(try await writer.flush() == 3 && writer.pending == 0)
            var rows: [String] = []
            let query: PostgresQuery = """
                SELECT level::text || '|' || message || '|' || coalesce(module, '') || '|' || coalesce(request_id, '') || '|' ||
                       coalesce(user_id::text, '') || '|' || metadata::text || '|' || (function_name IS NOT NULL)::text
                FROM system_logs ORDER BY id
                """
            for try await row in try await client.query(query, logger: TestDatabase.logger).decode(String.self) { rows.append(row) }
            #expect(rows == [
                "WARNING|slow query|backtest|req_abc||{\"ms\": \"1500\"}|true",
                "ERROR|job failed|worker|req_abc|1|{\"user_id\": \"1\"}|true",
                "CRITICAL|disk full|backtest|req_abc||{\"user_id\": \"999\"}|true",
            ], "\(rows)")
            var traces: [String] = []
            for try await t in try await client.query("SELECT coalesce(stack_trace, '-') FROM system_logs ORDER BY id", logger: TestDatabase.logger).decode(String.self) {
                traces.append(t)
            }
            #expect(traces.first == "frame 1\nframe 2", "a trace given in the metadata is stored as given")
            #expect(traces.dropFirst().allSatisfy { $0.split(separator: "\n").count > 3 }, "errors get the call stack where they were logged")
        }
    }

    @Test func aFullQueueDropsTheOldestAndCountsThem() async throws {
        try await TestDatabase.with("logs_full") { client, _, _ in
            let writer = SystemLogWriter(client: client, capacity: 3)
            let logger = Logger(label: "t") { writer.handler(label: $0) }
            for i in 0..<5 { logger.warning("w\(i)") }
            #expect(writer.pending == 3 && writer.dropped == 2)
            // No schema yet: the flush fails and keeps the records for the next try.
            await #expect(throws: (any Error).self) { try await writer.flush() }
            #expect(writer.pending == 3)
            try await Migrator(client: client, logger: TestDatabase.logger).up()
            #expect(try await writer.flush() == 3)
            var messages: [String] = []
            for try await m in try await client.query("SELECT message FROM system_logs ORDER BY id", logger: TestDatabase.logger).decode(String.self) { messages.append(m) }
            #expect(messages == ["w2", "w3", "w4"])
        }
    }
}
