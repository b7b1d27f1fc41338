import Foundation

/// Durations as Slurm writes them (`--time`) and as `qf worker --max-runtime` takes them.
public enum SlurmTime {
    /// Slurm's time formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S` (a bare number is
    /// minutes, as in `sbatch --time`). Nil for anything else, and for `infinite`/`unlimited`.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var days = 0
        var rest = Substring(trimmed)
        if let dash = trimmed.firstIndex(of: "-") {
            guard let d = Int(trimmed[..<dash]), d >= 0 else { return nil }
            days = d
            rest = trimmed[trimmed.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        // Bounded so no product below can overflow (Slurm's own limits are far smaller).
        guard !parts.isEmpty, parts.count <= 3, days <= 100_000, parts.allSatisfy({ $0 != nil && $0! >= 0 && $0! <= 10_000_000 }) else { return nil }
        let p = parts.map { $0! }
        let seconds: Int
        if trimmed.contains("-") {
            // D-H, D-H:M, D-H:M:S
            seconds = p[0] * 3600 + (p.count > 1 ? p[1] * 60 : 0) + (p.count > 2 ? p[2] : 0)
        } else {
            switch p.count {
            case 1: seconds = p[0] * 60                          // M
            case 2: seconds = p[0] * 60 + p[1]                   // M:S
            default: seconds = p[0] * 3600 + p[1] * 60 + p[2]    // H:M:S
            }
        }
        return .seconds(days * 86_400 + seconds)
    }

    /// A duration for `qf worker`: a number with a unit (`90s`, `30m`, `2h`, `1d`), a bare number
    /// of seconds, or one of Slurm's colon forms (`1:30:00`, `2-00:00:00`). Nil when unreadable
    /// or not positive.
    public static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains(":") || trimmed.contains("-") { return parse(trimmed).flatMap { $0 > .zero ? $0 : nil } }
        let units: [(Character, Double)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var number = Substring(trimmed), scale = 1.0
        if let last = trimmed.last, let unit = units.first(where: { $0.0 == last }) {
            number = trimmed.dropLast()
            scale = unit.1
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 365 * 86_400 else { return nil }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// `D-HH:MM:SS` (or `HH:MM:SS` under a day), whole seconds, as Slurm prints it.
    public static func format(_ duration: Duration) -> String {
        let total = Int(duration.components.seconds)
        let days = total / 86_400, h = total % 86_400 / 3600, m = total % 3600 / 60, s = total % 60
        let clock = "\(pad(h)):\(pad(m)):\(pad(s))"
        return days > 0 ? "\(days)-\(clock)" : clock
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
