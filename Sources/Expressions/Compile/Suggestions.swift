/// "did you mean" for unknown names: the nearest known names, if they are within a small edit
/// distance (only those at the nearest distance: `clsoe` suggests `close`, not also `zclose`).
enum Suggestions {
    static func didYouMean(_ name: String, among known: [String]) -> String {
        let limit = max(2, name.count / 3)
        let candidates = known.map { ($0, distance(name.lowercased(), $0.lowercased())) }.filter { $0.1 <= limit }
        let nearest = candidates.map(\.1).min() ?? 0
        let close = candidates.filter { $0.1 == nearest }
            .sorted { $0.0 < $1.0 }
            .prefix(3).map { "'\($0.0)'" }
        return close.isEmpty ? "" : " (did you mean \(close.joined(separator: " or "))?)"
    }

    /// Levenshtein distance (with a transposition counted as one edit).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
