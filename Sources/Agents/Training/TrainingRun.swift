import Compute
import Backtest
import Foundation
import Ingest

/// What the final test run reports: TradeMaster's episode metrics from the environment, and the
/// Backtest metrics of the policy run as a strategy (algorithmic trading) or of its equity curve.
public struct TestReport: Codable, Sendable {
    /// The data the test ran on.
    public var source: String
    /// The epoch whose weights were tested (the best one), if known.
    public var epoch: Int?
    public var episode: EpisodeMetrics
    public var backtest: PerformanceMetrics
    /// Task-specific figures (order execution: `mean_shortfall_bps`, `orders`).
    public var extras: [String: Double] = [:]
}

/// A training job ready to run: names resolved, data loaded, agent and environments built.
/// Files go to `directory`: `job.json` (the job as given, for `qf evaluate`), the trainer's
/// `checkpoint.safetensors` and `best.safetensors`, and `test.json` after `test()`.
public final class TrainingRun {
    public let job: TrainingJobConfiguration
    public let resolved: AgentRegistry.Resolved
    public let directory: String?
    let driver: any TrainingDriver

    /// Resolves `job` and loads its data (CSV splits are ingested to HDF5 on the way, as any
    /// user file is).
    public init(job: TrainingJobConfiguration, directory: String?) throws {
        self.job = job
        self.directory = directory
        resolved = try AgentRegistry.resolve(job)
        driver = try Self.makeDriver(resolved, directory: directory)
        if let directory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try encoder.encode(job)), to: "\(directory)/job.json")
        }
    }

    /// Rebuilds the run saved in a training directory (from its `job.json`).
    public convenience init(directory: String) throws {
        let path = "\(directory)/job.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw AgentsError.invalidData("\(directory): no job.json (not a qf train output directory)")
        }
        try self.init(job: try TrainingJobConfiguration.load(path: path), directory: directory)
    }

    public var progress: TrainingProgress { driver.progress }
    public var stepsPerEpoch: Int { driver.stepsPerEpoch }
    public var checkpointPath: String? { directory.map { "\($0)/checkpoint.safetensors" } }

    @discardableResult
    public func resumeIfPossible() throws -> Bool { try driver.resumeIfPossible() }

    /// Trains (see `Trainer.run`); with `throughEpoch`, pauses after that epoch.
    public func run(throughEpoch: Int? = nil, shouldStop: () -> Bool = { false }, onEpoch: (EpochMetrics) -> Void = { _ in }) throws -> TrainingStatus {
        try driver.run(throughEpoch: throughEpoch, shouldStop: shouldStop, onEpoch: onEpoch)
    }

    /// The agent with the best epoch's weights loaded (the last epoch's when no best was kept).
    public func bestAgent() throws -> any TrainableAgent { try driver.bestAgent() }

    /// Loads the best epoch and runs it on the test split (or on `dataPath`), through Backtest.
    public func test(dataPath: String? = nil) throws -> TestReport {
        let report = try driver.test(dataPath: dataPath)
        if let directory, dataPath == nil {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            try AtomicFile.write(Array(try encoder.encode(report)), to: "\(directory)/test.json")
        }
        return report
    }

    static func makeDriver(_ r: AgentRegistry.Resolved, directory: String?) throws -> any TrainingDriver {
        switch r.task {
        case "algorithmic_trading":
            let train = AlgorithmicTradingEnvironment(data: try loadBars(r.data.train!, split: "train", symbol: r.symbol, features: r.features), configuration: r.environment)
            let valid = try r.data.valid.map { AlgorithmicTradingEnvironment(data: try loadBars($0, split: "valid", symbol: r.symbol, features: r.features), configuration: r.environment) }
            let configuration = r.environment
            return try makeDriver(r, train: train, valid: valid, directory: directory, testEnvironment: { path in
                guard let path = path ?? r.data.test else { throw AgentsError.invalidConfiguration("data.test: no test split given") }
                return (AlgorithmicTradingEnvironment(data: try loadBars(path, split: "test", symbol: r.symbol, features: r.features), configuration: configuration), path)
            }, report: { agent, env, source in
                var run = env
                _ = agent.run(&run)
                let backtest = PolicyStrategy.backtest(agent: agent, data: env.data, environment: configuration)
                return TestReport(source: source, episode: run.metrics, backtest: backtest.metrics)
            })
        case "portfolio_management":
            let logReturn = r.portfolioLogReturnReward, fee = r.environment.fee, cash = r.environment.initialCash
            let features = r.features
            let make = { (path: String, split: String) throws -> PortfolioManagementEnvironment in
                var env = PortfolioManagementEnvironment(data: try loadPanel(path, split: split, features: features), flavour: .generic, fee: fee, initialValue: cash)
                env.logReturnReward = logReturn
                return env
            }
            return try makeDriver(r, train: try make(r.data.train!, "train"), valid: try r.data.valid.map { try make($0, "valid") }, directory: directory,
                                  testEnvironment: { path in
                guard let path = path ?? r.data.test else { throw AgentsError.invalidConfiguration("data.test: no test split given") }
                return (try make(path, "test"), path)
            }, report: { agent, env, source in
                var run = env
                _ = agent.run(&run)
                let backtest = PolicyStrategy.backtest(agent: agent, panel: env.data, environment: env)
                return TestReport(source: source, episode: run.metrics, backtest: backtest.metrics)
            })
        case "order_execution":
            let configuration = r.execution
            func report<V>(_ agent: any TrainableAgent, _ env: OrderExecutionEnvironment<V>, _ source: String, spacing: Int64, _ annualization: Annualization) -> TestReport {
                var run = env
                let values = agent.run(&run).values
                var report = equityReport(values: values, source: source, spacing: spacing, annualization: annualization)
                report.extras = ["mean_shortfall_bps": run.meanShortfallBps, "orders": Double(run.orders.count)]
                return report
            }
            if try isOrderBook(r.data.train!) {
                // One snapshot file: 70% train, 15% valid, 15% test (unless splits are given).
                let source = try loadOrderBook(r.data.train!, split: "train")
                let n = source.rows, a = n * 70 / 100, b = n * 85 / 100
                let make = { (venue: OrderBookVenue) in OrderExecutionEnvironment(venue: venue, configuration: configuration) }
                let train = r.data.valid == nil ? source.slice(0..<a) : source
                let valid = try r.data.valid.map { try loadOrderBook($0, split: "valid") } ?? source.slice(a..<b)
                return try makeDriver(r, train: make(train), valid: make(valid), directory: directory, testEnvironment: { path in
                    if let path = path ?? r.data.test { return (make(try loadOrderBook(path, split: "test")), path) }
                    return (make(source.slice(b..<n)), "\(r.data.train!) (last 15%)")
                }, report: { agent, env, source in report(agent, env, source, spacing: 60, .barsPerYear(525_600)) })
            }
            let make = { (path: String, split: String) in
                OrderExecutionEnvironment(data: try loadBars(path, split: split, symbol: r.symbol, features: r.features), configuration: configuration)
            }
            return try makeDriver(r, train: try make(r.data.train!, "train"), valid: try r.data.valid.map { try make($0, "valid") }, directory: directory,
                                  testEnvironment: { path in
                guard let path = path ?? r.data.test else { throw AgentsError.invalidConfiguration("data.test: no test split given") }
                return (try make(path, "test"), path)
            }, report: { agent, env, source in report(agent, env, source, spacing: 86_400, .calendarDays) })
        case "high_frequency_trading":
            // The snapshots split in time: 70% train, 15% valid, 15% test (unless given separately).
            let source = try HighFrequencyData.load(directory: r.data.train!)
            let n = source.rows, a = n * 70 / 100, b = n * 85 / 100
            var configuration = HighFrequencyTradingEnvironment.Configuration()
            configuration.initialCash = r.environment.initialCash
            let train = r.data.valid == nil ? source.slice(0..<a) : source
            let valid = try r.data.valid.map { try HighFrequencyData.load(directory: $0) } ?? source.slice(a..<b)
            let test = { (path: String?) throws -> (HighFrequencyData, String) in
                if let path = path ?? r.data.test { return (try HighFrequencyData.load(directory: path), path) }
                return (source.slice(b..<n), "\(r.data.train!) (last 15%)")
            }
            return try makeDriver(r, train: HighFrequencyTradingEnvironment(data: train, configuration: configuration),
                                  valid: HighFrequencyTradingEnvironment(data: valid, configuration: configuration), directory: directory,
                                  testEnvironment: { path in
                let (data, name) = try test(path)
                return (HighFrequencyTradingEnvironment(data: data, configuration: configuration), name)
            }, report: { agent, env, source in
                var run = env
                // A year of seconds, as TradeMaster annualises its HFT Sharpe ratio.
                return equityReport(values: agent.run(&run).values, source: source, spacing: 1, annualization: .barsPerYear(31_536_000),
                                    periodsPerYear: 31_536_000)
            })
        default:
            let series: (UInt64, Int) -> ReturnSeriesEnvironment = r.dataset == "synthetic:ar1"
                ? { ReturnSeriesEnvironment.autoregressive(returns: $1, phi: 0.3, seed: $0) }
                : { ReturnSeriesEnvironment.randomWalk(prices: $1 + 1, seed: $0) }
            let trainLength = r.dataset == "synthetic:ar1" ? 20_000 : 100_000
            return try makeDriver(r, train: series(0, trainLength), valid: series(1, 5_000), directory: directory, testEnvironment: { path in
                guard path == nil else { throw AgentsError.invalidConfiguration("data: synthetic datasets are generated; a test file cannot be given") }
                return (series(2, 5_000), r.dataset)
            }, report: { agent, env, source in
                var run = env
                return equityReport(values: agent.run(&run).values, source: source, spacing: 86_400, annualization: .tradingDays)
            })
        }
    }

    static func makeDriver<E: TradingEnvironment>(_ r: AgentRegistry.Resolved, train: E, valid: E?, directory: String?,
                                                  testEnvironment: @escaping (String?) throws -> (E, String),
                                                  report: @escaping (any TrainableAgent, E, String) -> TestReport) throws -> any TrainingDriver {
        let stepsPerEpoch = train.probedEpisodeLength
        let seed = r.trainer.seed
        switch r.algorithm {
        case .dqn(let c):
            let agent = DQNAgent(observationCount: train.observationCount, actionCount: train.actionCount, configuration: c, seed: seed,
                                 replayCapacity: stepsPerEpoch * r.trainer.epochs)
            return Driver(trainer: Trainer(agent: agent, train: train, valid: valid, configuration: r.trainer, directory: directory),
                          testEnvironment: testEnvironment, report: report)
        case .policyGradient(let c):
            let agent = try PolicyGradientAgent(observationCount: train.observationCount, actionSpace: train.actionSpace, configuration: c, seed: seed)
            return Driver(trainer: Trainer(agent: agent, train: train, valid: valid, configuration: r.trainer, directory: directory),
                          testEnvironment: testEnvironment, report: report)
        }
    }

    /// The metrics of an equity curve with one bar every `spacing` seconds from 2000-01-01 (the
    /// environments without a calendar of their own), TradeMaster's and Backtest's.
    static func equityReport(values: [Double], source: String, spacing: Int64, annualization: Annualization,
                             periodsPerYear: Double = 252) -> TestReport {
        let daily = [0] + (1..<values.count).map { values[$0] / values[$0 - 1] - 1 }
        let timestamps = (0..<values.count).map { 946_684_800_000_000_000 + Int64($0) * spacing * 1_000_000_000 }
        return TestReport(source: source, episode: EpisodeMetrics(assets: values, dailyReturns: daily, periodsPerYear: periodsPerYear),
                          backtest: PerformanceMetrics(equity: values, timestamps: timestamps, trades: [], annualization: annualization))
    }

    /// A panel of assets from a CSV (ingested to a temporary HDF5 file) or an HDF5 bar file;
    /// with `features`, their columns per asset instead of TradeMaster's.
    public static func loadPanel(_ path: String, split: String, features: [String]? = nil) throws -> PortfolioData {
        try withBarFile(path, split: split) { file in
            if let features { return try PortfolioData(file: file, features: features) }
            return try PortfolioData(file: file)
        }
    }

    /// Opens `path` as a bar file, ingesting a CSV to a temporary HDF5 file first.
    static func withBarFile<T>(_ path: String, split: String, _ read: (BarFile) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw AgentsError.invalidData("data.\(split): \(path) does not exist") }
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") { return try read(try BarFile(path: path)) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let h5 = dir.appendingPathComponent("\(split).h5").path
        _ = try CSVIngestor.ingest(csv: path, to: h5)
        return try read(try BarFile(path: h5))
    }

    /// Limit-order-book snapshots from a CSV or an HDF5 bar file.
    public static func loadOrderBook(_ path: String, split: String) throws -> OrderBookVenue {
        try withBarFile(path, split: split) { try OrderBookVenue(file: $0) }
    }

    /// Whether a data file holds order-book snapshots (a `midpoint` column) rather than bars.
    static func isOrderBook(_ path: String) throws -> Bool {
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") {
            let file = try BarFile(path: path)
            return try file.symbols.first.map { try file.columns(of: $0).contains("midpoint") } ?? false
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw AgentsError.invalidData("\(path) does not exist") }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 4_096), as: UTF8.self)
        return head.split(separator: "\n").first?.split(separator: ",").contains("midpoint") ?? false
    }

    /// Daily bars from a CSV (ingested to a temporary HDF5 file) or an HDF5 bar file.
    /// With `features`, their columns instead of TradeMaster's (see `AlgorithmicTradingData`).
    public static func loadBars(_ path: String, split: String, symbol: String? = nil, features: [String]? = nil) throws -> AlgorithmicTradingData {
        try withBarFile(path, split: split) { file in
            if let symbol, !file.symbols.contains(symbol) {
                throw AgentsError.invalidConfiguration("config.symbol: data.\(split) has no symbol \(symbol) (it has \(file.symbols.joined(separator: ", ")))")
            }
            if let features { return try AlgorithmicTradingData(file: file, symbol: symbol, features: features) }
            return try AlgorithmicTradingData(file: file, symbol: symbol)
        }
    }
}

