import CGemm
import Foundation

/// Which code runs the float32 products of a training step: QuantForge's own kernels (an AVX2 + FMA
/// family and an AVX-512 family, chosen by the CPU the process runs on, never by the machine it was
/// built on) or OpenBLAS for everything.
///
/// OpenBLAS 0.3.21's AVX2 kernels (`Haswell`, `Zen`) run the small and mid products of RL networks
/// at 50–70% of what the same core reaches on large ones; its AVX-512 kernels do not lose there.
/// QuantForge's kernels take the products whose weight-sized operand fits in L2 (see
/// `GemmKernels.handles`). Larger ones go to OpenBLAS, and so do the AVX2 family's deep, wide
/// weight gradients and tall products (`avx2DeepGradient`, `avx2TallProduct`). With
/// `QF_GEMM=openblas`, every product does.
///
/// Numerics: each element of an A·B or Aᵀ·B is one chain of fused multiply-adds over the inner
/// dimension in order, and each A·Bᵀ dot product is summed in one fixed 16-lane order. So the two
/// families give bit-identical results on every product both run on their own kernels, which
/// includes every product of training at batch sizes under 256. OpenBLAS sums in its own order
/// (tests state the tolerance).
public enum GemmBackend: String, Sendable, CaseIterable {
    /// OpenBLAS for every product.
    case openblas
    /// QuantForge's AVX2 + FMA kernels for the products they handle, OpenBLAS for the rest.
    case avx2
    /// QuantForge's AVX-512 kernels for the products they handle, OpenBLAS for the rest.
    case avx512

    @usableFromInline var family: Int32 {
        switch self {
        case .openblas: Int32(QF_GEMM_NONE)
        case .avx2: Int32(QF_GEMM_AVX2)
        case .avx512: Int32(QF_GEMM_AVX512)
        }
    }
}

/// The process's choice of `GemmBackend`, made once from the CPU and `QF_GEMM`.
public enum GemmKernels {
    /// The best family this CPU can run (CPUID, and the operating system saving the registers).
    public static let supported: GemmBackend = {
        switch Int(qf_gemm_best_family()) {
        case Int(QF_GEMM_AVX512): .avx512
        case Int(QF_GEMM_AVX2): .avx2
        default: .openblas
        }
    }()

    /// What `QF_GEMM` asked for, or nil for the default (the best supported family).
    public static let requested: GemmBackend? = {
        guard let text = ProcessInfo.processInfo.environment["QF_GEMM"], !text.isEmpty, text != "auto" else { return nil }
        return GemmBackend(rawValue: text.lowercased())
    }()

    /// The backend every `gemm` call in this process uses: `QF_GEMM` (`auto`, `openblas`, `avx2`,
    /// `avx512`) when this CPU can run it, otherwise the best supported.
    public static let active: GemmBackend = resolve(requested: requested, supported: supported)

    /// Why `active` is what it is, for `qf info` and the benchmarks.
    public static var reason: String {
        let cpu = "this CPU supports \(supported == .openblas ? "neither AVX2 + FMA nor AVX-512" : supported.rawValue)"
        if let text = ProcessInfo.processInfo.environment["QF_GEMM"], !text.isEmpty, text != "auto" {
            if requested == nil { return "QF_GEMM='\(text)' is not auto, openblas, avx2 or avx512; \(cpu)" }
            if requested != active { return "QF_GEMM=\(text) asked, but \(cpu)" }
            return "QF_GEMM=\(text)"
        }
        return "the best family \(cpu.replacingOccurrences(of: "this CPU supports ", with: "this CPU runs: "))"
    }

