#if canImport(Glibc)
import Glibc
#endif

/// Parses decimal numbers from CSV bytes without creating strings.
///
/// Floats are correctly rounded: a mantissa of at most 19 digits that fits in 2⁵³ with a decimal
/// exponent within ±22 is converted by Clinger's fast path (one exact multiplication or division by
/// an exactly representable power of ten); anything else goes to `strtod`. That is the same
/// result pandas' default ("high" precision) parser gives for ordinary market data.
public enum NumberParser {
    /// 10^e for 0 ≤ e ≤ 22, all exactly representable in float64 (a switch compiles to a table
    /// without the global-array access of a static array).
    @inline(__always)
    static func exactPower(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0; case 1: return 1e1; case 2: return 1e2; case 3: return 1e3; case 4: return 1e4
        case 5: return 1e5; case 6: return 1e6; case 7: return 1e7; case 8: return 1e8; case 9: return 1e9
        case 10: return 1e10; case 11: return 1e11; case 12: return 1e12; case 13: return 1e13; case 14: return 1e14
        case 15: return 1e15; case 16: return 1e16; case 17: return 1e17; case 18: return 1e18; case 19: return 1e19
        case 20: return 1e20; case 21: return 1e21; default: return 1e22
        }
    }

    /// The field's value; nil when it is not a number. "nan"/"NaN", "inf"/"-inf" are accepted, and
    /// the formatted numbers of web downloads (`formatted`).
    @inlinable
    public static func double(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        parse(bytes) ?? formatted(bytes)
    }

    /// A number written with a decimal comma, as spreadsheets in most of Europe save CSV files
    /// (with `;` between fields): `187,15`, `-0,5`, `1.234,56`, `1.234.567`, and integers. A `.`
    /// groups thousands, in groups of three, and only where it cannot be a decimal point: before a
    /// `,` fraction, or two groups or more; `1.234` alone and `1.5` are refused. Used instead of
    /// `double` for every number of a file found to write decimal commas (`CSVIngestor`).
    public static func decimalComma(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        let (start, n) = trimmed(s)
        var i = start
        // The undecorated digits go to the stack: this runs for every number of such a file.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n - i + 1) { buffer in
            var clean = Digits(buffer)
            if i < n && (s[i] == 0x2D || s[i] == 0x2B) { clean.append(s[i]); i += 1 }
            guard i < n, s[i] &- 0x30 < 10 else { return special(s, from: i, to: n, negative: clean.isNegative) }
            guard let number = groupedDigits(s, from: i, to: n, separator: 0x2E, point: 0x2C, into: &clean),
                  number.groups == 0 || number.fraction || number.groups >= 2 else { return nil }
            return parse(clean.bytes)
        }
    }

    /// A number as web pages write them, read only after the plain forms fail: a leading `$`
    /// (Nasdaq.com, `$181.91`, `-$2.50`), thousands separators (Investing.com, `44,179.0`) and a
    /// `K`, `M` or `B` suffix (Investing.com's volumes, `93.45K`). Separators are accepted only in
    /// groups of three digits and only where they cannot be a decimal comma: before a `.`
    /// fraction, or two groups or more (`1,234,567`); `1,500` alone could be 1.5 and is refused.
    /// The digits are passed on without the decoration, so the value is rounded once, as written.
    @usableFromInline
    static func formatted(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        var (i, n) = trimmed(s)
        var scale = 0
        if n > i {
            switch s[n - 1] {
            case UInt8(ascii: "K"): scale = 3
            case UInt8(ascii: "M"): scale = 6
            case UInt8(ascii: "B"): scale = 9
            default: break
            }
            if scale > 0 { n -= 1 }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n - i + 3) { buffer in
            var clean = Digits(buffer)
            if i < n && (s[i] == 0x2D || s[i] == 0x2B) { clean.append(s[i]); i += 1 }
            var currency = false
            if i < n && s[i] == 0x24 {  // $
                currency = true
                i += 1
                if clean.count == 0 && i < n && (s[i] == 0x2D || s[i] == 0x2B) { clean.append(s[i]); i += 1 }
            }
            guard let number = groupedDigits(s, from: i, to: n, separator: 0x2C, point: 0x2E, into: &clean),
                  currency || scale > 0 || (number.groups > 0 && (number.fraction || number.groups >= 2)) else { return nil }
            if scale > 0 {
                clean.append(UInt8(ascii: "e"))
                clean.append(UInt8(ascii: "0") + UInt8(scale))
            }
            return parse(clean.bytes)
        }
    }

    /// The field without its leading and trailing blanks, as a range of indices.
    static func trimmed(_ s: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        var i = 0, n = s.count
        while i < n && (s[i] == 0x20 || s[i] == 0x09) { i += 1 }
        while n > i && (s[n - 1] == 0x20 || s[n - 1] == 0x09) { n -= 1 }
        return (i, n)
    }

    /// A number's bytes rewritten without its decoration, in a buffer the caller sized.
    struct Digits {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        private(set) var count = 0

        init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

        mutating func append(_ byte: UInt8) {
            buffer[count] = byte
            count += 1
        }

        var isNegative: Bool { count > 0 && buffer[0] == 0x2D }
        var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: buffer[..<count]) }
    }

    /// Digits from `start` to `n`, grouped in threes by `separator` after a first group of one to
    /// three, then an optional fraction after `point`, appended to `clean` as plain digits with a
    /// `.`: how many separators there were and whether a fraction followed. Nil when a group is not
    /// of three, the fraction has no digits, or anything else follows.
    static func groupedDigits(_ s: UnsafeBufferPointer<UInt8>, from start: Int, to n: Int, separator: UInt8, point: UInt8,
                              into clean: inout Digits) -> (groups: Int, fraction: Bool)? {
        var i = start, groups = 0, run = 0
        while i < n {
            let c = s[i]
            if c &- 0x30 < 10 {
                clean.append(c)
                run += 1
            } else if c == separator {
                guard (groups == 0 && run >= 1 && run <= 3) || (groups > 0 && run == 3) else { return nil }
                groups += 1
                run = 0
            } else {
                break
            }
            i += 1
        }
        guard run > 0, groups == 0 || run == 3 else { return nil }
        var fraction = false
        if i < n && s[i] == point {
            fraction = true
            clean.append(0x2E)
            i += 1
            let digits = i
            while i < n, s[i] &- 0x30 < 10 { clean.append(s[i]); i += 1 }
            guard i > digits else { return nil }
        }
        return i == n ? (groups, fraction) : nil
    }

    @usableFromInline
    static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let p = s.baseAddress else { return nil }
        var i = 0, n = s.count
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        while n > i && (p[n - 1] == 0x20 || p[n - 1] == 0x09) { n -= 1 }
        guard i < n else { return nil }
        var negative = false
        if p[i] == 0x2D || p[i] == 0x2B { negative = p[i] == 0x2D; i += 1 }
        // Integer and fraction digits accumulate into one mantissa; the fast path needs at most
        // 19 digits in all (leading zeros included), which covers ordinary prices.
        var mantissa: UInt64 = 0
        let integerStart = i
        while i < n {
            let d = p[i] &- 0x30
            if d >= 10 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        var digits = i - integerStart
        var exponent = 0
        if i < n && p[i] == 0x2E {
            i += 1
            let fractionStart = i
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            exponent = fractionStart - i
            digits += i - fractionStart
        }
        guard digits > 0 else { return special(s, from: i, to: n, negative: negative) }
        if i < n && (p[i] | 0x20) == 0x65 {
            i += 1
            var expNegative = false
            if i < n && (p[i] == 0x2D || p[i] == 0x2B) { expNegative = p[i] == 0x2D; i += 1 }
            var e = 0
            let expStart = i
            while i < n, p[i] &- 0x30 < 10 { if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }; i += 1 }
            guard i > expStart else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
        if digits <= 19 && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= exactPower(-exponent) } else if exponent > 0 { value *= exactPower(exponent) }
            return negative ? -value : value
        }
        return slowPath(s)
    }

    private static func special(_ s: UnsafeBufferPointer<UInt8>, from i: Int, to n: Int, negative: Bool) -> Double? {
        let word = String(decoding: UnsafeBufferPointer(rebasing: s[i..<n]), as: UTF8.self).lowercased()
        switch word {
        case "nan": return .nan
        case "inf", "infinity": return negative ? -.infinity : .infinity
        default: return nil
        }
    }

    private static func slowPath(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        var text = [CChar](repeating: 0, count: s.count + 1)
        for k in 0..<s.count { text[k] = CChar(bitPattern: s[k]) }
        return text.withUnsafeBufferPointer { p -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(p.baseAddress!, &endPointer)
            // Accept only when strtod consumed everything but trailing blanks.
            guard let endPointer else { return nil }
            var rest = endPointer
            while rest.pointee == 0x20 || rest.pointee == 0x09 { rest += 1 }
            return rest.pointee == 0 && endPointer != UnsafeMutablePointer(mutating: p.baseAddress!) ? value : nil
        }
    }

    /// A whole number written as an integer or as a float (`1704153600.0`, as pandas writes an
    /// integer column with gaps), within what Int64 holds; nil otherwise.
    public static func wholeNumber(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        int64(s) ?? double(s).flatMap { $0 == $0.rounded() && abs($0) < 9.2e18 ? Int64($0) : nil }
    }

    /// The field as a signed integer if it is one (optional sign, digits only, fits in Int64).
    public static func int64(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        guard !s.isEmpty else { return nil }
        var negative = false
        if s[0] == 0x2D || s[0] == 0x2B { negative = s[0] == 0x2D; i = 1 }
        guard i < s.count else { return nil }
        var value: Int64 = 0
        while i < s.count {
            let d = s[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1 && !o2 else { return nil }
            value = a
            i += 1
        }
        return negative ? -value : value
    }
}