/// The type-erased face of a `Trainer` and its test step.
protocol TrainingDriver: AnyObject {
    var progress: TrainingProgress { get }
    var stepsPerEpoch: Int { get }
    func resumeIfPossible() throws -> Bool
    func run(throughEpoch: Int?, shouldStop: () -> Bool, onEpoch: (EpochMetrics) -> Void) throws -> TrainingStatus
    func test(dataPath: String?) throws -> TestReport
    func bestAgent() throws -> any TrainableAgent
}

final class Driver<A: TrainableAgent, E: TradingEnvironment>: TrainingDriver {
    let trainer: Trainer<A, E>
    let testEnvironment: (String?) throws -> (E, String)
    let report: (any TrainableAgent, E, String) -> TestReport

    init(trainer: Trainer<A, E>, testEnvironment: @escaping (String?) throws -> (E, String), report: @escaping (any TrainableAgent, E, String) -> TestReport) {
        self.trainer = trainer
        self.testEnvironment = testEnvironment
        self.report = report
    }

    var progress: TrainingProgress { trainer.progress }
    var stepsPerEpoch: Int { trainer.progress.stepsPerEpoch > 0 ? trainer.progress.stepsPerEpoch : trainer.train.probedEpisodeLength }
    func resumeIfPossible() throws -> Bool { try trainer.resumeIfPossible() }
    func run(throughEpoch: Int?, shouldStop: () -> Bool, onEpoch: (EpochMetrics) -> Void) throws -> TrainingStatus {
        try trainer.run(throughEpoch: throughEpoch, shouldStop: shouldStop, onEpoch: onEpoch)
    }

    func bestAgent() throws -> any TrainableAgent {
        try trainer.restoreBest()
        return trainer.agent
    }

    func test(dataPath: String?) throws -> TestReport {
        try trainer.restoreBest()
        let (env, source) = try testEnvironment(dataPath)
        var r = report(trainer.agent, env, source)
        r.epoch = trainer.progress.bestEpoch
        return r
    }
}
