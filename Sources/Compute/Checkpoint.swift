/// Saving and restoring training state in one safetensors file: model parameters, optimizer state,
/// generator states and string metadata.
///
/// Names follow PyTorch's `state_dict` conventions so the file reads naturally from Python:
/// `model.layers.0.weight`, `optimizer.exp_avg.layers.0.weight`, `optimizer.step`,
/// `rng.<name>`. Loading checks every name, dtype and shape first and reports all differences in
/// one error before anything is overwritten, so a failed load leaves the model untouched.
public struct Checkpoint {
    public init() {}

    /// Writes `model`, `optimizer` (optional), `generators` and `metadata` to `path` atomically.
    public static func save(to path: String, parameters: ParameterStore, optimizer: (any Optimizer)? = nil,
                            generators: [String: Xoshiro256] = [:], metadata: [String: String] = [:]) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = metadata
        writer.metadata["format"] = "quantforge.checkpoint"
        for slot in parameters.slots {
            writer.add("model.\(slot.name)", shape: slot.shape, floats: parameters.values.base + slot.offset)
        }
        if let optimizer {
            writer.add("optimizer.step", scalar: Int64(optimizer.stepCount))
            writer.add("optimizer.learning_rate", scalar: optimizer.learningRate)
            for state in optimizer.stateBuffers {
                for slot in parameters.slots {
                    writer.add("optimizer.\(state.name).\(slot.name)", shape: slot.shape, floats: state.buffer.base + slot.offset)
                }
            }
        }
        for name in generators.keys.sorted() {
            writer.add("rng.\(name)", shape: [4], words: generators[name]!.stateWords)
        }
        try writer.write(to: path)
    }

    /// What `restore` read besides parameters and optimizer state.
    public struct Restored {
        /// Generators by the names they were saved under.
        public var generators: [String: Xoshiro256]
        /// The file's metadata.
        public var metadata: [String: String]
    }

    /// Loads `path` into `parameters` (and `optimizer` when given), after checking that every
    /// expected tensor is present with the right dtype and shape and that no model tensor is
    /// unexpected.
    /// - Throws: `ComputeError.checkpointMismatch` listing every difference, or `.malformedFile`.
    public static func restore(from path: String, parameters: ParameterStore, optimizer: (any Optimizer)? = nil) throws -> Restored {
        let file = try SafeTensorsFile(contentsOf: path)
        var problems: [String] = []
        func check(_ name: String, _ dtype: SafeTensorsDType, _ shape: [Int]) {
            do { try file.expect(name, dtype: dtype, shape: shape) } catch let ComputeError.checkpointMismatch(message) {
                problems.append(String(message.dropFirst(path.count + 2)))
            } catch { problems.append("\(error)") }
        }
        let expectedModel = Set(parameters.slots.map { "model.\($0.name)" })
        for slot in parameters.slots { check("model.\(slot.name)", .F32, slot.shape) }
        for name in file.entries.keys.sorted() where name.hasPrefix("model.") && !expectedModel.contains(name) {
            problems.append("unexpected tensor '\(name)' (the model has no such parameter)")
        }
        if let optimizer {
            check("optimizer.step", .I64, [])
            check("optimizer.learning_rate", .F32, [])
            for state in optimizer.stateBuffers {
                for slot in parameters.slots { check("optimizer.\(state.name).\(slot.name)", .F32, slot.shape) }
            }
        }
        var generators: [String: Xoshiro256] = [:]
        for name in file.entries.keys.sorted() where name.hasPrefix("rng.") {
            do {
                let words = try file.words(name, count: 4)
                generators[String(name.dropFirst(4))] = try Xoshiro256(state: (words[0], words[1], words[2], words[3]))
            } catch { problems.append("generator '\(name)': \(error)") }
        }
        guard problems.isEmpty else {
            throw ComputeError.checkpointMismatch("\(path): " + problems.joined(separator: "; "))
        }
        for slot in parameters.slots {
            try file.copyFloats("model.\(slot.name)", shape: slot.shape, into: parameters.values.base + slot.offset)
        }
        if let optimizer {
            optimizer.stepCount = Int(try file.int64Scalar("optimizer.step"))
            optimizer.learningRate = try file.floatScalar("optimizer.learning_rate")
            for state in optimizer.stateBuffers {
                for slot in parameters.slots {
                    try file.copyFloats("optimizer.\(state.name).\(slot.name)", shape: slot.shape, into: state.buffer.base + slot.offset)
                }
            }
        }
        return Restored(generators: generators, metadata: file.metadata)
    }
}
