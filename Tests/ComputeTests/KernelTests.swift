import CGemm
import Compute
import Foundation
import Testing

/// BLAS products and reductions against slow float64 loops.
@Suite struct KernelTests {
    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func gemmMatchesNaiveLoop(transA: Transpose, transB: Transpose) {
        var rng = Xoshiro256(seed: 1)
        let m = 5, n = 7, k = 9
        let a = transA == .none ? randomMatrix(m, k, &rng) : randomMatrix(k, m, &rng)
        let b = transB == .none ? randomMatrix(k, n, &rng) : randomMatrix(n, k, &rng)
        let c = randomMatrix(m, n, &rng)
        let before = c.matrix.toArray()
        gemm(a.matrix, b.matrix, into: c.matrix, transposeA: transA, transposeB: transB, alpha: 0.5, beta: 2)
        for i in 0..<m {
            for j in 0..<n {
                var dot = 0.0
                for l in 0..<k {
                    let x = transA == .none ? a.matrix[i, l] : a.matrix[l, i]
                    let y = transB == .none ? b.matrix[l, j] : b.matrix[j, l]
                    dot += Double(x) * Double(y)
                }
                let expected = 0.5 * dot + 2 * Double(before[i * n + j])
                #expect(abs(Double(c.matrix[i, j]) - expected) < 1e-5 * max(1, abs(expected)))
            }
        }
    }

    /// The thin-output path (A·Bᵀ with at most `thinOutputLimit` columns) against the same loop.
    @Test(arguments: [1, 3, 4, 5]) func thinOutputProductMatchesNaiveLoop(n: Int) {
        var rng = Xoshiro256(seed: UInt64(n))
        let m = 6, k = 37
        let a = randomMatrix(m, k, &rng), b = randomMatrix(n, k, &rng), c = randomMatrix(m, n, &rng)
        let before = c.matrix.toArray()
        let original = MatrixBuffer(rows: m, cols: n, values: before)  // owns the copy source
        for beta: Float in [0, 0.5] {
            c.matrix.copy(from: original.matrix)
            gemm(a.matrix, b.matrix, into: c.matrix, transposeB: .transposed, alpha: 2, beta: beta)
            for i in 0..<m {
                for j in 0..<n {
                    let dot = (0..<k).reduce(0.0) { $0 + Double(a.matrix[i, $1]) * Double(b.matrix[j, $1]) }
                    let expected = 2 * dot + Double(beta) * Double(before[i * n + j])
                    #expect(abs(Double(c.matrix[i, j]) - expected) < 1e-5 * max(1, abs(expected)))
                }
            }
        }
    }

    /// The thin path takes rows two at a time; every row must get the bits it gets alone, odd
    /// row counts and depths off the 16-lane grid included.
    @Test(arguments: [1, 2, 3, 4]) func thinOutputRowsGetTheSameBitsInPairsAsAlone(n: Int) {
        var rng = Xoshiro256(seed: 50 + UInt64(n))
        for k in [37, 128] {
            let m = 7
            let a = randomMatrix(m, k, &rng), b = randomMatrix(n, k, &rng)
            let whole = MatrixBuffer(rows: m, cols: n), alone = MatrixBuffer(rows: 1, cols: n)
            gemm(a.matrix, b.matrix, into: whole.matrix, transposeB: .transposed)
            for i in 0..<m {
                gemm(Matrix(base: a.matrix.row(i), rows: 1, cols: k), b.matrix, into: alone.matrix, transposeB: .transposed)
                for j in 0..<n {
                    #expect(alone.matrix[0, j].bitPattern == whole.matrix[i, j].bitPattern, "k \(k), row \(i), column \(j)")
                }
            }
        }
    }

    /// Shapes that take the blocked paths (row blocks for A·B, depth blocks for Aᵀ·B) with a
    /// remainder block, against the naive loop.
    @Test(arguments: [(Transpose.none, 70, 40, 30), (.transposed, 30, 20, 77), (.none, 33, 128, 128), (.transposed, 128, 128, 65)])
    func blockedProductsMatchNaiveLoop(case shape: (Transpose, Int, Int, Int)) {
        let (transA, m, n, k) = shape
        var rng = Xoshiro256(seed: UInt64(m * n + k))
        let a = transA == .none ? randomMatrix(m, k, &rng) : randomMatrix(k, m, &rng)
        let b = randomMatrix(k, n, &rng), c = randomMatrix(m, n, &rng)
        let before = c.matrix.toArray()
        gemm(a.matrix, b.matrix, into: c.matrix, transposeA: transA, alpha: 1.5, beta: 0.5)
        for i in 0..<m {
            for j in 0..<n {
                var dot = 0.0
                for l in 0..<k { dot += Double(transA == .none ? a.matrix[i, l] : a.matrix[l, i]) * Double(b.matrix[l, j]) }
                let expected = 1.5 * dot + 0.5 * Double(before[i * n + j])
                #expect(abs(Double(c.matrix[i, j]) - expected) < 2e-5 * max(1, abs(expected)), "(\(i), \(j))")
            }
        }
    }

