import Foundation

/// One-second limit-order-book snapshots for the high-frequency task: five levels of bid and ask
/// (price, size) and the normalised features TradeMaster's HFT environment observes.
public struct HighFrequencyData: Sendable {
    /// The feature columns the observation uses: TradeMaster's normalised order-book and candle
    /// features and its Alpha158-style rolling features (its config picks 66 of these; its list
    /// is not in the data, so all 76 are used).
    public static let features: [String] = {
        var names = ["buy_volume_oe", "sell_volume_oe"] + (1...5).map { "bid\($0)_size_n" } + (1...5).map { "ask\($0)_size_n" }
        names += ["buy_spread_oe", "sell_spread_oe", "imblance_volume_oe", "open", "high", "close", "low", "wap", "trade_diff",
                  "trade_speard", "kmid", "klen", "kmid2", "kup", "kup2", "klow", "klow2", "ksft", "ksft2"]
        for kind in ["roc", "ma", "std", "beta", "max", "min", "qtlu", "qtld", "rsv", "imax", "imin", "imxd", "cntp", "cntn", "cntd"] {
            for window in [10, 30, 60] { names.append("\(kind)_\(window)") }
        }
        return names
    }()

    /// bidPrice[level][row], level 0 the best; likewise for sizes and asks.
    public let bidPrice: [[Double]]
    public let bidSize: [[Double]]
    public let askPrice: [[Double]]
    public let askSize: [[Double]]
    /// features[row * features.count + j].
    public let features: [Float]
    public var rows: Int { bidPrice[0].count }

    public init(bidPrice: [[Double]], bidSize: [[Double]], askPrice: [[Double]], askSize: [[Double]], features: [Float]) {
        precondition([bidPrice, bidSize, askPrice, askSize].allSatisfy { $0.count == 5 && $0.allSatisfy { $0.count == bidPrice[0].count } }
                     && features.count == bidPrice[0].count * Self.features.count, "HighFrequencyData: five levels per side, one row of features per snapshot")
        self.bidPrice = bidPrice
        self.bidSize = bidSize
        self.askPrice = askPrice
        self.askSize = askSize
        self.features = features
    }

    /// Rows `range` only (a split).
    public func slice(_ range: Range<Int>) -> HighFrequencyData {
        let f = Self.features.count
        return HighFrequencyData(bidPrice: bidPrice.map { Array($0[range]) }, bidSize: bidSize.map { Array($0[range]) },
                                 askPrice: askPrice.map { Array($0[range]) }, askSize: askSize.map { Array($0[range]) },
                                 features: Array(features[(range.lowerBound * f)..<(range.upperBound * f)]))
    }

    /// Reads every order-book CSV under `directory` (TradeMaster's small_BTC slices, or one whole
    /// file; CSVs without `index` and `bid1_price` columns are other tables and are passed over),
    /// orders the rows by the `index` column and drops repeated indices. Errors name the file,
    /// line and column.
    public static func load(directory: String) throws -> HighFrequencyData {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory) else { throw AgentsError.invalidData("\(directory) does not exist") }
        let files = isDirectory.boolValue
            ? (fm.enumerator(atPath: directory)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".csv") }.sorted().map { "\(directory)/\($0)" } ?? [])
            : [directory]
        guard !files.isEmpty else { throw AgentsError.invalidData("\(directory): no CSV files") }
        var byIndex: [Int: [Double]] = [:]
        var loaded = 0
        let wanted = ["index"] + (1...5).flatMap { ["bid\($0)_price", "bid\($0)_size", "ask\($0)_price", "ask\($0)_size"] } + features
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw AgentsError.invalidData("\(file): cannot read") }
            var lines = text.split(whereSeparator: \.isNewline)
            guard !lines.isEmpty else { continue }
            let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            // Other tables beside the snapshots (TradeMaster keeps a metrics file there) are not
            // order books; a file that is one must have every column.
            guard header.contains("index") && header.contains("bid1_price") else { continue }
            loaded += 1
            var columns: [Int] = []
            for name in wanted {
                guard let c = header.firstIndex(of: name) else { throw AgentsError.invalidData("\(file): no column '\(name)'") }
                columns.append(c)
            }
            for (n, line) in lines.enumerated() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                var values = [Double]()
                values.reserveCapacity(columns.count)
                for (k, c) in columns.enumerated() {
                    guard c < fields.count, let v = Double(fields[c]) else {
                        throw AgentsError.invalidData("\(file):\(n + 2): column '\(wanted[k])' is not a number")
                    }
                    values.append(v)
                }
                byIndex[Int(values[0])] = values
            }
        }
        guard loaded > 0 else { throw AgentsError.invalidData("\(directory): no order-book CSV (with index and bid1_price columns)") }
        let ordered = byIndex.keys.sorted().map { byIndex[$0]! }
        func level(_ offset: Int) -> [[Double]] { (0..<5).map { l in ordered.map { $0[1 + 4 * l + offset] } } }
        let featureStart = 1 + 20
        let features = ordered.flatMap { row in row[featureStart...].map(Float.init) }
        return HighFrequencyData(bidPrice: level(0), bidSize: level(1), askPrice: level(2), askSize: level(3), features: features)
    }
}
