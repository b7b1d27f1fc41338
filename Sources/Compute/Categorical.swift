#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A batch of categorical distributions given by logits (one row per distribution): the pieces
/// a policy-gradient loss is built from, each with its gradient with respect to the logits.
///
/// With p = softmax(z): log π(a) = z_a − logΣexp(z), ∂log π(a)/∂z = onehot(a) − p;
/// H = −Σ p log p, ∂H/∂z_j = −p_j (log p_j + H).
public enum Categorical {
    /// Writes log π(aᵣ) for each row r into `out[r]`.
    public static func logProbabilities(logits z: Matrix, actions: UnsafePointer<Int32>, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<z.rows {
            let a = Int(actions[r])
            precondition(a >= 0 && a < z.cols, "Categorical: action \(a) in row \(r) outside 0..<\(z.cols)")
            out[r] = z[r, a] - Kernels.logSumExp(z.row(r), count: z.cols)
        }
    }

    /// Given weights wᵣ = ∂L/∂log π(aᵣ), writes (or adds, when `accumulate`) ∂L/∂z into `gradient`.
    public static func logProbabilityBackward(logits z: Matrix, actions: UnsafePointer<Int32>, weights w: UnsafePointer<Float>,
                                              gradient g: Matrix, accumulate: Bool) {
        for r in 0..<z.rows {
            let zr = z.row(r), gr = g.row(r), k = z.cols
            let lse = Kernels.logSumExp(zr, count: k)
            let a = Int(actions[r])
            for c in 0..<k {
                let d = w[r] * ((c == a ? 1 : 0) - expf(zr[c] - lse))
                gr[c] = accumulate ? gr[c] + d : d
            }
        }
    }

    /// Writes the entropy of each row into `out[r]`.
    public static func entropies(logits z: Matrix, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<z.rows {
            let zr = z.row(r), k = z.cols
            let lse = Kernels.logSumExp(zr, count: k)
            var h: Float = 0
            for c in 0..<k {
                let logp = zr[c] - lse
                h -= expf(logp) * logp
            }
            out[r] = h
        }
    }

    /// Given weights wᵣ = ∂L/∂Hᵣ, writes (or adds) ∂L/∂z into `gradient`.
    public static func entropyBackward(logits z: Matrix, weights w: UnsafePointer<Float>, gradient g: Matrix, accumulate: Bool) {
        for r in 0..<z.rows {
            let zr = z.row(r), gr = g.row(r), k = z.cols
            let lse = Kernels.logSumExp(zr, count: k)
            var h: Float = 0
            for c in 0..<k {
                let logp = zr[c] - lse
                h -= expf(logp) * logp
            }
            for c in 0..<k {
                let logp = zr[c] - lse
                let d = -w[r] * expf(logp) * (logp + h)
                gr[c] = accumulate ? gr[c] + d : d
            }
        }
    }

    /// Samples one action per row from softmax(z).
    public static func sample(logits z: Matrix, into actions: UnsafeMutablePointer<Int32>, using generator: inout some RandomNumberGenerator) {
        for r in 0..<z.rows {
            let zr = z.row(r), k = z.cols
            let lse = Kernels.logSumExp(zr, count: k)
            let u = Float(generator.nextUnitDouble())
            var cumulative: Float = 0
            var chosen = k - 1
            for c in 0..<k {
                cumulative += expf(zr[c] - lse)
                if u < cumulative { chosen = c; break }
            }
            actions[r] = Int32(chosen)
        }
    }
}

/// A batch of diagonal Gaussian distributions N(μ, diag(σ²)), with the mean given per row and the
/// log standard deviation either per row or shared by all rows (a 1-row matrix, the usual
/// state-independent parameter).
///
/// log π(a) = Σⱼ [−(aⱼ − μⱼ)² / (2σⱼ²) − log σⱼ − ½ log 2π];
/// ∂/∂μⱼ = (aⱼ − μⱼ)/σⱼ²; ∂/∂log σⱼ = (aⱼ − μⱼ)²/σⱼ² − 1.
/// H = Σⱼ (½ + ½ log 2π + log σⱼ); ∂H/∂log σⱼ = 1.
public enum DiagonalGaussian {
    static let halfLogTwoPi: Float = 0.5 * logf(2 * Float.pi)

    private static func logStdRow(_ logStd: Matrix, _ r: Int) -> UnsafeMutablePointer<Float> {
        logStd.rows == 1 ? logStd.base : logStd.row(r)
    }

    /// Writes log π(aᵣ) for each row into `out[r]`.
    public static func logProbabilities(mean mu: Matrix, logStd: Matrix, actions a: Matrix, into out: UnsafeMutablePointer<Float>) {
        precondition(mu.rows == a.rows && mu.cols == a.cols && logStd.cols == mu.cols && (logStd.rows == 1 || logStd.rows == mu.rows),
                     "DiagonalGaussian: mean \(mu.rows)×\(mu.cols), logStd \(logStd.rows)×\(logStd.cols), actions \(a.rows)×\(a.cols)")
        for r in 0..<mu.rows {
            let m = mu.row(r), s = logStdRow(logStd, r), x = a.row(r)
            var total: Float = 0
            for j in 0..<mu.cols {
                let z = (x[j] - m[j]) * expf(-s[j])
                total += -0.5 * z * z - s[j] - halfLogTwoPi
            }
            out[r] = total
        }
    }

    /// Given weights wᵣ = ∂L/∂log π(aᵣ), writes (or adds) ∂L/∂μ and ∂L/∂log σ. When `logStd` has
    /// one row, its gradient (one row) sums over the batch.
    public static func logProbabilityBackward(mean mu: Matrix, logStd: Matrix, actions a: Matrix, weights w: UnsafePointer<Float>,
                                              meanGradient gMu: Matrix, logStdGradient gS: Matrix, accumulate: Bool) {
        if !accumulate {
            gMu.fill(0)
            gS.fill(0)
        }
        for r in 0..<mu.rows {
            let m = mu.row(r), s = logStdRow(logStd, r), x = a.row(r)
            let gm = gMu.row(r), gs = logStdRow(gS, r)
            for j in 0..<mu.cols {
                let invVar = expf(-2 * s[j])
                let d = x[j] - m[j]
                gm[j] += w[r] * d * invVar
                gs[j] += w[r] * (d * d * invVar - 1)
            }
        }
    }

    /// Writes the entropy of each row into `out[r]`.
    public static func entropies(logStd: Matrix, rows: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let s = logStdRow(logStd, r)
            var h: Float = 0
            for j in 0..<logStd.cols { h += 0.5 + halfLogTwoPi + s[j] }
            out[r] = h
        }
    }

    /// Given weights wᵣ = ∂L/∂Hᵣ, writes (or adds) ∂L/∂log σ (one row sums over the batch).
    public static func entropyBackward(logStd: Matrix, rows: Int, weights w: UnsafePointer<Float>, logStdGradient gS: Matrix, accumulate: Bool) {
        if !accumulate { gS.fill(0) }
        for r in 0..<rows {
            let gs = logStdRow(gS, r)
            for j in 0..<gS.cols { gs[j] += w[r] }
        }
    }

    /// Samples aᵣ = μᵣ + σᵣ·ε with ε ~ N(0, I).
    public static func sample(mean mu: Matrix, logStd: Matrix, into a: Matrix, using generator: inout some RandomNumberGenerator) {
        for r in 0..<mu.rows {
            let m = mu.row(r), s = logStdRow(logStd, r), x = a.row(r)
            for j in 0..<mu.cols { x[j] = m[j] + expf(s[j]) * generator.nextNormal() }
        }
    }
}