    /// Linear's forward pass, on the active backend, on either side of each backend's
    /// `transposedCopyMinimumRows` (4 and 10 rows for QuantForge's kernels, 32 for OpenBLAS: x·Wᵀ,
    /// or x·(Wᵀ) after copying Wᵀ out, with W's sides multiples of 8 or not), a wide layer, a tall batch (512 rows
    /// against 256×256, which the AVX2 family hands to OpenBLAS as x·Wᵀ, skipping the copy) and a
    /// thin head, against the naive loop; then again after the weights change, which a stale copy
    /// of Wᵀ would miss.
    @Test(arguments: [(3, 11, 128), (4, 11, 128), (9, 128, 128), (10, 128, 128), (14, 64, 64), (31, 13, 9), (32, 13, 9), (33, 128, 128),
                      (64, 11, 128), (100, 17, 23), (40, 256, 256), (512, 256, 256), (64, 128, 3)])
    func linearForwardMatchesNaiveLoop(case shape: (Int, Int, Int)) {
        let (rows, inputs, outputs) = shape
        var rng = Xoshiro256(seed: UInt64(rows * 1_000 + inputs * 10 + outputs))
        let layer = Linear(inputs, outputs)
        let store = ParameterStore(shapes: layer.parameterShapes)
        layer.bind(parameters: [store.value(0), store.value(1)], gradients: [store.gradient(0), store.gradient(1)])
        layer.resetParameters(using: &rng)
        let x = randomMatrix(rows, inputs, &rng), y = MatrixBuffer(rows: rows, cols: outputs)
        for pass in 0..<2 {
            if pass == 1 { for i in 0..<store.count { store.values.base[i] = 2 * store.values.base[i] - 0.01 } }
            layer.forward(x.matrix, into: y.matrix)
            let w = store.value(0), b = store.value(1)
            for i in 0..<rows {
                for o in 0..<outputs {
                    var sum = Double(b[0, o])
                    for k in 0..<inputs { sum += Double(x.matrix[i, k]) * Double(w[o, k]) }
                    #expect(abs(Double(y.matrix[i, o]) - sum) < 1e-5 * max(1, abs(sum)), "pass \(pass), (\(i), \(o))")
                }
            }
        }
    }

    @Test func gemvMatchesNaiveLoop() {
        var rng = Xoshiro256(seed: 2)
        let a = randomMatrix(4, 6, &rng), x = randomMatrix(1, 6, &rng), y = MatrixBuffer(rows: 1, cols: 4)
        gemv(a.matrix, x.matrix.base, into: y.matrix.base)
        for i in 0..<4 {
            let expected = (0..<6).reduce(0.0) { $0 + Double(a.matrix[i, $1]) * Double(x.matrix.base[$1]) }
            #expect(abs(Double(y.matrix.base[i]) - expected) < 1e-5)
        }
        let xt = randomMatrix(1, 4, &rng), yt = MatrixBuffer(rows: 1, cols: 6)
        gemv(a.matrix, xt.matrix.base, into: yt.matrix.base, transposeA: .transposed)
        for j in 0..<6 {
            let expected = (0..<4).reduce(0.0) { $0 + Double(a.matrix[$1, j]) * Double(xt.matrix.base[$1]) }
            #expect(abs(Double(yt.matrix.base[j]) - expected) < 1e-5)
        }
    }

    @Test(arguments: [0, 1, 15, 16, 17, 63, 64, 65, 100, 1000, 17_820]) func reductions(count: Int) {
        var rng = Xoshiro256(seed: UInt64(count))
        let x = randomMatrix(1, max(count, 1), &rng), y = randomMatrix(1, max(count, 1), &rng)
        let xs = (0..<count).map { Double(x.matrix.base[$0]) }, ys = (0..<count).map { Double(y.matrix.base[$0]) }
        let tolerance = 1e-5 * Double(max(count, 1)).squareRoot()
        #expect(abs(Double(Kernels.sum(x.matrix.base, count: count)) - xs.reduce(0, +)) < tolerance)
        #expect(abs(Double(Kernels.dot(x.matrix.base, y.matrix.base, count: count)) - zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 }) < tolerance)
        if count > 0 {
            #expect(Kernels.maximum(x.matrix.base, count: count) == x.matrix.toArray().prefix(count).max())
            #expect(Kernels.argmax(x.matrix.base, count: count) == xs.firstIndex(of: xs.max()!))
        }
    }