    /// Throws when `QF_GEMM` names no backend, so a typo is not silently run on the default.
    /// - Throws: `ComputeError.invalidConfiguration` naming the variable and the values it takes.
    public static func validateEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let text = environment["QF_GEMM"], !text.isEmpty, text != "auto" else { return }
        guard GemmBackend(rawValue: text.lowercased()) != nil else {
            throw ComputeError.invalidConfiguration("QF_GEMM must be auto, openblas, avx2 or avx512, got '\(text)'")
        }
    }

    /// `requested` when `supported` can run it (AVX-512 machines run AVX2 too), else `supported`.
    public static func resolve(requested: GemmBackend?, supported: GemmBackend) -> GemmBackend {
        guard let requested else { return supported }
        switch (requested, supported) {
        case (.openblas, _), (.avx2, .avx2), (.avx2, .avx512), (.avx512, .avx512): return requested
        default: return supported
        }
    }

    /// Largest weight-sized operand (B of A·B, k·n floats) that the own kernels take: 256 K floats
    /// (1 MB), a 512×512 layer or a batch of 1,024 rows of 256 inputs, within the L2 of the cores
    /// measured. Larger products go to OpenBLAS, whose packing pays off there.
    public static let largestOperand = 1 << 18

    /// The smallest weight gradient Aᵀ·B (m×n over a batch of k rows) that the AVX2 family hands
    /// to OpenBLAS. On the AVX2-only Zen 3 core, OpenBLAS's packed `Zen` kernel ran these
    /// 1.04–1.39× faster than the in-place tile. The tile reads a new line of A for every row of the
    /// batch, so it falls behind once the batch is deep and the layer wide. Narrow layers (the first
    /// layer of a small observation, the 3-action head) and batches under 256 stay on the tile,
    /// which wins there. (docs/kernels.md, "What the AVX2 family leaves to OpenBLAS")
    public static let avx2DeepGradient = (m: 64, n: 128, k: 256)

    /// The smallest A·B (m rows of A against a k×n weight) that the AVX2 family hands to
    /// OpenBLAS: 512 rows against a 256×256 layer. There the tile re-reads B from L2 for every 6
    /// rows, and the step's other operands push B out of Zen 3's 512 KB L2. OpenBLAS's packed
    /// kernel tied the tile when timed alone and won inside the training step.
    public static let avx2TallProduct = (m: 512, weight: 1 << 16)

    /// Whether `backend`'s own kernels take this product (op(A) m×k, op(B) k×n).
    ///
    /// The AVX-512 family keeps every product under `largestOperand`: on Zen 4 its tile beat
    /// OpenBLAS's `SkylakeX` kernel on the large shapes too.
    @inlinable
    public static func handles(_ backend: GemmBackend, transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int) -> Bool {
        guard backend != .openblas, k > 0 else { return false }
        switch (transA, transB) {
        case (.transposed, .none):
            let deep = avx2DeepGradient
            if backend == .avx2 && m >= deep.m && n >= deep.n && k >= deep.k { return false }
            return k * n <= largestOperand
        case (.none, .none):
            if backend == .avx2 && m >= avx2TallProduct.m && k * n >= avx2TallProduct.weight { return false }
            return k * n <= largestOperand
        // A·Bᵀ as dot products: only for few rows, where copying Bᵀ out could cost as much as the
        // product (Linear copies it out from `Linear.transposedCopyMinimumRows` and calls A·B).
        case (.none, .transposed): return m < transposedForwardMinimumRows && k * n <= largestOperand
        case (.transposed, .transposed): return false
        }
    }

    /// C = alpha·op(A)·op(B) + beta·C on `backend`'s own kernels, for a product `handles` accepts.
    @inlinable
    public static func product(_ backend: GemmBackend, _ a: Matrix, _ b: Matrix, into c: Matrix, transA: Transpose, transB: Transpose,
                               m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
        if transB == .none {
            qf_sgemm_nn(backend.family, transA == .transposed ? 1 : 0, m, n, k, alpha,
                        a.base, max(a.cols, 1), b.base, max(b.cols, 1), beta, c.base, max(c.cols, 1))
        } else {
            qf_sgemm_nt(backend.family, m, n, k, alpha, a.base, max(a.cols, 1), b.base, max(b.cols, 1), beta, c.base, max(c.cols, 1))
        }
    }
}
