import ArgumentParser
import Backtest
import Foundation
import Ingest

/// The bars, execution and metric options `qf backtest` and `qf sweep` share.
struct MarketOptions: ParsableArguments {
    @Option(help: "The HDF5 bar file (from qf ingest).") var data: String
    @Option(help: "Symbol (default: the first in the file).") var symbol: String?
    @Option(help: "Fill at next_open (Backtesting.py) or close (vectorbt).") var fill: ExecutionSettings.Fill = .nextOpen
    @Option(help: "Commission, a fraction of traded value, on entry and exit.") var commission = 0.0
    @Option(help: "Fixed fee per order.") var fee = 0.0
    @Option(help: "Slippage in basis points, against the trader.") var slippage = 0.0
    @Option(help: "Initial cash.") var cash = 10_000.0
    @Flag(help: "Allow short positions (otherwise short signals only close longs).") var short = false
    @Option(help: "Smallest tradable quantity: whole, fractional or a lot size (default: whole for next_open, fractional for close).") var lot: String?
    @Option(help: "Metric convention: backtesting.py or vectorbt.") var convention: MetricsConvention = .backtestingPy
    @Option(help: "Returns per year: inferred, trading (252 days), calendar (365 days) or a number.") var annualization = "inferred"

    /// The execution settings these options describe.
    func settings() throws -> ExecutionSettings {
        var lotValue: ExecutionSettings.Lot?
        switch lot {
        case nil: lotValue = nil
        case "whole": lotValue = .whole
        case "fractional": lotValue = .fractional
        case let text?:
            guard let size = Double(text), size > 0 else { throw ValidationError("--lot must be whole, fractional or a positive size, got \(text)") }
            lotValue = .size(size)
        }
        guard commission >= 0, commission < 1 else { throw ValidationError("--commission must be in [0, 1), got \(commission)") }
        guard fee >= 0, slippage >= 0 else { throw ValidationError("--fee and --slippage must not be negative") }
        guard cash > 0 else { throw ValidationError("--cash must be positive, got \(cash)") }
        var settings = ExecutionSettings(fill: fill, commission: commission, fixedFee: fee, slippageBps: slippage, initialCash: cash,
                                         allowShort: short, lot: lotValue)
        // The convention's library's own semantics where libraries differ (rounding, ties).
        settings.peer = convention
        return settings
    }

    func annualizationValue() throws -> Annualization {
        switch annualization {
        case "inferred": return .inferred
        case "trading": return .tradingDays
        case "calendar": return .calendarDays
        default:
            guard let n = Double(annualization), n > 0 else { throw ValidationError("--annualization must be inferred, trading, calendar or a positive number, got \(annualization)") }
            return .barsPerYear(n)
        }
    }

    /// Reads open, close and times of the symbol.
    func bars() throws -> (symbol: String, open: [Double], close: [Double], times: [Int64]) {
        try readBars(path: data, symbol: symbol)
    }
}

/// Open, close and times of one symbol of a bar file (Backtest's reader, its errors as the
/// command line's).
func readBars(path: String, symbol: String?) throws -> (symbol: String, open: [Double], close: [Double], times: [Int64]) {
    do {
        let bars = try BarSeries.read(path: path, symbol: symbol)
        return (bars.symbol, bars.open, bars.close, bars.timestamps)
    } catch let error as BacktestError {
        throw CommandFailure(error.description)
    }
}

/// Prints a value as pretty JSON with sorted keys (snake_case keys unless told otherwise); NaN
/// and infinities as the strings "nan", "inf", "-inf".
func printJSON<T: Encodable>(_ value: T, snakeCase: Bool = true) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Parses `name=value` pairs of `--param`.
func parseParameters(_ items: [String]) throws -> [String: Double] {
    var values: [String: Double] = [:]
    for item in items {
        let parts = item.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let v = Double(parts[1]), v.isFinite else { throw ValidationError("--param \(item): expected name=number") }
        values[String(parts[0])] = v
    }
    return values
}

extension ExecutionSettings.Fill: ExpressibleByArgument {}
extension MetricsConvention: ExpressibleByArgument {}
