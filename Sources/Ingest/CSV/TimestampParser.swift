/// Parses timestamps from CSV bytes into int64 nanoseconds since 1970-01-01T00:00:00Z.
///
/// Accepted forms: see `parse` (dates in the shapes that pandas, yfinance, MetaTrader, Dukascopy and
/// Stooq write, with an optional time and zone; times without a zone are taken as UTC), and integer
/// epoch times in seconds, milliseconds, microseconds or nanoseconds (chosen by magnitude; see
/// `EpochUnit`). Fractions keep up to nanosecond precision. Instants that int64 nanoseconds cannot
/// hold are refused, never wrapped.
public enum TimestampParser {
    /// The unit of an integer epoch column.
    public enum EpochUnit: String, Sendable, Codable {
        case seconds, milliseconds, microseconds, nanoseconds

        /// Nanoseconds per unit.
        public var scale: Int64 {
            switch self {
            case .seconds: return 1_000_000_000
            case .milliseconds: return 1_000_000
            case .microseconds: return 1_000
            case .nanoseconds: return 1
            }
        }

        /// The unit an epoch value most plausibly has: magnitudes below 1e11 are seconds (until the
        /// year 5138), below 1e14 milliseconds, below 1e17 microseconds, otherwise nanoseconds.
        public static func guess(for value: Int64) -> EpochUnit {
            let m = value.magnitude
            if m < 100_000_000_000 { return .seconds }
            if m < 100_000_000_000_000 { return .milliseconds }
            if m < 100_000_000_000_000_000 { return .microseconds }
            return .nanoseconds
        }
    }

