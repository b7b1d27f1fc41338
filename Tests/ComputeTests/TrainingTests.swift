import Compute
import Foundation
import MallocCounter
import Testing

/// Whole training runs: learning, determinism, exact resume from a checkpoint, no allocation.
@Suite(.serialized) struct TrainingTests {
    /// A training run on a fixed random regression task; returns the model, its optimizer and the
    /// sampler so a test can continue or checkpoint it.
    final class Run {
        let model: Sequential
        let optimizer: any Optimizer
        var sampler: Xoshiro256
        let x: MatrixBuffer, target: MatrixBuffer, gradient: MatrixBuffer
        let teacher: [Float]

        init(seed: UInt64, optimizer kind: OptimizerKind = .adam) {
            var rng = Xoshiro256(seed: seed)
            model = MLP.make(sizes: [6, 16, 16, 2], activation: .leakyRelu, using: &rng)
            switch kind {
            case .adam: optimizer = Adam(parameters: model.parameters, learningRate: 3e-3)
            case .adamw: optimizer = Adam.adamW(parameters: model.parameters, learningRate: 3e-3)
            case .sgd: optimizer = SGD(parameters: model.parameters, learningRate: 1e-2, momentum: 0.9, nesterov: true)
            case .rmsprop: optimizer = RMSprop(parameters: model.parameters, learningRate: 1e-3, momentum: 0.5, centered: true)
            }
            sampler = Xoshiro256(seed: seed &+ 1)
            x = MatrixBuffer(rows: 8, cols: 6)
            target = MatrixBuffer(rows: 8, cols: 2)
            gradient = MatrixBuffer(rows: 8, cols: 2)
            var teacherRng = Xoshiro256(seed: 99)
            teacher = (0..<12).map { _ in teacherRng.nextNormal() }
        }

        func train(steps: Int) {
            for _ in 0..<steps {
                sampler.fillNormal(x.matrix.base, count: x.matrix.count)
                for r in 0..<8 {
                    for o in 0..<2 {
                        var t: Float = 0
                        for i in 0..<6 { t += teacher[o * 6 + i] * x.matrix[r, i] }
                        target.matrix[r, o] = sin(t)
                    }
                }
                let y = model.forward(x.matrix)
                Loss.huber(prediction: y, target: target.matrix, gradient: gradient.matrix)
                model.backward(outputGradient: gradient.matrix)
                GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 1)
                optimizer.step()
            }
        }

