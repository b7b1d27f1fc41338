import CBLAS

/// Whether a GEMM operand is used as stored or transposed. Transposition is a flag passed to BLAS,
/// never a copy.
public enum Transpose: Sendable {
    case none
    case transposed

    @inlinable var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C = alpha · op(A) · op(B) + beta · C, all row-major: through QuantForge's own kernels for the
/// products `GemmKernels.handles`, through `cblas_sgemm` for the rest.
///
/// Shapes are checked before the call (a mismatch is a programming error and stops the process
/// with the shapes in the message): op(A) is m×k, op(B) is k×n, C is m×n.
@inlinable
public func gemm(
    _ a: Matrix, _ b: Matrix, into c: Matrix,
    transposeA transA: Transpose = .none, transposeB transB: Transpose = .none,
    alpha: Float = 1, beta: Float = 0
) {
    let m = transA == .none ? a.rows : a.cols
    let k = transA == .none ? a.cols : a.rows
    let kb = transB == .none ? b.rows : b.cols
    let n = transB == .none ? b.cols : b.rows
    precondition(k == kb && c.rows == m && c.cols == n,
                 "gemm: op(A) \(m)×\(k), op(B) \(kb)×\(n), C \(c.rows)×\(c.cols)")
    if m == 0 || n == 0 { return }
    if transA == .none && transB == .transposed && n <= thinOutputLimit && k >= 16 {
        thinGemmNT(a, b, into: c, alpha: alpha, beta: beta)
        return
    }
    let backend = GemmKernels.active
    if GemmKernels.handles(backend, transA: transA, transB: transB, m: m, n: n, k: k) {
        GemmKernels.product(backend, a, b, into: c, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta)
        return
    }
    if k * n <= smallOperandLimit || m * n <= smallOperandLimit {
        if transA == .none && transB == .none && m > nnRowBlock && k * n <= smallOperandLimit {
            // dX = dY·W of a small layer: OpenBLAS's unpacked kernel is fastest on short row blocks.
            gemmInRowBlocks(a, b, into: c, transposeB: .none, rows: nnRowBlock, alpha: alpha, beta: beta)
            return
        }
        if transA == .none && transB == .transposed && k >= ntMinimumDepth && m > ntRowBlock && m <= ntMaximumRows && k * n <= smallOperandLimit {
            // Y = X·Wᵀ of a layer's forward pass on a small batch: short row blocks again.
            gemmInRowBlocks(a, b, into: c, transposeB: .transposed, rows: ntRowBlock, alpha: alpha, beta: beta)
            return
        }
        if transA == .transposed && transB == .none && k > tnDepthBlock && m * n <= smallOperandLimit {
            // dW = dYᵀ·X of a small layer: accumulate over batch blocks, the first with beta.
            var start = 0
            while start < k {
                let depth = min(tnDepthBlock, k - start)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(depth),
                            alpha, a.base + start * a.cols, Int32(max(a.cols, 1)), b.base + start * b.cols, Int32(max(b.cols, 1)),
                            start == 0 ? beta : 1, c.base, Int32(max(c.cols, 1)))
                start += depth
            }
            return
        }
    }
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                Int32(m), Int32(n), Int32(k),
                alpha, a.base, Int32(max(a.cols, 1)), b.base, Int32(max(b.cols, 1)),
                beta, c.base, Int32(max(c.cols, 1)))
}

/// C = alpha · op(A) · op(B) + beta · C through one `cblas_sgemm` call whatever the backend, for
/// benchmarks and tests that compare QuantForge's kernels with OpenBLAS.
public func openBLASGemm(_ a: Matrix, _ b: Matrix, into c: Matrix, transposeA transA: Transpose = .none, transposeB transB: Transpose = .none,
                         alpha: Float = 1, beta: Float = 0) {
    let m = transA == .none ? a.rows : a.cols, k = transA == .none ? a.cols : a.rows
    let n = transB == .none ? b.cols : b.rows
    precondition(k == (transB == .none ? b.rows : b.cols) && c.rows == m && c.cols == n, "openBLASGemm: shapes")
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                alpha, a.base, Int32(max(a.cols, 1)), b.base, Int32(max(b.cols, 1)), beta, c.base, Int32(max(c.cols, 1)))
}

/// C = alpha·A·op(B) + beta·C as one `cblas_sgemm` call per `rows` rows of A and C.
@usableFromInline
func gemmInRowBlocks(_ a: Matrix, _ b: Matrix, into c: Matrix, transposeB transB: Transpose, rows block: Int, alpha: Float, beta: Float) {
    var start = 0
    while start < a.rows {
        let rows = min(block, a.rows - start)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transB.cblas, Int32(rows), Int32(c.cols), Int32(a.cols),
                    alpha, a.base + start * a.cols, Int32(max(a.cols, 1)), b.base, Int32(max(b.cols, 1)),
                    beta, c.base + start * c.cols, Int32(max(c.cols, 1)))
        start += rows
    }
}

/// y = alpha · op(A) · x + beta · y through `cblas_sgemv`; `x` and `y` are contiguous vectors.
@inlinable
public func gemv(
    _ a: Matrix, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    transposeA transA: Transpose = .none, alpha: Float = 1, beta: Float = 0
) {
    cblas_sgemv(CblasRowMajor, transA.cblas, Int32(a.rows), Int32(a.cols),
                alpha, a.base, Int32(max(a.cols, 1)), x, 1, beta, y, 1)
}

