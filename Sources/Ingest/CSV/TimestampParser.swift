/// Parses timestamps from CSV bytes into int64 nanoseconds since 1970-01-01T00:00:00Z.
///
/// Accepted forms: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fraction]]` with a space or `T`, an optional
/// zone `Z`, `+HH:MM`, `+HHMM` or `+HH` (times without a zone are taken as UTC), and integer epoch
/// times in seconds or milliseconds (chosen by magnitude; see `EpochUnit`). Fractions keep up to
/// nanosecond precision.
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

    /// Parses a date or date-time; nil when the text is not one of the accepted forms or names an
    /// impossible date (month 13, 31 April, 29 February of a common year, hour 25, …).
    public static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let base = s.baseAddress else { return nil }
        var i = 0, n = s.count
        while i < n && base[i] == 0x20 { i += 1 }
        while n > i && base[n - 1] == 0x20 { n -= 1 }
        // Fixed-width fields are read by position; `number` returns −1 on a non-digit.
        @inline(__always) func number(_ at: Int, _ count: Int) -> Int {
            var v = 0
            for k in 0..<count {
                let d = Int(base[at + k]) &- 0x30
                if d < 0 || d > 9 { return -1 }
                v = v * 10 + d
            }
            return v
        }
        guard n - i >= 10, base[i + 4] == 0x2D, base[i + 7] == 0x2D else { return nil }
        let year = number(i, 4), month = number(i + 5, 2), day = number(i + 8, 2)
        guard year >= 0, month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var nanos: Int64 = 0
        i += 10
        if i < n && (base[i] == 0x20 || base[i] == 0x54) {
            guard n - i >= 6, base[i + 3] == 0x3A else { return nil }
            let hour = number(i + 1, 2), minute = number(i + 4, 2)
            guard hour >= 0, hour < 24, minute >= 0, minute < 60 else { return nil }
            var second = 0
            i += 6
            if i < n && base[i] == 0x3A {
                guard n - i >= 3 else { return nil }
                second = number(i + 1, 2)
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
            seconds += Int64(hour * 3600 + minute * 60 + second)
            if i < n {
                if base[i] == 0x5A {
                    i += 1
                } else if base[i] == 0x2B || base[i] == 0x2D {
                    let sign: Int64 = base[i] == 0x2B ? 1 : -1
                    i += 1
                    guard n - i >= 2 else { return nil }
                    let zh = number(i, 2)
                    guard zh >= 0, zh <= 23 else { return nil }
                    i += 2
                    var zm = 0
                    if i < n && base[i] == 0x3A { i += 1 }
                    if i < n {
                        guard n - i >= 2 else { return nil }
                        zm = number(i, 2)
                        guard zm >= 0, zm < 60 else { return nil }
                        i += 2
                    }
                    seconds -= sign * Int64(zh * 3600 + zm * 60)
                } else {
                    return nil
                }
            }
        }
        guard i == n else { return nil }
        return seconds * 1_000_000_000 + nanos
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
