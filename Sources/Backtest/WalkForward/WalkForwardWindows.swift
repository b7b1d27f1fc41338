import Foundation

/// How a series is cut for walk-forward optimisation: an in-sample part to choose parameters on,
/// followed by the out-of-sample part they are then run on, stepping forward until the series
/// ends. Lengths are in bars or in calendar durations (`2y`, `6m`, `3w`, `90d`, `12h`), counted
/// on the series' own timestamps.
public struct WalkForwardWindows: Sendable, Equatable {
    /// One window, in bar indices of the whole series: in-sample `trainStart..<testStart`,
    /// out-of-sample `testStart..<testEnd`.
    public struct Window: Sendable, Equatable, Codable {
        public var trainStart: Int
        public var testStart: Int
        public var testEnd: Int
    }

    public var windows: [Window]

    /// Windows made earlier (a service keeps them with the evaluation they were planned for).
    public init(windows: [Window]) {
        self.windows = windows
    }

    /// Windows of `train` in-sample and `test` out-of-sample bars, each `step` bars after the
    /// last (default: `test`, so the out-of-sample parts tile the series; never less, or they
    /// would overlap); `anchored`: every
    /// in-sample part starts at the first bar. A last out-of-sample part shorter than `test` is
    /// kept when it has at least two bars.
    /// - Throws: `BacktestError.invalidParameter` naming the option when no window fits.
    public init(bars n: Int, train: Int, test: Int, step: Int? = nil, anchored: Bool = false) throws {
        guard train >= 2 else { throw BacktestError.invalidParameter("train: \(train) bars; at least 2") }
        guard test >= 2 else { throw BacktestError.invalidParameter("test: \(test) bars; at least 2") }
        let step = step ?? test
        guard step >= test else {
            throw BacktestError.invalidParameter("step: \(step) bars, shorter than test (\(test)): out-of-sample parts would overlap")
        }
        // Lengths come from requests (any Int): compared with what is left of the series before
        // they are added, so no sum can overflow.
        var windows: [Window] = []
        var testStart = train
        while testStart <= n - 2 {
            windows.append(Window(trainStart: anchored ? 0 : testStart - train, testStart: testStart, testEnd: test >= n - testStart ? n : testStart + test))
            guard step <= n - testStart else { break }
            testStart += step
        }
        guard !windows.isEmpty else {
            throw BacktestError.invalidParameter("train \(train) + test bars: no window fits in the \(n) bars of the series")
        }
        self.windows = windows
    }

    /// Bars in `text` from the start of `timestamps`: a whole number of bars (`500`), or a
    /// duration (`2y`, `6m`, `3w`, `90d`, `12h`): the bars from the first one until that much
    /// calendar time later (UTC).
    /// - Throws: `BacktestError.invalidParameter` naming `option` for anything else.
    public static func bars(_ text: String, option: String, timestamps: [Int64]) throws -> Int {
        if let n = Int(text) {
            guard n >= 1 else { throw BacktestError.invalidParameter("\(option) \(text): a positive number of bars or a duration like 2y, 6m, 90d") }
            return n
        }
        guard let unit = text.last, let amount = Int(text.dropLast()), amount >= 1, amount <= 10_000, let first = timestamps.first else {
            throw BacktestError.invalidParameter("\(option) \(text): a number of bars (500) or a duration: 2y, 6m, 3w, 90d, 12h")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: Double(first) / 1e9)
        let component: Calendar.Component
        switch unit {
        case "y": component = .year
        case "m": component = .month
        case "w": component = .weekOfYear
        case "d": component = .day
        case "h": component = .hour
        default: throw BacktestError.invalidParameter("\(option) \(text): unit '\(unit)' unknown; y, m, w, d or h")
        }
        guard let end = calendar.date(byAdding: component, value: amount, to: start) else {
            throw BacktestError.invalidParameter("\(option) \(text): out of the calendar's range")
        }
        // Past int64 nanoseconds (year 2262): beyond every bar.
        let limit = Int64(exactly: (end.timeIntervalSince1970 * 1e9).rounded()) ?? Int64.max
        return timestamps.firstIndex { $0 >= limit } ?? timestamps.count
    }
}
