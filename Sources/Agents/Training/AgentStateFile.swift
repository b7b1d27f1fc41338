import Compute
import Foundation

/// Writes the complete state of an agent (networks, optimizer moments, replay contents, generator
/// states, counters) to one safetensors file, so a run can stop and resume exactly. Names follow
/// PyTorch's `state_dict` style (`online.layers.0.weight`, `optimizer.exp_avg.layers.0.weight`).
/// The file is written to a temporary name and renamed: a crash never leaves half a checkpoint.
public struct AgentStateWriter {
    var writer = SafeTensorsWriter()

    public init(kind: String, configurationJSON: String) {
        writer.metadata["format"] = "quantforge.agent"
        writer.metadata["agent"] = kind
        writer.metadata["configuration"] = configurationJSON
    }

    /// Free-form metadata (the trainer stores its progress here).
    public mutating func setMetadata(_ key: String, _ value: String) { writer.metadata[key] = value }

    /// Every parameter of `store` under `prefix`.
    public mutating func add(_ prefix: String, parameters store: ParameterStore) {
        for slot in store.slots { writer.add("\(prefix).\(slot.name)", shape: slot.shape, floats: store.values.base + slot.offset) }
    }

    /// An optimizer's step count, learning rate and moment buffers (laid out like `store`).
    public mutating func add(_ prefix: String, optimizer: any Optimizer) {
        writer.add("\(prefix).step", scalar: Int64(optimizer.stepCount))
        writer.add("\(prefix).learning_rate", scalar: optimizer.learningRate)
        for state in optimizer.stateBuffers {
            for slot in optimizer.parameters.slots {
                writer.add("\(prefix).\(state.name).\(slot.name)", shape: slot.shape, floats: state.buffer.base + slot.offset)
            }
        }
    }

    public mutating func add(_ name: String, floats: UnsafePointer<Float>, shape: [Int]) {
        writer.add(name, shape: shape, floats: floats)
    }

    public mutating func add(_ name: String, int32s: [Int32]) {
        int32s.withUnsafeBytes { writer.add(name, dtype: .I32, shape: [int32s.count], bytes: $0) }
    }

    public mutating func add(_ name: String, doubles: [Double]) {
        doubles.withUnsafeBytes { writer.add(name, dtype: .F64, shape: [doubles.count], bytes: $0) }
    }

    public mutating func add(_ name: String, integer: Int) { writer.add(name, scalar: Int64(integer)) }

    public mutating func add(_ name: String, float: Float) { writer.add(name, scalar: float) }

    public mutating func add(_ name: String, generator: Xoshiro256) { writer.add(name, shape: [4], words: generator.stateWords) }

    /// Writes the file atomically (temporary file in the same directory, then rename).
    public func write(to path: String) throws { try writer.write(to: path) }
}

/// Reads what `AgentStateWriter` wrote, checking names, dtypes and shapes; every error names the
/// file and the tensor.
public struct AgentStateReader {
    public let file: SafeTensorsFile
    public var path: String { file.path }

    /// Opens `path` and checks that it holds the state of a `kind` agent with the same
    /// configuration (a checkpoint cannot silently resume under different hyperparameters).
    public init(path: String, kind: String, configurationJSON: String) throws {
        file = try SafeTensorsFile(contentsOf: path)
        guard file.metadata["format"] == "quantforge.agent", let stored = file.metadata["agent"] else {
            throw AgentsError.invalidData("\(path): not a QuantForge agent checkpoint")
        }
        guard stored == kind else { throw AgentsError.invalidData("\(path): holds a \(stored) agent, not \(kind)") }
        guard file.metadata["configuration"] == configurationJSON else {
            throw AgentsError.invalidConfiguration("\(path): was written with a different \(kind) configuration: \(file.metadata["configuration"] ?? "none")")
        }
    }

    public func metadata(_ key: String) -> String? { file.metadata[key] }

    public func read(_ prefix: String, parameters store: ParameterStore) throws {
        for slot in store.slots { try file.copyFloats("\(prefix).\(slot.name)", shape: slot.shape, into: store.values.base + slot.offset) }
    }

    public func read(_ prefix: String, optimizer: any Optimizer) throws {
        optimizer.stepCount = Int(try file.int64Scalar("\(prefix).step"))
        optimizer.learningRate = try file.floatScalar("\(prefix).learning_rate")
        for state in optimizer.stateBuffers {
            for slot in optimizer.parameters.slots {
                try file.copyFloats("\(prefix).\(state.name).\(slot.name)", shape: slot.shape, into: state.buffer.base + slot.offset)
            }
        }
    }

    public func read(_ name: String, floats destination: UnsafeMutablePointer<Float>, shape: [Int]) throws {
        try file.copyFloats(name, shape: shape, into: destination)
    }

    public func int32s(_ name: String, count: Int) throws -> [Int32] {
        try file.expect(name, dtype: .I32, shape: [count])
        return try file.withBytes(of: name) { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) } }
    }

    public func doubles(_ name: String, count: Int) throws -> [Double] {
        try file.expect(name, dtype: .F64, shape: [count])
        return try file.withBytes(of: name) { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) } }
    }

    /// The length of a one-dimensional tensor.
    public func length(_ name: String) throws -> Int {
        guard let e = file.entries[name], e.shape.count == 1 else { throw AgentsError.invalidData("\(path): no one-dimensional tensor '\(name)'") }
        return e.shape[0]
    }

    public func integer(_ name: String) throws -> Int { Int(try file.int64Scalar(name)) }

    public func float(_ name: String) throws -> Float { try file.floatScalar(name) }

    public func generator(_ name: String) throws -> Xoshiro256 {
        let w = try file.words(name, count: 4)
        return try Xoshiro256(state: (w[0], w[1], w[2], w[3]))
    }
}

extension Encodable {
    /// Canonical JSON (sorted keys) for storing and comparing configurations.
    func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
