/// Regression and classification losses, each returning the mean loss and writing its gradient
/// with respect to the prediction into a preallocated matrix (PyTorch's `reduction="mean"`).
///
/// Sums are accumulated in Float64 so the reported loss does not depend on the batch order more
/// than the float32 gradients do.
public enum Loss {
    /// Mean squared error, L = Σ(p − t)² / N over all N elements; dL/dp = 2(p − t)/N.
    @discardableResult
    public static func meanSquaredError(prediction p: Matrix, target t: Matrix, gradient g: Matrix) -> Float {
        checkShapes(p, t, g, "meanSquaredError")
        let n = p.count
        let scale = 2 / Float(n)
        var total: Double = 0
        for i in 0..<n {
            let d = p.base[i] - t.base[i]
            total += Double(d * d)
            g.base[i] = scale * d
        }
        return Float(total / Double(n))
    }

    /// Huber loss with threshold δ (PyTorch's `HuberLoss`): ½d² when |d| < δ, δ(|d| − ½δ) otherwise,
    /// averaged over all elements; dL/dp = clamp(d, −δ, δ)/N. With δ = 1 it equals smooth L1
    /// (SB3's DQN loss).
    @discardableResult
    public static func huber(prediction p: Matrix, target t: Matrix, gradient g: Matrix, delta: Float = 1) -> Float {
        checkShapes(p, t, g, "huber")
        precondition(delta > 0, "huber: delta must be positive, got \(delta)")
        let n = p.count
        let inv = 1 / Float(n)
        var total: Double = 0
        for i in 0..<n {
            let d = p.base[i] - t.base[i]
            let a = abs(d)
            if a < delta {
                total += Double(0.5 * d * d)
                g.base[i] = d * inv
            } else {
                total += Double(delta * (a - 0.5 * delta))
                g.base[i] = (d > 0 ? delta : -delta) * inv
            }
        }
        return Float(total / Double(n))
    }

    /// Cross-entropy from logits with integer class labels, averaged over rows:
    /// L = mean(logΣexp(z) − z_y); dL/dz = (softmax(z) − onehot(y)) / B. Stable for large logits.
    @discardableResult
    public static func crossEntropy(logits z: Matrix, labels: UnsafePointer<Int32>, gradient g: Matrix) -> Float {
        precondition(z.rows == g.rows && z.cols == g.cols, "crossEntropy: logits \(z.rows)×\(z.cols), gradient \(g.rows)×\(g.cols)")
        let b = z.rows, k = z.cols
        let inv = 1 / Float(b)
        var total: Double = 0
        Softmax.rows(z, into: g)
        for r in 0..<b {
            let y = Int(labels[r])
            precondition(y >= 0 && y < k, "crossEntropy: label \(y) in row \(r) outside 0..<\(k)")
            let lse = Kernels.logSumExp(z.row(r), count: k)
            total += Double(lse - z[r, y])
            let gr = g.row(r)
            gr[y] -= 1
            for c in 0..<k { gr[c] *= inv }
        }
        return Float(total / Double(b))
    }

    private static func checkShapes(_ p: Matrix, _ t: Matrix, _ g: Matrix, _ name: String) {
        precondition(p.rows == t.rows && p.cols == t.cols && p.rows == g.rows && p.cols == g.cols,
                     "\(name): prediction \(p.rows)×\(p.cols), target \(t.rows)×\(t.cols), gradient \(g.rows)×\(g.cols)")
    }
}
