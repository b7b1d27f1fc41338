import Foundation
import Hummingbird

/// What text the service accepts anywhere: PostgreSQL's `text` and `jsonb` cannot hold U+0000, so a
/// NUL in a query parameter, a JSON body or an upload's names is a 400 naming where it is.
enum TextRules {
    static let nulMessage = "contains a NUL character (U+0000), which text cannot hold"

    static func containsNUL(_ text: some StringProtocol) -> Bool { text.utf8.contains(0) }

    /// `text` with every absolute file path cut to its file name: messages that reach clients
    /// (job, dataset and evaluation errors, logs) say which file, never where the server keeps it.
    static func withoutPaths(_ text: String) -> String {
        absolutePath.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1$2")
    }

    /// An absolute path of two or more parts, at the start or after a space, quote, bracket or `=`.
    static let absolutePath = try! NSRegularExpression(pattern: #"(^|[\s'"(=])/(?:[^\s:'",/()]+/)+([^\s:'",/()]+)"#)
}

extension JSONValue {
    /// The paths (`name`, `config.dataset_id`, `tags[2]`) of every string or key holding U+0000.
    func pathsContainingNUL(at path: String = "") -> [String] {
        switch self {
        case .string(let text):
            return TextRules.containsNUL(text) ? [path.isEmpty ? "body" : path] : []
        case .array(let items):
            return items.enumerated().flatMap { $1.pathsContainingNUL(at: "\(path)[\($0)]") }
        case .object(let members):
            return members.keys.sorted().flatMap { key -> [String] in
                let shown = key.replacingOccurrences(of: "\u{0}", with: "\\u0000")
                let child = path.isEmpty ? shown : "\(path).\(shown)"
                return (TextRules.containsNUL(key) ? [child] : []) + members[key]!.pathsContainingNUL(at: child)
            }
        default:
            return []
        }
    }
}

/// Refuses a request whose query parameters hold U+0000 (`%00`), naming each parameter, before any
/// route reads them.
struct QueryTextMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let bad = request.uri.queryParameters.filter { TextRules.containsNUL($0.key) || TextRules.containsNUL($0.value) }
        guard bad.isEmpty else {
            throw APIError.validation(bad.map { .init(field: String($0.key).replacingOccurrences(of: "\u{0}", with: "\\u0000"), message: TextRules.nulMessage) })
        }
        return try await next(request, context)
    }
}
