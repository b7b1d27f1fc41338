import Foundation
import Hummingbird

extension Request {
    /// The query's name–value pairs in order, decoded as HTML forms and Python's `requests` encode
    /// them: `+` is a space, then percent-escapes. (Hummingbird's `queryParameters` leaves `+`
    /// as it is, so `?sort=name+` asked for a column called "name+".) A pair whose escapes are
    /// not UTF-8 keeps its text undecoded, and the validation that reads it names it.
    public var formQueryParameters: [(String, String)] {
        guard let query = uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value of query parameter `name`, form-decoded.
    public func formQueryParameter(_ name: String) -> String? {
        formQueryParameters.first { $0.0 == name }?.1
    }
}