    /// Year, month (1–12) and day of a day count since 1970-01-01: the inverse of
    /// `daysFromCivil` (Howard Hinnant's algorithm, proleptic Gregorian).
    @inlinable
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm, proleptic Gregorian).
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The earliest and latest instants int64 nanoseconds since the epoch can hold
    /// (1677-09-21T00:12:43.145224192Z and 2262-04-11T23:47:16.854775807Z), as pandas' `Timestamp`.
    public static let representableRange = "1677-09-21T00:12:43Z to 2262-04-11T23:47:16Z"

    /// Parses a date or date-time into nanoseconds; nil when the text is not one of the accepted
    /// forms, names an impossible date (month 13, 31 April, 29 February of a common year, hour 25,
    /// …) or lies outside what int64 nanoseconds can hold (see `isOutOfRange` to tell which).
    ///
    /// Dates: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` (MetaTrader), `DD.MM.YYYY` (Dukascopy and
    /// European exports), the compact ISO 8601 `YYYYMMDD` (Stooq), and slash dates with one or two
    /// digits of month and day: `M/D/YYYY` (US exports, Excel, pandas' default reading), or
    /// `D/M/YYYY` when `dayFirst`. A time may follow after a space or `T`: `H[H]:MM[:SS[.fraction]]`,
    /// optionally with `AM` or `PM`, then an optional zone `Z`, `+HH:MM`, `+HHMM`, `+HH`, `UTC`, `GMT` or `GMT+HHMM` (with or
    /// without a space before it).
    public static func parse(_ s: UnsafeBufferPointer<UInt8>, dayFirst: Bool = false) -> Int64? {
        guard let (seconds, nanos) = parseSeconds(s, dayFirst: dayFirst) else { return nil }
        return nanoseconds(seconds: seconds, fraction: nanos)
    }

    /// Whether `s` is a well-formed date or date-time that int64 nanoseconds cannot hold (before
    /// 1677-09-21 or after 2262-04-11): such a value is reported as out of range, not as "not a date".
    public static func isOutOfRange(_ s: UnsafeBufferPointer<UInt8>, dayFirst: Bool = false) -> Bool {
        guard let (seconds, nanos) = parseSeconds(s, dayFirst: dayFirst) else { return false }
        return nanoseconds(seconds: seconds, fraction: nanos) == nil
    }

    /// Whether `s` is a date or date-time read either way round (month or day first): what a
    /// column's type is decided on, before the file's slash-date order is.
    public static func isDateEitherWay(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        parseSeconds(s) != nil || parseSeconds(s, dayFirst: true) != nil
    }

    /// The two leading numbers of a slash date (`01/04/2024` gives 1 and 4), whichever is the
    /// month; nil when `s` does not begin with one.
    public static func slashDateNumbers(_ s: UnsafeBufferPointer<UInt8>) -> (first: Int, second: Int)? {
        guard let base = s.baseAddress else { return nil }
        var i = 0
        while i < s.count && base[i] == 0x20 { i += 1 }
        return slashDate(base, from: i, to: s.count).map { ($0.first, $0.second) }
    }

    /// `N[N]/N[N]/YYYY` from `i`: its two leading numbers, the year and the index after it.
    static func slashDate(_ base: UnsafePointer<UInt8>, from start: Int, to n: Int) -> (first: Int, second: Int, year: Int, end: Int)? {
        var i = start
        func digits(_ most: Int) -> Int? {
            var value = 0, count = 0
            while i < n, count < most, base[i] &- 0x30 < 10 {
                value = value * 10 + Int(base[i] &- 0x30)
                i += 1
                count += 1
            }
            return count > 0 ? value : nil
        }
        guard let first = digits(2), i < n, base[i] == 0x2F else { return nil }
        i += 1
        guard let second = digits(2), i < n, base[i] == 0x2F else { return nil }
        i += 1
        let yearStart = i
        guard let year = digits(4), i - yearStart == 4 else { return nil }
        return (first, second, year, i)
    }

    /// `seconds` · 10⁹ + `fraction`, or nil when that does not fit in an Int64.
    @inlinable
    public static func nanoseconds(seconds: Int64, fraction: Int64) -> Int64? {
        let (scaled, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : total
    }

    /// Parses a date or date-time into whole seconds since the epoch and a nanosecond fraction,
    /// with no limit on the year beyond four digits (0000–9999); nil when it is not one.
    public static func parseSeconds(_ s: UnsafeBufferPointer<UInt8>, dayFirst: Bool = false) -> (seconds: Int64, nanos: Int64)? {
        guard let base = s.baseAddress else { return nil }
        var i = 0, n = s.count
        while i < n && base[i] == 0x20 { i += 1 }
        while n > i && base[n - 1] == 0x20 { n -= 1 }
        // Fixed-width fields are read by position; `number` returns −1 on a non-digit or past the end.
        @inline(__always) func number(_ at: Int, _ count: Int) -> Int {
            guard at + count <= n else { return -1 }
            var v = 0
            for k in 0..<count {
                let d = Int(base[at + k]) &- 0x30
                if d < 0 || d > 9 { return -1 }
                v = v * 10 + d
            }
            return v
        }
        @inline(__always) func byte(_ at: Int) -> UInt8 { at < n ? base[at] : 0 }
        let year: Int, month: Int, day: Int
        let separator = byte(i + 4)
        if byte(i + 1) == 0x2F || byte(i + 2) == 0x2F {
            // M/D/YYYY, or D/M/YYYY when dayFirst (checked first: `12/4/2024` has its second
            // slash where YYYY/MM/DD has its first)
            guard let date = slashDate(base, from: i, to: n) else { return nil }
            (year, month, day) = dayFirst ? (date.year, date.second, date.first) : (date.year, date.first, date.second)
            i = date.end
        } else if separator == 0x2D || separator == 0x2F || separator == 0x2E {
            // YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (one separator throughout)
            guard byte(i + 7) == separator else { return nil }
            (year, month, day) = (number(i, 4), number(i + 5, 2), number(i + 8, 2))
            i += 10
        } else if byte(i + 2) == 0x2E && byte(i + 5) == 0x2E {
            // DD.MM.YYYY
            (day, month, year) = (number(i, 2), number(i + 3, 2), number(i + 6, 4))
            i += 10
        } else if n - i == 8 || (n - i > 8 && (byte(i + 8) == 0x20 || byte(i + 8) == 0x54)) {
            // YYYYMMDD
            (year, month, day) = (number(i, 4), number(i + 4, 2), number(i + 6, 2))
            i += 8
        } else {
            return nil
        }
        guard year >= 0, month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var nanos: Int64 = 0
        if i < n && (base[i] == 0x20 || base[i] == 0x54) {
            guard let time = timeOfDay(base, from: i + 1, to: n) else { return nil }
            var (secondOfDay, end) = (time.0, time.2)
            let fraction = time.1
            if let (afternoon, after) = meridiem(base, from: end, to: n) {
                // 12:xx AM is just after midnight, 12:xx PM just after noon; hours past 12 have no AM/PM.
                let hour = secondOfDay / 3600
                guard hour >= 1 && hour <= 12 else { return nil }
                secondOfDay += ((afternoon ? 12 : 0) + (hour == 12 ? -12 : 0)) * 3600
                end = after
            }
            seconds += Int64(secondOfDay)
            nanos = fraction
            i = end
            guard let (offset, zoneEnd) = zoneOffset(base, from: i, to: n) else { return nil }
            seconds -= Int64(offset)
            i = zoneEnd
        }
        guard i == n else { return nil }
        return (seconds, nanos)
    }

    /// A time of day alone (`HH:MM[:SS[.fraction]]`, or `HHMMSS` / `HHMM` digits as Stooq and
    /// MetaTrader write it): seconds since midnight and the nanosecond fraction; nil otherwise.
    public static func parseTimeOfDay(_ s: UnsafeBufferPointer<UInt8>) -> (seconds: Int, nanos: Int64)? {
        guard let base = s.baseAddress else { return nil }
        var i = 0, n = s.count
        while i < n && base[i] == 0x20 { i += 1 }
        while n > i && base[n - 1] == 0x20 { n -= 1 }
        if n - i == 6 || n - i == 4, (i..<n).allSatisfy({ base[$0] &- 0x30 < 10 }) {
            func two(_ at: Int) -> Int { Int(base[at] - 0x30) * 10 + Int(base[at + 1] - 0x30) }
            let hour = two(i), minute = two(i + 2), second = n - i == 6 ? two(i + 4) : 0
            guard hour < 24, minute < 60, second < 61 else { return nil }
            return (hour * 3600 + minute * 60 + second, 0)
        }
        guard let (seconds, nanos, end) = timeOfDay(base, from: i, to: n), end == n else { return nil }
        return (seconds, nanos)
    }

    /// `H[H]:MM[:SS[.fraction]]` from `i`: (seconds since midnight, nanoseconds, index after it).
    /// One digit of hour as Excel writes it (`1/4/2024 9:30`).
    static func timeOfDay(_ base: UnsafePointer<UInt8>, from start: Int, to n: Int) -> (Int, Int64, Int)? {
        var i = start
        @inline(__always) func two(_ at: Int) -> Int {
            guard at + 2 <= n else { return -1 }
            let a = Int(base[at]) &- 0x30, b = Int(base[at + 1]) &- 0x30
            return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b
        }
        let hourDigits = i + 1 < n && base[i + 1] == 0x3A ? 1 : 2
        guard i + hourDigits + 3 <= n, base[i + hourDigits] == 0x3A else { return nil }
        let hour = hourDigits == 2 ? two(i) : base[i] &- 0x30 < 10 ? Int(base[i] &- 0x30) : -1
        let minute = two(i + hourDigits + 1)
        guard hour >= 0, hour < 24, minute >= 0, minute < 60 else { return nil }
        var second = 0
        var nanos: Int64 = 0
        i += hourDigits + 3
        if i < n && base[i] == 0x3A {
            second = two(i + 1)
            guard second >= 0, second < 61 else { return nil }
            i += 3
            if i < n && base[i] == 0x2E {
                i += 1
                var scale: Int64 = 100_000_000
                let first = i
                while i < n, base[i] &- 0x30 < 10 {
                    nanos += Int64(base[i] &- 0x30) * scale
                    scale /= 10
                    i += 1
                }
                guard i > first else { return nil }
            }
        }
        return (hour * 3600 + minute * 60 + second, nanos, i)
    }

    /// ` AM` or ` PM` (any case, the space optional) from `i`, as US spreadsheets write times:
    /// whether it is PM, and the index after it.
    static func meridiem(_ base: UnsafePointer<UInt8>, from start: Int, to n: Int) -> (Bool, Int)? {
        var i = start
        if i < n && base[i] == 0x20 { i += 1 }
        guard i + 2 <= n, base[i + 1] | 0x20 == 0x6D else { return nil }  // m
        switch base[i] | 0x20 {
        case 0x61: return (false, i + 2)  // a
        case 0x70: return (true, i + 2)   // p
        default: return nil
        }
    }

    /// A zone after a time, from `i`: its offset east of UTC in seconds and the index after it.
    /// Nothing there is offset 0; `Z`, `±HH[:MM]`, `±HHMM`, and `UTC` / `GMT` (optionally after a
    /// space, and `GMT` optionally followed by `±HH[:MM]` or `±HHMM`, as Dukascopy writes) are read.
    static func zoneOffset(_ base: UnsafePointer<UInt8>, from start: Int, to n: Int) -> (Int, Int)? {
        var i = start
        guard i < n else { return (0, i) }
        if base[i] == 0x5A { return (0, i + 1) }
        if base[i] == 0x20 { i += 1 }
        if i + 3 <= n {
            let word = (base[i], base[i + 1], base[i + 2])
            if word == (0x55, 0x54, 0x43) || word == (0x47, 0x4D, 0x54) {  // UTC, GMT
                i += 3
                if i == n { return (0, i) }
            }
        }
        guard i < n, base[i] == 0x2B || base[i] == 0x2D else { return nil }
        let sign = base[i] == 0x2B ? 1 : -1
        i += 1
        @inline(__always) func two(_ at: Int) -> Int {
            guard at + 2 <= n else { return -1 }
            let a = Int(base[at]) &- 0x30, b = Int(base[at + 1]) &- 0x30
            return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b
        }
        let hours = two(i)
        guard hours >= 0, hours <= 23 else { return nil }
        i += 2
        var minutes = 0
        if i < n && base[i] == 0x3A { i += 1 }
        if i < n {
            minutes = two(i)
            guard minutes >= 0, minutes < 60 else { return nil }
            i += 2
        }
        return (sign * (hours * 3600 + minutes * 60), i)
    }

    /// An integer epoch time in `unit`, converted to nanoseconds (nil on overflow).
    public static func epoch(_ value: Int64, unit: EpochUnit) -> Int64? {
        let (r, overflow) = value.multipliedReportingOverflow(by: unit.scale)
        return overflow ? nil : r
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Formats nanoseconds since the epoch as ISO 8601 UTC ("2021-07-06T23:59:59Z", with a fraction
    /// only when there is one).
    public static func format(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let fraction = nanoseconds - seconds * 1_000_000_000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        func pad(_ v: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(v).count)) + String(v) }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fraction != 0 {
            var f = pad(Int(fraction), 9)
            while f.hasSuffix("0") { f.removeLast() }
            text += "." + f
        }
        return text + "Z"
    }
}
