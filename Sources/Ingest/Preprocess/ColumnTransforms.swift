/// The column transforms behind the preprocessing operations, each a pure function on one
/// symbol's column (NaN marks a missing value).
public enum ColumnTransforms {
    /// Fills NaNs. forward_fill/backward_fill carry the neighbouring value (leading or trailing NaNs
    /// without one stay NaN, as in pandas); mean uses the mean of the present values; zero uses 0;
    /// linear interpolates between present neighbours by position, leaves leading NaNs and carries
    /// the last value over trailing ones (pandas' `interpolate(method="linear")`).
    public static func fill(_ values: [Double], method: FillMethod) -> [Double] {
        var x = values
        switch method {
        case .forwardFill:
            var last = Double.nan
            for i in x.indices { if x[i].isNaN { x[i] = last } else { last = x[i] } }
        case .backwardFill:
            var next = Double.nan
            for i in x.indices.reversed() { if x[i].isNaN { x[i] = next } else { next = x[i] } }
        case .mean:
            let present = x.filter { !$0.isNaN }
            let mean = present.isEmpty ? Double.nan : present.reduce(0, +) / Double(present.count)
            for i in x.indices where x[i].isNaN { x[i] = mean }
        case .zero:
            for i in x.indices where x[i].isNaN { x[i] = 0 }
        case .linear:
            var previous: Int?
            for i in x.indices where !x[i].isNaN {
                if let p = previous, i - p > 1 {
                    for j in (p + 1)..<i { x[j] = x[p] + (x[i] - x[p]) * Double(j - p) / Double(i - p) }
                }
                previous = i
            }
            if let p = previous { for j in (p + 1)..<x.count { x[j] = x[p] } }
        }
        return x
    }

    /// The (center, scale) that `normalize` divides by: (min, max − min) for min_max, (mean,
    /// population std) for z_score, over the present values. A zero scale becomes 1, so a constant
    /// column maps to 0 instead of NaN.
    public static func fitNormalization(_ values: [Double], method: NormalizeMethod) -> (center: Double, scale: Double) {
        let present = values.filter { !$0.isNaN }
        guard !present.isEmpty else { return (0, 1) }
        switch method {
        case .minMax:
            let lo = present.min()!, hi = present.max()!
            return (lo, hi > lo ? hi - lo : 1)
        case .zScore:
            let mean = present.reduce(0, +) / Double(present.count)
            let variance = present.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(present.count)
            return (mean, variance > 0 ? variance.squareRoot() : 1)
        }
    }

    /// (x − center) / scale for every value.
    public static func normalize(_ values: [Double], center: Double, scale: Double) -> [Double] {
        values.map { ($0 - center) / scale }
    }
}
