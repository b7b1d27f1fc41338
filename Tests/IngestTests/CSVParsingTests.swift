import Foundation
@testable import Ingest
import Testing

/// The CSV tokenizer and the number and timestamp parsers.
@Suite struct CSVParsingTests {
    func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        Array(text.utf8).withUnsafeBufferPointer(body)
    }

    func records(_ text: String, delimiter: Character = ",", blockSize: Int = 1 << 16) throws -> [[String]] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qf-csv-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let tokenizer = try CSVTokenizer(path: url.path, delimiter: delimiter.asciiValue!, blockSize: blockSize)
        var out: [[String]] = []
        while let fields = try tokenizer.next() { out.append(fields.map { $0.string ?? "<bad>" }) }
        return out
    }

    @Test func quotesDelimitersAndLineEnds() throws {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"multi\nline\",\n3,,\"\"\n4,last,no-newline"
        #expect(try records(text) == [["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "multi\nline", ""], ["3", "", ""], ["4", "last", "no-newline"]])
        #expect(try records("x;y\n1;2\n", delimiter: ";") == [["x", "y"], ["1", "2"]])
        #expect(try records("x\ty\n1\t2\n", delimiter: "\t") == [["x", "y"], ["1", "2"]])
        #expect(try records("\u{FEFF}a,b\n1,2\n") == [["a", "b"], ["1", "2"]])
    }

    @Test func recordsStraddlingBlocksAreReassembled() throws {
        // 1 KiB blocks, records of varying length with quoted newlines: the same records come back.
        var rows: [[String]] = [["id", "text", "value"]]
        for i in 0..<400 { rows.append([String(i), i % 7 == 0 ? "q\"uo\nted \(i)" : String(repeating: "z", count: i % 50), String(Double(i) / 3)]) }
        let text = rows.map { $0.map { $0.contains("\n") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        #expect(try records(text, blockSize: 1024) == rows)
    }

    @Test func malformedQuotingIsReportedWithTheLine() throws {
        #expect { try records("a,b\n1,\"open\n2,3\n") } throws: { "\($0)".contains(":2: unclosed quote") }
        #expect { try records("a,b\n1,\"x\"y\n") } throws: { "\($0)".contains(":2: unexpected character after a closing quote") }
        #expect { try records("a\n\"" + String(repeating: "x", count: 3000), blockSize: 1024) } throws: { "\($0)".contains("longer than the 1024-byte read block") }
    }

    @Test func numbersAreCorrectlyRounded() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var cases = ["0", "-0", "1", "-1.5", "+2.25", "1e3", "1.5E-7", "123456789012345678901234", "0.1", "0.3",
                     "9007199254740993", "3.141592653589793238462643", "1e-320", "1.7976931348623157e308", "  42.5 ", "00012.50", ".5", "5."]
        for _ in 0..<20_000 {
            let digits = String(next() % 10_000_000_000_000_000)
            let point = Int(next() % UInt64(digits.count + 1))
            let exp = Int(next() % 40) - 20
            var s = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if next() % 3 == 0 { s += "e\(exp)" }
            if next() % 2 == 0 { s = "-" + s }
            cases.append(s)
        }
        for text in cases {
            let expected = Double(text.trimmingCharacters(in: .whitespaces))
            let got = withBytes(text) { NumberParser.double($0) }
            #expect(got?.bitPattern == expected?.bitPattern, "\(text): \(String(describing: got)) vs \(String(describing: expected))")
        }
        for bad in ["", "-", "1.2.3", "12a", "e5", "1e", "--1", "0x10", "1,5"] {
            #expect(withBytes(bad) { NumberParser.double($0) } == nil, "\(bad) is not a number")
        }
        #expect(withBytes("NaN") { NumberParser.double($0) }!.isNaN)
        #expect(withBytes("-inf") { NumberParser.double($0) } == -.infinity)
        // Web downloads' formatted numbers, rounded once as Swift's parser rounds the plain digits.
        for (text, plain) in [("$181.91", "181.91"), ("-$2.50", "-2.50"), ("$-2.50", "-2.50"), ("44,179.0", "44179.0"),
                              ("1,234,567", "1234567"), ("-1,234.5", "-1234.5"), ("$1,500", "1500"), ("93.45K", "93450"),
                              ("1.27M", "1270000"), ("2B", "2000000000"), ("0.1K", "100"), (" 12,345.678 ", "12345.678")] {
            #expect(withBytes(text) { NumberParser.double($0) }?.bitPattern == Double(plain)?.bitPattern, "\(text)")
        }
        // A separator that could be a decimal comma, or groups that are not of three, are refused.
        for bad in ["1,500", "1,5", "12,34.5", "1,2345.0", ",123.0", "1,,234.0", "$", "K", "1.5k", "3.14%", "€5", "1,234.", "$1.2.3"] {
            #expect(withBytes(bad) { NumberParser.double($0) } == nil, "\(bad) is not a number")
        }
        // Decimal commas, as European spreadsheets save them.
        for (text, plain) in [("187,15", "187.15"), ("-0,5", "-0.5"), ("1.234,56", "1234.56"), ("1.234.567", "1234567"),
                              ("82488700", "82488700"), (" 3,0 ", "3.0"), ("+12,25", "12.25")] {
            #expect(withBytes(text) { NumberParser.decimalComma($0) }?.bitPattern == Double(plain)?.bitPattern, "\(text)")
        }
        for bad in ["1.234", "1.5", "12.34,5", "1,2,3", "1,", ",5", "1.234.56", "", "-"] {
            #expect(withBytes(bad) { NumberParser.decimalComma($0) } == nil, "\(bad) is not a decimal-comma number")
        }
        #expect(withBytes("NaN") { NumberParser.decimalComma($0) }!.isNaN)
        #expect(withBytes("9223372036854775807") { NumberParser.int64($0) } == .max)
        #expect(withBytes("9223372036854775808") { NumberParser.int64($0) } == nil)
        #expect(withBytes("-17") { NumberParser.int64($0) } == -17 && withBytes("1.0") { NumberParser.int64($0) } == nil)
    }

    @Test func timestampsInEveryAcceptedForm() {
        func parse(_ s: String) -> Int64? { withBytes(s) { TimestampParser.parse($0) } }
        let second: Int64 = 1_000_000_000
        #expect(parse("1970-01-01") == 0)
        #expect(parse("2021-07-06 23:59:59") == 1_625_615_999 * second)
        #expect(parse("2021-07-06T23:59:59Z") == 1_625_615_999 * second)
        #expect(parse("2021-04-17 17:22:00.172344+00:00") == 1_618_680_120 * second + 172_344_000)
        #expect(parse("2021-04-17T19:22:00+02:00") == 1_618_680_120 * second)
        #expect(parse("2021-04-17T12:22-0500") == 1_618_680_120 * second)
        #expect(parse("2000-02-29") == 951_782_400 * second)
        #expect(parse("1969-12-31 23:59:59.999999999") == -1)
        for bad in ["2021-13-01", "2021-04-31", "1900-02-29", "2021-01-01 24:00:00", "2021-1-1", "01/02/21", "2021-01-01 10", "2021-01-01X"] {
            #expect(parse(bad) == nil, "\(bad) must be rejected")
        }
        // Against Foundation over many dates.
        let formatter = ISO8601DateFormatter()
        var day = Int64(-3000)
        while day < 30000 {
            let ns = day * 86_400 * second + (day % 86_400) * second
            let text = TimestampParser.format(ns)
            #expect(parse(text) == ns, "\(text)")
            #expect(formatter.date(from: text).map { Int64($0.timeIntervalSince1970) * second } == ns)
            day += 37
        }
        #expect(TimestampParser.EpochUnit.guess(for: 1_625_615_999) == .seconds)
        #expect(TimestampParser.EpochUnit.guess(for: 1_625_615_999_000) == .milliseconds)
    }
}
