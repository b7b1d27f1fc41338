/// The parameter combinations of a sweep: a grid of named axes (ranges or lists), plus fixed
/// parameters shared by every combination.
///
/// Axis syntax (`qf sweep --grid`): `name=start:stop` or `name=start:stop:step` for an inclusive
/// range (`fast=2:51` is 2, 3, …, 51; `slow=10:208:2` is 10, 12, …, 208), or `name=a,b,c` for a list.
public struct ParameterGrid: Sendable, Equatable {
    /// One axis and its values in order.
    public struct Axis: Sendable, Equatable {
        public var name: String
        public var values: [Double]

        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }

        /// Parses `name=start:stop[:step]` or `name=a,b,c`.
        /// - Throws: `BacktestError.invalidParameter` naming the text and what is wrong.
        public init(parsing text: String) throws {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw BacktestError.invalidParameter("grid '\(text)': expected name=start:stop[:step] or name=a,b,c")
            }
            name = parts[0]
            let spec = parts[1]
            func number(_ s: Substring) throws -> Double {
                guard let v = Double(s), v.isFinite else { throw BacktestError.invalidParameter("grid '\(text)': '\(s)' is not a number") }
                return v
            }
            if spec.contains(":") {
                let bounds = try spec.split(separator: ":", omittingEmptySubsequences: false).map(number)
                guard bounds.count == 2 || bounds.count == 3 else { throw BacktestError.invalidParameter("grid '\(text)': a range is start:stop or start:stop:step") }
                let (start, stop, step) = (bounds[0], bounds[1], bounds.count == 3 ? bounds[2] : 1)
                guard step > 0 else { throw BacktestError.invalidParameter("grid '\(text)': step must be positive, got \(step)") }
                guard stop >= start else { throw BacktestError.invalidParameter("grid '\(text)': stop \(stop) is below start \(start)") }
                let count = Int(((stop - start) / step + 1e-9).rounded(.down)) + 1
                guard count <= 10_000_000 else { throw BacktestError.invalidParameter("grid '\(text)': \(count) values is too many for one axis") }
                // start + k·step, not repeated addition, so 0.1 steps do not drift.
                values = (0..<count).map { start + Double($0) * step }
            } else {
                values = try spec.split(separator: ",").map(number)
            }
        }
    }

    public var axes: [Axis]
    /// Parameters every combination shares (`--param`).
    public var fixed: [String: Double]

    public init(axes: [Axis], fixed: [String: Double] = [:]) {
        self.axes = axes
        self.fixed = fixed
    }

    /// How many combinations the axes span (before any is rejected by the strategy).
    public var count: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// The parameters of combination `index` (the first axis varies slowest).
    public func parameters(at index: Int) -> [String: Double] {
        var p = fixed
        var rest = index
        for axis in axes.reversed() {
            p[axis.name] = axis.values[rest % axis.values.count]
            rest /= axis.values.count
        }
        return p
    }

    /// The axis values of combination `index`, in axis order.
    public func values(at index: Int) -> [Double] {
        var out = [Double](repeating: 0, count: axes.count)
        var rest = index
        for (k, axis) in axes.enumerated().reversed() {
            out[k] = axis.values[rest % axis.values.count]
            rest /= axis.values.count
        }
        return out
    }
}
