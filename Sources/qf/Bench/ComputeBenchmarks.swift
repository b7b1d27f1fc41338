import Compute
import Foundation

/// The Compute benchmarks of issue 2, in the shapes of ../shared/peers/rl/bench_torch_mlp.py so the
/// figures line up with the PyTorch peer (Benchmarks/peers/torch_compute.py) run beside them.
enum ComputeBenchmarks {
    /// The training-step shapes: (input, hidden, output, batch).
    static let trainShapes: [(Int, Int, Int, Int)] = [(32, 128, 3, 32), (32, 128, 3, 64), (32, 128, 3, 256), (256, 256, 3, 1024)]

    struct SGEMMResult: Codable { var n: Int; var gflops: Double; var timing: Timing }
    struct TrainResult: Codable {
        var dIn: Int, hidden: Int, dOut: Int, batch: Int
        var usPerStep: Double, gflops: Double, flopsPerStep: Double
        var timing: Timing
    }
    struct ForwardResult: Codable { var dIn: Int; var us: Double; var timing: Timing }
    /// One product of a training step, on the active backend and on OpenBLAS alone.
    struct ProductResult: Codable {
        var name: String, m: Int, n: Int, k: Int
        var gflops: Double, openblasGflops: Double
    }
    struct Report: Codable {
        var blasCore: String
        var blasThreads: Int
        var gemmBackend: String
        var sgemm: [SGEMMResult]
        var products: [ProductResult]
        var trainStep: [TrainResult]
        var forwardBatch1: [ForwardResult]
    }

    static func run(minTime: Double, repeats: Int, log: (String) -> Void) -> Report {
        var rng = Xoshiro256(seed: 0)
        var sgemm: [SGEMMResult] = []
        for n in [64, 128, 256, 512, 1024] {
            let a = MatrixBuffer(rows: n, cols: n), b = MatrixBuffer(rows: n, cols: n), c = MatrixBuffer(rows: n, cols: n)
            rng.fillNormal(a.matrix.base, count: n * n)
            rng.fillNormal(b.matrix.base, count: n * n)
            let t = Timing.measure(repeats: repeats, minTime: minTime, warmup: 3) { gemm(a.matrix, b.matrix, into: c.matrix) }
            let gflops = 2 * Double(n * n * n) / t.medianSeconds / 1e9
            sgemm.append(SGEMMResult(n: n, gflops: gflops, timing: t))
            log(String(format: "sgemm n=%4d: %7.1f GFLOP/s", n, gflops))
        }

        // The three products of each layer of the benchmark networks (forward x·(Wᵀ) after the copy,
        // weight gradient dYᵀ·X, input gradient dY·W) and the batch-1 forward x·Wᵀ.
        var products: [ProductResult] = []
        for (batch, inputs, outputs) in [(64, 128, 128), (1024, 256, 256), (1, 128, 128)] {
            let forms: [(String, Transpose, Transpose, Int, Int, Int)] = batch == 1
                ? [("forward x·Wᵀ", .none, .transposed, batch, outputs, inputs)]
                : [("forward x·(Wᵀ)", .none, .none, batch, outputs, inputs), ("weight gradient dYᵀ·X", .transposed, .none, outputs, inputs, batch),
                   ("input gradient dY·W", .none, .none, batch, inputs, outputs)]
            for (name, transA, transB, m, n, k) in forms {
                let a = transA == .none ? MatrixBuffer(rows: m, cols: k) : MatrixBuffer(rows: k, cols: m)
                let b = transB == .none ? MatrixBuffer(rows: k, cols: n) : MatrixBuffer(rows: n, cols: k)
                let c = MatrixBuffer(rows: m, cols: n)
                rng.fillNormal(a.matrix.base, count: m * k)
                rng.fillNormal(b.matrix.base, count: k * n)
                let flops = 2 * Double(m * n * k)
                let own = Timing.measure(repeats: repeats, minTime: minTime, warmup: 3) {
                    gemm(a.matrix, b.matrix, into: c.matrix, transposeA: transA, transposeB: transB)
                }
                let blas = Timing.measure(repeats: repeats, minTime: minTime, warmup: 3) {
                    openBLASGemm(a.matrix, b.matrix, into: c.matrix, transposeA: transA, transposeB: transB)
                }
                let result = ProductResult(name: name, m: m, n: n, k: k, gflops: flops / own.medianSeconds / 1e9, openblasGflops: flops / blas.medianSeconds / 1e9)
                products.append(result)
                log(String(format: "%@ %d×%d×%d: %7.1f GFLOP/s (OpenBLAS alone %7.1f)", name, m, n, k, result.gflops, result.openblasGflops))
            }
        }

        var train: [TrainResult] = []
        for (dIn, h, dOut, batch) in trainShapes {
            let model = MLP.make(sizes: [dIn, h, h, dOut], using: &rng)
            let adam = Adam(parameters: model.parameters, learningRate: 1e-3)
            let x = MatrixBuffer(rows: batch, cols: dIn), target = MatrixBuffer(rows: batch, cols: dOut)
            let grad = MatrixBuffer(rows: batch, cols: dOut)
            rng.fillNormal(x.matrix.base, count: x.matrix.count)
            rng.fillNormal(target.matrix.base, count: target.matrix.count)
            let t = Timing.measure(repeats: repeats, minTime: minTime) {
                let y = model.forward(x.matrix)
                Loss.meanSquaredError(prediction: y, target: target.matrix, gradient: grad.matrix)
                model.backward(outputGradient: grad.matrix)
                adam.step()
            }
            // The peer's FLOP convention: 3 × forward matmul FLOPs.
            let flops = 3 * 2 * Double(batch * (dIn * h + h * h + h * dOut))
            train.append(TrainResult(dIn: dIn, hidden: h, dOut: dOut, batch: batch, usPerStep: t.medianSeconds * 1e6,
                                     gflops: flops / t.medianSeconds / 1e9, flopsPerStep: flops, timing: t))
            log(String(format: "train %d->%d->%d->%d B=%4d: %8.1f us/step %7.1f GFLOP/s", dIn, h, h, dOut, batch, t.medianSeconds * 1e6, flops / t.medianSeconds / 1e9))
        }

        var forward: [ForwardResult] = []
        for dIn in [11, 32] {
            let model = MLP.make(sizes: [dIn, 128, 128, 3], using: &rng)
            let x = MatrixBuffer(rows: 1, cols: dIn)
            rng.fillNormal(x.matrix.base, count: dIn)
            var sink = 0
            let t = Timing.measure(repeats: repeats, minTime: minTime, warmup: 50) {
                let q = model.predict(x.matrix.base)
                sink &+= Kernels.argmax(q.base, count: q.cols)
            }
            if sink == Int.min { print(sink) }
            forward.append(ForwardResult(dIn: dIn, us: t.medianSeconds * 1e6, timing: t))
            log(String(format: "forward b=1 %d->128->128->3 + argmax: %6.2f us", dIn, t.medianSeconds * 1e6))
        }
        return Report(blasCore: BLAS.coreName, blasThreads: BLAS.threadCount, gemmBackend: GemmKernels.active.rawValue, sgemm: sgemm, products: products,
                      trainStep: train, forwardBatch1: forward)
    }
}
