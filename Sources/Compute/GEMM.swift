import CBLAS

/// Whether a GEMM operand is used as stored or transposed. Transposition is a flag passed to BLAS,
/// never a copy.
public enum Transpose: Sendable {
    case none
    case transposed

    @inlinable var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C = alpha · op(A) · op(B) + beta · C through `cblas_sgemm`, all row-major.
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
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                Int32(m), Int32(n), Int32(k),
                alpha, a.base, Int32(max(a.cols, 1)), b.base, Int32(max(b.cols, 1)),
                beta, c.base, Int32(max(c.cols, 1)))
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
