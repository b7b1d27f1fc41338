import ArgumentParser
import Compute
import Foundation

/// `qf demo sine`: the Compute core end to end: fit an MLP to y = sin(x) on [−π, π] with Adam and
/// a cosine schedule, checkpoint it (safetensors), restore the checkpoint into a fresh network and
/// check that both give identical predictions.
struct SineDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sine", abstract: "Train a small network end to end and checkpoint it.")

    @Option(help: "Training steps.") var steps = 3000
    @Option(help: "Batch size.") var batch = 64
    @Option(help: "Seed for initialisation and sampling.") var seed: UInt64 = 7
    @Option(help: "Folder for the checkpoint.") var out = ".qf/demo"

    func run() throws {
        try ComputeConfiguration.fromEnvironment(processEnvironment()).apply()
        var rng = Xoshiro256(seed: seed)
        let model = MLP.make(sizes: [1, 64, 64, 1], activation: .tanh, using: &rng)
        let optimizer = Adam(parameters: model.parameters, learningRate: 1e-2)
        let schedule = LearningRateSchedule.cosine(initial: 1e-2, minimum: 1e-4, steps: steps)
        let x = MatrixBuffer(rows: batch, cols: 1), y = MatrixBuffer(rows: batch, cols: 1), g = MatrixBuffer(rows: batch, cols: 1)
        print("Fitting y = sin(x) on [-π, π]: MLP 1→64→64→1 (tanh), Adam, batch \(batch), \(steps) steps, seed \(seed)")
        var bar = ProgressBar(total: steps, label: "train")
        var recent: Float = 0
        let start = monotonicNanoseconds()
        for step in 0..<steps {
            for i in 0..<batch {
                let v = rng.nextUniform(-Float.pi, Float.pi)
                x.matrix[i, 0] = v
                y.matrix[i, 0] = sin(v)
            }
            let prediction = model.forward(x.matrix)
            recent = Loss.meanSquaredError(prediction: prediction, target: y.matrix, gradient: g.matrix)
            model.backward(outputGradient: g.matrix)
            optimizer.learningRate = schedule.rate(at: step)
            optimizer.step()
            bar.update(step + 1, status: "loss \(String(format: "%.2e", recent))")
            if (step + 1) % max(steps / 6, 1) == 0 && !standardErrorIsTerminal() {
                print("  step \(step + 1): loss \(String(format: "%.3e", recent))")
            }
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        print(String(format: "Trained in %.2f s (%.0f steps/s); final batch MSE %.3e", seconds, Double(steps) / seconds, recent))

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let path = "\(out)/sine.safetensors"
        try Checkpoint.save(to: path, parameters: model.parameters, optimizer: optimizer, generators: ["sampler": rng],
                            metadata: ["task": "demo:sine", "steps": "\(steps)"])
        var other = Xoshiro256(seed: seed &+ 1)
        let restored = MLP.make(sizes: [1, 64, 64, 1], activation: .tanh, using: &other)
        _ = try Checkpoint.restore(from: path, parameters: restored.parameters)
        let grid = MatrixBuffer(rows: 9, cols: 1, values: (0..<9).map { -Float.pi + Float($0) * Float.pi / 4 })
        let a = model.forward(grid.matrix).toArray(), b = restored.forward(grid.matrix).toArray()
        guard a == b else { throw ValidationError("restored network differs from the trained one") }
        print("Checkpoint: \(path) (restored into a fresh network: identical predictions)")
        print("     x      sin(x)   network")
        for i in 0..<9 {
            print(String(format: "%6.3f  %8.4f  %8.4f", grid.matrix[i, 0], sin(grid.matrix[i, 0]), a[i]))
        }
    }
}
