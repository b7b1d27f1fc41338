import CGemm
import Compute
import Testing

/// QuantForge's own product kernels (`GemmKernels`): each family against a float64 loop, the two
/// families bit for bit against each other and against a float32 loop of fused multiply-adds in
/// the documented order, and against OpenBLAS within a stated tolerance.
@Suite struct GemmKernelTests {
    /// The families this CPU runs (AVX-512 machines run both).
    static let families: [GemmBackend] = {
        switch GemmKernels.supported {
        case .avx512: [.avx2, .avx512]
        case .avx2: [.avx2]
        case .openblas: []
        }
    }()

    /// Shapes with every edge: rows that are not a multiple of either family's tile (6, 8), columns
    /// short of a register or of a tile (16, 32), depths short of a 16-lane chunk, and the
    /// agents' own 64×128 by 128×128, 128×11 over 64 rows (an 11-input layer's weight gradient,
    /// on the AVX-512 family's one-register tile) and 1024×256 by 256×256.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 128, 128), (2, 3, 5), (5, 7, 9), (7, 17, 15), (9, 33, 16), (13, 40, 17), (6, 16, 31),
        (8, 32, 64), (17, 47, 100), (31, 129, 33), (64, 128, 128), (64, 3, 128), (128, 128, 64), (128, 11, 64), (100, 256, 256),
        // Deeper than one depth chunk (256): with beta = 0 the chunks carry partial sums in C.
        (13, 37, 600), (40, 24, 513),
    ]

    struct Operands {
        let a: MatrixBuffer, b: MatrixBuffer, c: MatrixBuffer, before: [Float]
    }

    static func operands(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, seed: UInt64) -> Operands {
        var rng = Xoshiro256(seed: seed)
        let a = transA == .none ? randomMatrix(m, k, &rng) : randomMatrix(k, m, &rng)
        let b = transB == .none ? randomMatrix(k, n, &rng) : randomMatrix(n, k, &rng)
        let c = randomMatrix(m, n, &rng)
        return Operands(a: a, b: b, c: c, before: c.matrix.toArray())
    }

    static func element(_ x: MatrixBuffer, _ trans: Transpose, _ i: Int, _ j: Int) -> Float {
        trans == .none ? x.matrix[i, j] : x.matrix[j, i]
    }

    /// The products each family takes (A·B, Aᵀ·B, and A·Bᵀ on few rows), against float64 with the
    /// error bound of a float32 dot product: |error| ≤ k·u·Σ|aᵢbᵢ| (u = 2⁻²⁴) plus the rounding
    /// of alpha and beta; a wrong index or a lost term is off by O(|aᵢbᵢ|), far outside it.
    @Test(arguments: [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed)])
    func eachFamilyMatchesAFloat64Loop(case trans: (Transpose, Transpose)) {
        let (transA, transB) = trans
        for backend in Self.families {
            for (index, shape) in Self.shapes.enumerated() {
                let (m, n, k) = shape
                if transB == .transposed && m >= transposedForwardMinimumRows { continue }
                // The kernel is tested on every shape; the AVX2 family leaves the deep, wide
                // weight gradient (100×256 over 256 rows) to OpenBLAS, the AVX-512 family runs it.
                let handedOff = backend == .avx2 && transA == .transposed && (m, n, k) == (100, 256, 256)
                #expect(GemmKernels.handles(backend, transA: transA, transB: transB, m: m, n: n, k: k) == !handedOff)
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 2), (1, 1)] {
                    let o = Self.operands(transA, transB, m: m, n: n, k: k, seed: UInt64(index * 10 + 1))
                    GemmKernels.product(backend, o.a.matrix, o.b.matrix, into: o.c.matrix, transA: transA, transB: transB,
                                        m: m, n: n, k: k, alpha: alpha, beta: beta)
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<n {
                            var dot = 0.0, magnitude = 0.0
                            for p in 0..<k {
                                let term = Double(Self.element(o.a, transA, i, p)) * Double(Self.element(o.b, transB, p, j))
                                dot += term
                                magnitude += abs(term)
                            }
                            let old = Double(o.before[i * n + j])
                            let expected = Double(alpha) * dot + Double(beta) * old
                            let bound = Double(k + 2) * 0x1p-24 * (abs(Double(alpha)) * magnitude + abs(Double(beta) * old)) + 1e-30
                            worst = max(worst, abs(Double(o.c.matrix[i, j]) - expected) / bound)
                        }
                    }
                    #expect(worst <= 1, "\(backend) \(transA)/\(transB) \(m)×\(n)×\(k) alpha \(alpha) beta \(beta): error \(worst) of the bound")
                }
            }
        }
    }

    /// With beta = 0, C is written, never read: NaN already in C must not reach the result.
    @Test func betaZeroDoesNotReadC() {
        for backend in Self.families {
            for transB in [Transpose.none, .transposed] {
                let o = Self.operands(.none, transB, m: 9, n: 37, k: 21, seed: 5)
                o.c.matrix.fill(.nan)
                GemmKernels.product(backend, o.a.matrix, o.b.matrix, into: o.c.matrix, transA: .none, transB: transB, m: 9, n: 37, k: 21, alpha: 1, beta: 0)
                let finite = o.c.matrix.toArray().allSatisfy { $0.isFinite }
                #expect(finite, "\(backend) \(transB)")
            }
        }
    }

    /// The numerics the type documents: A·B and Aᵀ·B equal, bit for bit, a float32 loop of fused
    /// multiply-adds over p in order then alpha·sum and fma(beta, c, ·); so AVX2 and AVX-512 agree.
    @Test(arguments: [Transpose.none, .transposed])
    func productsAreOneFusedChainInOrder(transA: Transpose) {
        for backend in Self.families {
            for (index, (m, n, k)) in Self.shapes.enumerated() {
                for beta: Float in [0, 1.25] {
                    let o = Self.operands(transA, .none, m: m, n: n, k: k, seed: UInt64(index + 100))
                    GemmKernels.product(backend, o.a.matrix, o.b.matrix, into: o.c.matrix, transA: transA, transB: .none, m: m, n: n, k: k, alpha: 0.75, beta: beta)
                    var mismatches = 0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Float = 0
                            for p in 0..<k { sum = sum.addingProduct(Self.element(o.a, transA, i, p), o.b.matrix[p, j]) }
                            let expected = beta == 0 ? 0.75 * sum : (0.75 * sum).addingProduct(beta, o.before[i * n + j])
                            if o.c.matrix[i, j].bitPattern != expected.bitPattern { mismatches += 1 }
                        }
                    }
                    #expect(mismatches == 0, "\(backend) \(transA) \(m)×\(n)×\(k) beta \(beta): \(mismatches) elements differ from the ordered chain")
                }
            }
        }
    }

    /// A·Bᵀ on both families, bit for bit (the 16-lane order is shared), on every shape.
    @Test(.enabled(if: GemmKernels.supported == .avx512, "both families run only on an AVX-512 machine"))
    func dotProductFamiliesAgreeBitForBit() throws {
        for (index, (m, n, k)) in Self.shapes.enumerated() where m < transposedForwardMinimumRows {
            let first = Self.operands(.none, .transposed, m: m, n: n, k: k, seed: UInt64(index + 200))
            let second = Self.operands(.none, .transposed, m: m, n: n, k: k, seed: UInt64(index + 200))
            GemmKernels.product(.avx2, first.a.matrix, first.b.matrix, into: first.c.matrix, transA: .none, transB: .transposed, m: m, n: n, k: k, alpha: 0.5, beta: 2)
            GemmKernels.product(.avx512, second.a.matrix, second.b.matrix, into: second.c.matrix, transA: .none, transB: .transposed, m: m, n: n, k: k, alpha: 0.5, beta: 2)
            #expect(first.c.matrix.toArray().map(\.bitPattern) == second.c.matrix.toArray().map(\.bitPattern), "\(m)×\(n)×\(k)")
        }
    }

    /// OpenBLAS sums in its own order: the two backends agree within the float32 dot-product bound
    /// (k·u·Σ|aᵢbᵢ| for each side), not bit for bit.
    @Test func ownKernelsAgreeWithOpenBLASWithinTheDotProductBound() {
        for backend in Self.families {
            let (m, n, k) = (64, 128, 128)
            let own = Self.operands(.none, .none, m: m, n: n, k: k, seed: 9)
            let blas = Self.operands(.none, .none, m: m, n: n, k: k, seed: 9)
            GemmKernels.product(backend, own.a.matrix, own.b.matrix, into: own.c.matrix, transA: .none, transB: .none, m: m, n: n, k: k, alpha: 1, beta: 0)
            openBLASGemm(blas.a.matrix, blas.b.matrix, into: blas.c.matrix)
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    let magnitude = (0..<k).reduce(0.0) { $0 + abs(Double(own.a.matrix[i, $1]) * Double(own.b.matrix[$1, j])) }
                    worst = max(worst, abs(Double(own.c.matrix[i, j]) - Double(blas.c.matrix[i, j])) / (2 * Double(k) * 0x1p-24 * magnitude))
                }
            }
            #expect(worst <= 1, "\(backend) vs OpenBLAS: \(worst) of the bound")
        }
    }

    /// `QF_GEMM` is followed when the CPU runs what it names; an AVX2-only CPU asked for AVX-512
    /// runs AVX2, and a CPU with neither runs OpenBLAS.
    @Test func theBackendFollowsQF_GEMMWithinWhatTheCPURuns() {
        #expect(GemmKernels.resolve(requested: nil, supported: .avx512) == .avx512)
        #expect(GemmKernels.resolve(requested: .avx2, supported: .avx512) == .avx2)
        #expect(GemmKernels.resolve(requested: .openblas, supported: .avx512) == .openblas)
        #expect(GemmKernels.resolve(requested: .avx512, supported: .avx2) == .avx2)
        #expect(GemmKernels.resolve(requested: .avx2, supported: .openblas) == .openblas)
        #expect(GemmKernels.active == GemmKernels.resolve(requested: GemmKernels.requested, supported: GemmKernels.supported))
        #expect(throws: Never.self) { try GemmKernels.validateEnvironment(["QF_GEMM": "AVX2"]) }
        #expect(throws: Never.self) { try GemmKernels.validateEnvironment([:]) }
        #expect(throws: ComputeError.invalidConfiguration("QF_GEMM must be auto, openblas, avx2 or avx512, got 'avx-512'")) {
            try GemmKernels.validateEnvironment(["QF_GEMM": "avx-512"])
        }
        #expect(!GemmKernels.handles(.openblas, transA: .none, transB: .none, m: 4, n: 4, k: 4))
        #expect(!GemmKernels.handles(.avx2, transA: .none, transB: .none, m: 4, n: 1024, k: 1024), "a 4 MB operand goes to OpenBLAS")
        // Weight gradients: the AVX2 family hands the deep, wide ones to OpenBLAS, the AVX-512 family does not.
        let deep = GemmKernels.avx2DeepGradient
        #expect(!GemmKernels.handles(.avx2, transA: .transposed, transB: .none, m: deep.m, n: deep.n, k: deep.k))
        #expect(!GemmKernels.handles(.avx2, transA: .transposed, transB: .none, m: 256, n: 256, k: 1024))
        #expect(GemmKernels.handles(.avx512, transA: .transposed, transB: .none, m: 256, n: 256, k: 1024))
        #expect(GemmKernels.handles(.avx2, transA: .transposed, transB: .none, m: deep.m, n: deep.n, k: deep.k - 1), "a batch under 256")
        #expect(GemmKernels.handles(.avx2, transA: .transposed, transB: .none, m: 3, n: 256, k: 1024), "the 3-action head")
        #expect(GemmKernels.handles(.avx2, transA: .transposed, transB: .none, m: 128, n: 32, k: 1024), "a narrow first layer")
        // A·B: the AVX2 family hands 512 rows or more against a 256×256 layer to OpenBLAS.
        let tall = GemmKernels.avx2TallProduct
        #expect(!GemmKernels.handles(.avx2, transA: .none, transB: .none, m: 1024, n: 256, k: 256))
        #expect(!GemmKernels.handles(.avx2, transA: .none, transB: .none, m: tall.m, n: 256, k: tall.weight / 256))
        #expect(GemmKernels.handles(.avx512, transA: .none, transB: .none, m: 1024, n: 256, k: 256))
        #expect(GemmKernels.handles(.avx2, transA: .none, transB: .none, m: tall.m - 1, n: 256, k: 256), "under 512 rows")
        #expect(GemmKernels.handles(.avx2, transA: .none, transB: .none, m: 1024, n: 128, k: 128), "a 128-wide layer")
    }
}