/// Blocking of products whose weight-sized operand (K·N for A·B, M·N for Aᵀ·B) holds at most
/// this many floats (64 KB, a 128×128 layer). Measured with OpenBLAS 0.3.21 on one core (AMD EPYC,
/// Cooperlake kernel): 64×128·128×128 takes 22.6 µs in one call and 18.3 µs as 16-row blocks;
/// 128×64·64×128 (Aᵀ·B over a batch of 64) 22.0 µs in one call and 19.1 µs as 32-deep blocks;
/// at batch 256 74 vs 82 µs and 79 vs 87 µs. Wider layers gained nothing or lost, so they are
/// left to OpenBLAS whole. Blocking fixes the summation order, so results stay deterministic.
@usableFromInline let smallOperandLimit = 128 * 128
@usableFromInline let nnRowBlock = 16
@usableFromInline let tnDepthBlock = 32
/// X·Wᵀ (a forward pass) 64×128·(128×128)ᵀ takes 23.2 µs in one call and 21.8 µs as 8-row
/// blocks, 22 rows 10.6 vs 7.6 µs, 32 rows 13.3 vs 11.1 µs; from 96 rows on, or with fewer than
/// 128 inputs, one call is as fast or faster (64×64·(64×64)ᵀ: 6.2 vs 6.8 µs), so only that range
/// is blocked.
@usableFromInline let ntRowBlock = 8
@usableFromInline let ntMinimumDepth = 128
@usableFromInline let ntMaximumRows = 64

/// Batch size from which a small layer's forward pass on OpenBLAS (in·out ≤ `smallOperandLimit`,
/// more than `thinOutputLimit` outputs) copies Wᵀ out (1.7 µs for 128×128) and computes x·(Wᵀ) as
/// A·B instead of x·Wᵀ; on QuantForge's kernels Linear copies from fewer rows
/// (`Linear.transposedCopyMinimumRows`). Measured with OpenBLAS 0.3.21 on one core, current path vs transposed:
/// 64×128 by 128×128 22.1 vs 20.0 µs, 40 rows 13.8 vs 13.2, 32 rows 11.0 vs 10.9, 22 rows 7.6
/// vs 8.1 (a loss, hence the bound); 64×64 by 64×64 6.2 vs 4.9; 256 rows 83.6 vs 74.9; 2,048 rows
/// 666 vs 593. Wider layers (256×256, 512×512) lose 1–11%, so they keep x·Wᵀ.
public let transposedForwardMinimumRows = 32

/// Widest output for which `gemm` computes A·Bᵀ as row dot products instead of calling BLAS.
public let thinOutputLimit = 4

/// C = alpha·A·Bᵀ + beta·C for an output only a few columns wide (a Q-value or policy head).
///
/// BLAS tiles such a product for a wide output and runs it at a fifth of its speed (72 µs for
/// 1024×256 by 3 here); as n dot products per row of A it is one pass over A, with B's few rows
/// held in L1. Rows go two at a time: one row's dot products end in a chain of lane sums that
/// the next row's products did not overlap (the 64×128 by 3 head of DQN took ~1.9 µs on Zen 4),
/// and two rows' chains run side by side. Each row's sums are formed in the same order either
/// way, so the bits do not depend on the pairing.
@usableFromInline
func thinGemmNT(_ a: Matrix, _ b: Matrix, into c: Matrix, alpha: Float, beta: Float) {
    let k = a.cols, n = b.rows
    precondition(n >= 1 && n <= 4, "thinGemmNT: \(n) output columns")
    // Rows of B past n alias the last real row; their sums are not stored.
    let b0 = b.row(0), b1 = b.row(min(1, n - 1)), b2 = b.row(min(2, n - 1)), b3 = b.row(min(3, n - 1))
    let vectorEnd = k - k % 16

    /// The scalar tail of a row's dot products and its store.
    @inline(__always) func finish(_ x: UnsafeMutablePointer<Float>, _ sums: SIMD4<Float>, row i: Int) {
        var dots = sums
        var p = vectorEnd
        while p < k {
            dots[0] += x[p] * b0[p]; dots[1] += x[p] * b1[p]; dots[2] += x[p] * b2[p]; dots[3] += x[p] * b3[p]
            p += 1
        }
        let out = c.row(i)
        for j in 0..<n { out[j] = beta == 0 ? alpha * dots[j] : alpha * dots[j] + beta * out[j] }
    }

    /// Rows `i` and `j` (`j == i` for a last odd row, stored once); the fourth column's products
    /// only when there is one (registers: two rows of four 16-lane sums fill all sixteen of AVX2's).
    @inline(__always) func rows(_ i: Int, _ j: Int, four: Bool) {
        let x = a.row(i), y = a.row(j)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var t0 = SIMD16<Float>(), t1 = SIMD16<Float>(), t2 = SIMD16<Float>(), t3 = SIMD16<Float>()
        var p = 0
        while p < vectorEnd {
            let u = load16(x + p), v = load16(y + p)
            let w0 = load16(b0 + p), w1 = load16(b1 + p), w2 = load16(b2 + p)
            s0.addProduct(u, w0); t0.addProduct(v, w0)
            s1.addProduct(u, w1); t1.addProduct(v, w1)
            s2.addProduct(u, w2); t2.addProduct(v, w2)
            if four {
                let w3 = load16(b3 + p)
                s3.addProduct(u, w3); t3.addProduct(v, w3)
            }
            p += 16
        }
        // Without a fourth column its sums would be the third's (b3 aliases b2), and are not stored.
        let s2Sum = s2.sum(), t2Sum = t2.sum()
        finish(x, SIMD4(s0.sum(), s1.sum(), s2Sum, four ? s3.sum() : s2Sum), row: i)
        if j != i { finish(y, SIMD4(t0.sum(), t1.sum(), t2Sum, four ? t3.sum() : t2Sum), row: j) }
    }

    var i = 0
    while i < a.rows {
        let j = min(i + 1, a.rows - 1)
        if n == 4 { rows(i, j, four: true) } else { rows(i, j, four: false) }
        i += 2
    }
}