        var bits: [UInt32] { model.parameters.values.buffer.map(\.bitPattern) }
    }

    @Test(arguments: OptimizerKind.allCases) func sameSeedIsBitIdentical(kind: OptimizerKind) {
        BLAS.setThreadCount(1)
        let a = Run(seed: 5, optimizer: kind), b = Run(seed: 5, optimizer: kind)
        a.train(steps: 100)
        b.train(steps: 100)
        #expect(a.bits == b.bits)
        let c = Run(seed: 6, optimizer: kind)
        c.train(steps: 100)
        #expect(a.bits != c.bits)
    }

    @Test(arguments: OptimizerKind.allCases) func resumedRunIsBitIdentical(kind: OptimizerKind) throws {
        BLAS.setThreadCount(1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qf-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mid.safetensors").path

        let uninterrupted = Run(seed: 11, optimizer: kind)
        uninterrupted.train(steps: 60)
        try Checkpoint.save(to: path, parameters: uninterrupted.model.parameters, optimizer: uninterrupted.optimizer,
                            generators: ["sampler": uninterrupted.sampler], metadata: ["step": "60"])
        uninterrupted.train(steps: 60)

        // A fresh process would build the run from another seed and then load the checkpoint.
        let resumed = Run(seed: 12345, optimizer: kind)
        let restored = try Checkpoint.restore(from: path, parameters: resumed.model.parameters, optimizer: resumed.optimizer)
        resumed.sampler = try #require(restored.generators["sampler"])
        #expect(restored.metadata["step"] == "60")
        #expect(resumed.optimizer.stepCount == 60)
        resumed.train(steps: 60)
        #expect(resumed.bits == uninterrupted.bits)
    }

    @Test func sineRegressionReachesStatedLoss() {
        // y = sin(x) on [−π, π], MLP 1→32→32→1 tanh, Adam 1e-2, batch 64, 1500 steps: the mean
        // squared error on a 101-point grid must fall below 1e-3 (it starts near 0.5).
        BLAS.setThreadCount(1)
        var rng = Xoshiro256(seed: 2024)
        let model = MLP.make(sizes: [1, 32, 32, 1], activation: .tanh, using: &rng)
        let adam = Adam(parameters: model.parameters, learningRate: 1e-2)
        let x = MatrixBuffer(rows: 64, cols: 1), y = MatrixBuffer(rows: 64, cols: 1), g = MatrixBuffer(rows: 64, cols: 1)
        let grid = MatrixBuffer(rows: 101, cols: 1, values: (0...100).map { -Float.pi + 2 * Float.pi * Float($0) / 100 })
        func gridError() -> Double {
            let p = model.forward(grid.matrix)
            return (0...100).reduce(0.0) { $0 + pow(Double(p[$1, 0]) - sin(Double(grid.matrix[$1, 0])), 2) } / 101
        }
        let initial = gridError()
        for _ in 0..<1500 {
            for i in 0..<64 {
                let v = rng.nextUniform(-Float.pi, Float.pi)
                x.matrix[i, 0] = v
                y.matrix[i, 0] = sin(v)
            }
            Loss.meanSquaredError(prediction: model.forward(x.matrix), target: y.matrix, gradient: g.matrix)
            model.backward(outputGradient: g.matrix)
            adam.step()
        }
        let final = gridError()
        #expect(initial > 0.1)
        #expect(final < 1e-3, "grid MSE \(final)")
    }

    @Test func trainingStepAllocatesNothingOnceWarm() {
        BLAS.setThreadCount(1)
        var rng = Xoshiro256(seed: 3)
        let model = MLP.make(sizes: [32, 128, 128, 3], using: &rng)
        let adam = Adam(parameters: model.parameters)
        let x = randomMatrix(64, 32, &rng), t = randomMatrix(64, 3, &rng), g = MatrixBuffer(rows: 64, cols: 3)
        let state = MatrixBuffer(rows: 1, cols: 32)
        func step() {
            let y = model.forward(x.matrix)
            Loss.meanSquaredError(prediction: y, target: t.matrix, gradient: g.matrix)
            model.backward(outputGradient: g.matrix)
            GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 10)
            adam.step()
            _ = Kernels.argmax(model.predict(state.matrix.base).base, count: 3)
        }
        ComputeConfiguration(blasThreads: 1).apply()   // threaded GEMMs allocate (see DQNTests)
        step()  // warm-up: workspaces for batch 64 and batch 1 are created here
        let before = qf_thread_allocation_count()
        for _ in 0..<50 { step() }
        let after = qf_thread_allocation_count()
        #expect(after == before, "\(after - before) allocations in 50 warm training steps")
        // The counter does see allocations: a new workspace size allocates.
        model.forward(randomMatrix(7, 32, &rng).matrix)
        #expect(qf_thread_allocation_count() > after)
    }

    @Test func oneWorkspaceServesEveryBatchSizeUpToItsOwn() {
        BLAS.setThreadCount(1)
        var rng = Xoshiro256(seed: 8)
        let model = MLP.make(sizes: [11, 32, 32, 3], using: &rng)
        let x = randomMatrix(64, 11, &rng), g = randomMatrix(64, 3, &rng)
        model.forward(x.matrix, workspaceRows: 64)
        func gradients() -> [Float] { Array(UnsafeBufferPointer(start: model.parameters.gradients.base, count: model.parameters.count)) }
        for rows in [1, 9, 10, 33, 64] {
            let part = Matrix(base: x.matrix.base, rows: rows, cols: 11), dy = Matrix(base: g.matrix.base, rows: rows, cols: 3)
            let expected = Array(model.forward(part).buffer)
            model.backward(outputGradient: dy)
            let expectedGradients = gradients()
            let before = qf_thread_allocation_count()
            let shared = model.forward(part, workspaceRows: 64)
            model.backward(outputGradient: dy)
            let after = qf_thread_allocation_count()
            #expect(after == before, "\(after - before) allocations for \(rows) rows in the 64-row workspace")
            #expect(shared.rows == rows && Array(shared.buffer) == expected && gradients() == expectedGradients, "\(rows) rows")
        }
    }
}