    @Test func rowBroadcastAndColumnSums() {
        var rng = Xoshiro256(seed: 3)
        let m = randomMatrix(3, 20, &rng), bias = randomMatrix(1, 20, &rng)
        let before = m.matrix.toArray()
        Kernels.addRowVector(bias.matrix.base, to: m.matrix)
        for r in 0..<3 { for c in 0..<20 { #expect(m.matrix[r, c] == before[r * 20 + c] + bias.matrix.base[c]) } }
        let sums = MatrixBuffer(rows: 1, cols: 20)
        Kernels.sumRows(of: m.matrix, into: sums.matrix.base, accumulate: false)
        for c in 0..<20 { #expect(abs(sums.matrix.base[c] - (m.matrix[0, c] + m.matrix[1, c] + m.matrix[2, c])) < 1e-5) }
    }

    @Test func threadCountIsConfigurable() throws {
        #expect(try ComputeConfiguration.fromEnvironment([:]).blasThreads == 1)
        #expect(try ComputeConfiguration.fromEnvironment(["QF_BLAS_THREADS": "2"]).blasThreads == 2)
        #expect(throws: ComputeError.self) { try ComputeConfiguration.fromEnvironment(["QF_BLAS_THREADS": "zero"]) }
        BLAS.setThreadCount(2)
        #expect(BLAS.threadCount == 2)
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
    }
}

/// The vectorisable tanh against double precision.
@Suite struct FastTanhTests {
    @Test func fastTanhIsWithinFourTenMillionthsEverywhere() {
        var worst = 0.0, at = 0.0
        var x = -12.0
        while x <= 12 {
            let error = abs(Double(Kernels.fastTanh(Float(x))) - Foundation.tanh(Double(Float(x))))
            if error > worst { worst = error; at = x }
            x += 1e-4
        }
        #expect(worst < 4e-7, "worst error \(worst) at \(at)")
        // Odd, exact at 0, saturating to ±1, and tiny inputs keep their relative precision.
        #expect(Kernels.fastTanh(0) == 0 && Kernels.fastTanh(-3) == -Kernels.fastTanh(3))
        #expect(Kernels.fastTanh(20) == 1 && Kernels.fastTanh(-20) == -1)
        #expect(Kernels.fastTanh(7.90531110763549805) == 1 && Kernels.fastTanh(-.infinity) == -1 && Kernels.fastTanh(.nan).isNaN)
        #expect(abs(Kernels.fastTanh(1e-6) - 1e-6) < 1e-12)
    }

    @Test func theAVX512RowsGiveFastTanhsBits() {
        // Rows of 37 (two full 16-lane blocks and a masked edge of 5) over a dense grid with the
        // edge cases spliced in, each plus a bias, in place and out of place.
        let specials: [Float] = [0, -0, 7.90531110763549805, -7.90531110763549805, 7.9053106, 8, -8, 20, .infinity, -.infinity, .nan, 1e-6, -1e-30]
        let rows = 700, cols = 37
        var input = [Float](repeating: 0, count: rows * cols)
        for i in input.indices { input[i] = -10 + 20 * Float(i) / Float(input.count) }
        for (k, v) in specials.enumerated() { input[k * 53] = v }
        let bias = (0..<cols).map { Float($0 % 7) * 0.125 - 0.375 }
        var expected = input
        for r in 0..<rows { for c in 0..<cols { expected[r * cols + c] = Kernels.fastTanh(input[r * cols + c] + bias[c]) } }
        var out = [Float](repeating: 0, count: rows * cols), inPlace = input
        // The other families run Compute's own loop: the call leaves the rows alone.
        #expect(qf_tanh_rows(Int32(QF_GEMM_AVX2), input, &inPlace, bias, rows, cols) == 0)
        #expect(inPlace.map(\.bitPattern) == input.map(\.bitPattern))
        // Only a CPU with AVX-512 can run those rows (CI's and this project's benchmark machines do).
        guard GemmKernels.supported == .avx512 else { return }
        #expect(qf_tanh_rows(Int32(QF_GEMM_AVX512), input, &out, bias, rows, cols) == 1)
        _ = inPlace.withUnsafeMutableBufferPointer { qf_tanh_rows(Int32(QF_GEMM_AVX512), $0.baseAddress, $0.baseAddress, bias, rows, cols) }
        let mismatches = (0..<out.count).filter { out[$0].bitPattern != expected[$0].bitPattern || inPlace[$0].bitPattern != expected[$0].bitPattern }
        #expect(mismatches.isEmpty, "\(mismatches.count) lanes differ, first at \(mismatches.first.map { input[$0] } ?? 0)")
    }
}
