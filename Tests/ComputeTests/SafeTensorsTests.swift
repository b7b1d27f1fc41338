import Compute
import Foundation
import PythonCheck
import Testing

/// The safetensors format: exact round trips, precise mismatch reports, rejection of malformed
/// files, atomic writes, and interchange with Python's `safetensors` + numpy.
@Suite struct SafeTensorsTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qf-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Awkward float32 values: signed zero, infinities, a subnormal, a NaN with a payload.
    let specialFloats: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                  Float(bitPattern: 0x7FC0_1234), 1.0 / 3.0]

    @Test func roundTripIsBitExact() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var writer = SafeTensorsWriter()
        writer.metadata = ["quote \"and\" newline\n": "ünïcode ✓", "seed": "7"]
        specialFloats.withUnsafeBufferPointer { writer.add("specials", shape: [2, 4], floats: $0.baseAddress!) }
        writer.add("words", shape: [3], words: [0, .max, 0x0123_4567_89AB_CDEF])
        writer.add("step", scalar: Int64(-42))
        writer.add("rate", scalar: Float(3e-4))
        let path = folder.appendingPathComponent("t.safetensors").path
        try writer.write(to: path)

        let file = try SafeTensorsFile(contentsOf: path)
        #expect(file.metadata == writer.metadata)
        var back = [Float](repeating: 1, count: 8)
        try file.copyFloats("specials", shape: [2, 4], into: &back)
        #expect(back.map(\.bitPattern) == specialFloats.map(\.bitPattern))
        #expect(try file.words("words", count: 3) == [0, .max, 0x0123_4567_89AB_CDEF])
        #expect(try file.int64Scalar("step") == -42)
        #expect(try file.floatScalar("rate") == Float(3e-4))
        // The data section starts 8-byte aligned, as the format recommends.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
    }

    @Test func mismatchesAreReportedPreciselyAndNothingIsOverwritten() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = Xoshiro256(seed: 1)
        let saved = MLP.make(sizes: [4, 8, 2], using: &rng)
        let path = folder.appendingPathComponent("m.safetensors").path
        try Checkpoint.save(to: path, parameters: saved.parameters)

        let other = MLP.make(sizes: [5, 8, 2, 3], using: &rng)
        let before = Array(other.parameters.values.buffer)
        do {
            _ = try Checkpoint.restore(from: path, parameters: other.parameters, optimizer: Adam(parameters: other.parameters))
            Issue.record("restoring into a different architecture must fail")
        } catch let ComputeError.checkpointMismatch(message) {
            #expect(message.contains("tensor 'model.layers.0.weight' is F32 [8, 4], expected F32 [8, 5]"), "\(message)")
            #expect(message.contains("missing tensor 'model.layers.4.weight' (expected F32 [3, 2])"), "\(message)")
            #expect(message.contains("missing tensor 'optimizer.step'"), "\(message)")
        }
        #expect(Array(other.parameters.values.buffer) == before, "a failed load changes nothing")

        let smaller = MLP.make(sizes: [4, 8], using: &rng)
        #expect {
            _ = try Checkpoint.restore(from: path, parameters: smaller.parameters)
        } throws: { error in
            "\(error)".contains("unexpected tensor 'model.layers.2.weight'")
        }
    }

    @Test func malformedFilesAreRejectedWithReasons() {
        func reason(_ bytes: [UInt8]) -> String {
            do { _ = try SafeTensorsFile(bytes: bytes, path: "x.safetensors"); return "accepted" } catch { return "\(error)" }
        }
        func file(header: String, data: [UInt8] = []) -> [UInt8] {
            let h = Array(header.utf8)
            return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
        }
        #expect(reason([1, 2, 3]).contains("shorter than the 8-byte header length"))
        #expect(reason(withUnsafeBytes(of: UInt64(1000).littleEndian, Array.init) + [0x7B]).contains("exceeds"))
        #expect(reason(file(header: "{not json")).contains("not valid JSON"))
        #expect(reason(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0])).contains("'a' shape [2] F32 does not fit"))
        #expect(reason(file(header: #"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))).contains("unsupported dtype C64"))
        #expect(reason(file(header: #"{"a":{"dtype":"F32","shape":[1]}}"#)).contains("lacks dtype, shape or data_offsets"))
        #expect(reason(file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 128, 63])) == "accepted")
    }

    @Test func failedWriteLeavesNoTemporaryAndKeepsTheOldFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Renaming a file onto a non-empty directory fails after the data was written.
        let target = folder.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: target.appendingPathComponent("inside"))
        var writer = SafeTensorsWriter()
        writer.add("step", scalar: Int64(1))
        #expect(throws: ComputeError.self) { try writer.write(to: target.path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["occupied"])
        #expect(try String(contentsOf: target.appendingPathComponent("inside"), encoding: .utf8) == "keep")
        #expect(throws: ComputeError.self) { try writer.write(to: folder.appendingPathComponent("no/such/folder/x").path) }
    }

    /// Python reads what we write and we read what Python writes. `make test` sets QF_PYTHON to a
    /// venv with safetensors and numpy from PyPI.
    @Test(.enabled(if: PythonCheck.isAvailable))
    func interchangeWithPythonSafetensors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = Xoshiro256(seed: 9)
        let model = MLP.make(sizes: [3, 5, 2], using: &rng)
        let adam = Adam(parameters: model.parameters)
        adam.step()
        let ours = folder.appendingPathComponent("ours.safetensors").path
        try Checkpoint.save(to: ours, parameters: model.parameters, optimizer: adam, generators: ["env": rng], metadata: ["task": "test"])
        let theirs = folder.appendingPathComponent("theirs.safetensors").path
        let weight = model.parameters.value(0).toArray().map { String($0.bitPattern) }.joined(separator: ",")
        let script = """
        import sys, numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file, save_file
        t = load_file(sys.argv[1])
        w = t["model.layers.0.weight"]
        assert w.dtype == np.float32 and w.shape == (5, 3), (w.dtype, w.shape)
        assert w.view(np.uint32).ravel().tolist() == [\(weight)], "weights differ"
        assert t["model.layers.0.bias"].shape == (5,)
        assert t["optimizer.step"].dtype == np.int64 and int(t["optimizer.step"]) == 1
        assert t["rng.env"].dtype == np.uint64 and t["rng.env"].shape == (4,)
        with safe_open(sys.argv[1], framework="numpy") as f:
            assert f.metadata()["task"] == "test", f.metadata()
        save_file({"x": np.arange(6, dtype=np.float32).reshape(2, 3) / 7, "n": np.array([2**63 + 5], dtype=np.uint64)},
                  sys.argv[2], metadata={"from": "python"})
        print("ok")
        """
        let (status, output) = try PythonCheck.run(script, arguments: [ours, theirs])
        try #require(status == 0, "python: \(output)")

        let file = try SafeTensorsFile(contentsOf: theirs)
        var x = [Float](repeating: 0, count: 6)
        try file.copyFloats("x", shape: [2, 3], into: &x)
        #expect(x == (0..<6).map { Float($0) / 7 })
        #expect(try file.words("n", count: 1) == [(1 << 63) + 5])
        #expect(file.metadata["from"] == "python")
    }
}
