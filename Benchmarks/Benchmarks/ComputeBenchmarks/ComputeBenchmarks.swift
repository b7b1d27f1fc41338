import Benchmark
import Compute

/// The MLP training step of issue 2 (forward, MSE, backward, Adam) with malloc counting: after the
/// warm-up iteration the step must make zero allocations, which `mallocCountTotal` shows.
let benchmarks: @Sendable () -> Void = {
    BLAS.setThreadCount(1)
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
    for (dIn, hidden, dOut, batch) in [(32, 128, 3, 64), (256, 256, 3, 1024)] {
        Benchmark("train step \(dIn)-\(hidden)-\(hidden)-\(dOut) batch \(batch)",
                  configuration: .init(metrics: metrics, warmupIterations: 5, maxDuration: .seconds(3))) { benchmark in
            var rng = Xoshiro256(seed: 0)
            let model = MLP.make(sizes: [dIn, hidden, hidden, dOut], using: &rng)
            let adam = Adam(parameters: model.parameters)
            let x = MatrixBuffer(rows: batch, cols: dIn), target = MatrixBuffer(rows: batch, cols: dOut)
            let gradient = MatrixBuffer(rows: batch, cols: dOut)
            rng.fillNormal(x.matrix.base, count: x.matrix.count)
            rng.fillNormal(target.matrix.base, count: target.matrix.count)
            func step() {
                let y = model.forward(x.matrix)
                Loss.meanSquaredError(prediction: y, target: target.matrix, gradient: gradient.matrix)
                model.backward(outputGradient: gradient.matrix)
                adam.step()
            }
            step()  // creates the workspace for this batch size
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { step() }
            benchmark.stopMeasurement()
        }
    }
}
