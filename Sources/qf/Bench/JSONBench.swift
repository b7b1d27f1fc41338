import ArgumentParser
import Foundation
import Service

/// `qf bench json`: the response encoder against Foundation's JSONEncoder on the API's hottest
/// answer, a page of strategies in the envelope (the shape of `StrategyRecord`, whose fields and
/// nesting it copies), and on a large free-form value (an evaluation's charts). Foundation is set
/// up as it would have to be to give the same keys and dates (`.convertToSnakeCase`, `.iso8601`).
struct JSONBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "json", abstract: "Benchmark the response encoder against JSONEncoder.")

    @Option(help: "Records per page.") var pageSize = 20
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "Only encode the page with StreamingJSONEncoder this many times (for a profiler).") var profilePage: Int?

    /// A strategy's figures, as `StrategyRecord.Performance`.
    struct Performance: Encodable {
        var totalReturn: Double?
        var sharpeRatio: Double?
        var maxDrawdown: Double?
        var winRate: Double?
    }

    /// A strategy as the API shows it.
    struct Strategy: Encodable {
        var id: Int
        var name: String
        var description: String?
        var strategyType: String
        var status: String
        var version: String
        var config: JSONValue
        var parameters: JSONValue
        var performance: Performance
        var ownerID: Int?
        var parentStrategyID: Int?
        var tags: [String]
        var category: String?
        var createdAt: Date?
        var updatedAt: Date?
        var lastRunAt: Date?
    }

    /// A page of a list, as `Page`.
    struct PageOf<Item: Encodable>: Encodable {
        var items: [Item]
        var total: Int
        var page: Int
        var size: Int
        var pages: Int
    }

    /// The success envelope, as the API's.
    struct Envelope<T: Encodable>: Encodable {
        var success = true
        var data: T
        var message = "Success"
        var code = 200
        var timestamp = 1_796_000_000
        var requestID = "0f8e4a8c-2b1d-4c5e-9a7f-3d6b2e1c0a99"
    }

    /// What `--json` writes.
    struct Results: Encodable {
        var pageSize: Int
        var pageBytes: Int
        var oursPageMicroseconds: Double
        var foundationPageMicroseconds: Double
        var chartsBytes: Int
        var oursChartsMicroseconds: Double
        var foundationChartsMicroseconds: Double
    }

    func run() throws {
        let created = Date(timeIntervalSince1970: 1_767_225_600)
        let config = JSONValue.object(["agent": .string("dqn"), "epochs": .int(10), "net": .array([.int(128), .int(128)])])
        let parameters = JSONValue.object(["gamma": .double(0.99), "lr": .double(0.001)])
        var strategies: [Strategy] = []
        for n in 0..<pageSize {
            let performance = Performance(totalReturn: Double(n % 200 - 50), sharpeRatio: Double(n % 40 - 20) / 10, maxDrawdown: nil, winRate: nil)
            strategies.append(Strategy(id: 1_000 + n, name: "strategy \(n)", description: "benchmark strategy number \(n)",
                                       strategyType: "algorithmic_trading", status: "draft", version: "1.0.0", config: config, parameters: parameters,
                                       performance: performance, ownerID: 1, parentStrategyID: nil, tags: ["bench", "group\(n % 10)"],
                                       category: "momentum", createdAt: created.addingTimeInterval(Double(n) * 60), updatedAt: created, lastRunAt: nil))
        }
        let page = Envelope(data: PageOf(items: strategies, total: 1_000, page: 3, size: pageSize, pages: 1_000 / pageSize))
        // An equity chart of 2,000 points per series, as an evaluation's `charts` holds.
        var series: [JSONValue] = []
        for s in 0..<4 {
            let x = (0..<2_000).map { JSONValue.int(1_700_000_000 + Int64($0) * 86_400) }
            let y = (0..<2_000).map { JSONValue.double(1 + Double($0 * (s + 1)) * 1e-4 + sin(Double($0)) * 1e-3) }
            series.append(.object(["name": .string("equity \(s)"), "x": .array(x), "y": .array(y)]))
        }
        let charts = JSONValue.array(series)
        let ours = StreamingJSONEncoder()
        if let profilePage {
            for _ in 0..<profilePage { _ = try ours.encode(page) }
            return
        }
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        foundation.dateEncodingStrategy = .iso8601
        // Both give the same value (Foundation leaves nil keys out, ours writes null) before either is timed.
        func withoutNulls(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let members): .object(members.filter { $0.value != .null }.mapValues(withoutNulls))
            case .array(let items): .array(items.map(withoutNulls))
            default: value
            }
        }
        let oursPage = try ours.encode(page), foundationPage = try foundation.encode(page)
        guard withoutNulls(try JSONValue.parse(bytes: oursPage)) == (try JSONValue.parse(bytes: Array(foundationPage))) else {
            throw ValidationError("the two encoders disagree on the page")
        }
        let oursCharts = try ours.encode(charts)

        let oursPageTime = Timing.measure { _ = try? ours.encode(page) }
        let foundationPageTime = Timing.measure { _ = try? foundation.encode(page) }
        let oursChartsTime = Timing.measure(repeats: 5, minTime: 0.3, warmup: 3) { _ = try? ours.encode(charts) }
        let foundationChartsTime = Timing.measure(repeats: 5, minTime: 0.3, warmup: 3) { _ = try? foundation.encode(charts) }
        let results = Results(pageSize: pageSize, pageBytes: oursPage.count,
                              oursPageMicroseconds: oursPageTime.medianSeconds * 1e6, foundationPageMicroseconds: foundationPageTime.medianSeconds * 1e6,
                              chartsBytes: oursCharts.count,
                              oursChartsMicroseconds: oursChartsTime.medianSeconds * 1e6, foundationChartsMicroseconds: foundationChartsTime.medianSeconds * 1e6)
        print(String(format: "page of %d strategies (%d bytes): StreamingJSONEncoder %.1f µs, JSONEncoder %.1f µs (%.1f×)", pageSize, oursPage.count,
                     results.oursPageMicroseconds, results.foundationPageMicroseconds, results.foundationPageMicroseconds / results.oursPageMicroseconds))
        print(String(format: "charts (%d bytes): StreamingJSONEncoder %.0f µs, JSONEncoder %.0f µs (%.1f×)", oursCharts.count,
                     results.oursChartsMicroseconds, results.foundationChartsMicroseconds, results.foundationChartsMicroseconds / results.oursChartsMicroseconds))
        if let json { try writeBenchJSON(results, to: json) }
    }
}
