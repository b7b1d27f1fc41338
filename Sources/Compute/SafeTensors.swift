import Foundation

#if _endian(big)
#error("safetensors stores little-endian data; QuantForge writes native memory and supports little-endian hosts only")
#endif

/// Element types a safetensors file can hold that QuantForge reads and writes.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case F32, F64, I32, I64, U64, U8

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .U8: return 1
        case .F32, .I32: return 4
        case .F64, .I64, .U64: return 8
        }
    }
}

/// One tensor's description in a safetensors header.
public struct SafeTensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// Byte range inside the data section.
    public let byteRange: Range<Int>

    /// Number of elements (1 for a scalar, shape []).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors document being assembled in memory, then written atomically.
///
/// Format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of JSON
/// mapping each name to {dtype, shape, data_offsets} plus an optional "__metadata__" map of
/// strings, then the raw little-endian tensor bytes back to back. The header is padded with
/// spaces to a multiple of 8 so the data starts aligned. Tensors are written in the order added.
public struct SafeTensorsWriter {
    private var entries: [SafeTensorsEntry] = []
    private var data: [UInt8] = []
    /// Free-form string metadata, stored under "__metadata__".
    public var metadata: [String: String] = [:]

    public init() {}

    /// Adds a tensor from raw bytes; `bytes.count` must equal the shape's element count × dtype size.
    public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: UnsafeRawBufferPointer) {
        precondition(name != "__metadata__" && !entries.contains { $0.name == name }, "safetensors: duplicate or reserved name '\(name)'")
        precondition(shape.reduce(1, *) * dtype.size == bytes.count, "safetensors: '\(name)' shape \(shape) \(dtype) needs \(shape.reduce(1, *) * dtype.size) bytes, got \(bytes.count)")
        let start = data.count
        data.append(contentsOf: bytes)
        entries.append(SafeTensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: start..<data.count))
    }

    /// Adds float32 values.
    public mutating func add(_ name: String, shape: [Int], floats: UnsafePointer<Float>) {
        add(name, dtype: .F32, shape: shape, bytes: UnsafeRawBufferPointer(start: floats, count: shape.reduce(1, *) * 4))
    }

    /// Adds 64-bit unsigned integers (generator states).
    public mutating func add(_ name: String, shape: [Int], words: [UInt64]) {
        words.withUnsafeBytes { add(name, dtype: .U64, shape: shape, bytes: $0) }
    }

    /// Adds a 64-bit signed integer scalar (counters).
    public mutating func add(_ name: String, scalar: Int64) {
        withUnsafeBytes(of: scalar) { add(name, dtype: .I64, shape: [], bytes: $0) }
    }

    /// Adds a float32 scalar.
    public mutating func add(_ name: String, scalar: Float) {
        withUnsafeBytes(of: scalar) { add(name, dtype: .F32, shape: [], bytes: $0) }
    }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            header += "}"
            first = false
        }
        for e in entries {
            if !first { header += "," }
            first = false
            header += "\(jsonString(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(e.byteRange.lowerBound),\(e.byteRange.upperBound)]}"
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + data.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        out.append(contentsOf: data)
        return out
    }

    /// Writes the file atomically: a temporary file in the same folder, flushed, then renamed over
    /// `path`, so a crash never leaves a half-written checkpoint under the final name.
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }
}

/// A safetensors file read into memory, with its header validated.
public struct SafeTensorsFile {
    /// Tensors by name.
    public let entries: [String: SafeTensorsEntry]
    /// The "__metadata__" map (empty when absent).
    public let metadata: [String: String]
    private let data: [UInt8]
    private let dataStart: Int
    /// Where the file came from, for error messages.
    public let path: String

    /// Reads and validates `path`.
    /// - Throws: `ComputeError.malformedFile` saying what is wrong and where.
    public init(contentsOf path: String) throws {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw ComputeError.malformedFile("\(path): cannot be read")
        }
        try self.init(bytes: [UInt8](contents), path: path)
    }

    /// Parses a file's contents.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        self.path = path
        guard bytes.count >= 8 else { throw ComputeError.malformedFile("\(path): \(bytes.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else {
            throw ComputeError.malformedFile("\(path): header length \(n) exceeds the \(bytes.count - 8) bytes after it")
        }
        let headerEnd = 8 + Int(n)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw ComputeError.malformedFile("\(path): header is not valid JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else { throw ComputeError.malformedFile("\(path): header is not a JSON object") }
        var entries: [String: SafeTensorsEntry] = [:]
        var metadata: [String: String] = [:]
        let dataCount = bytes.count - headerEnd
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else { throw ComputeError.malformedFile("\(path): __metadata__ must map strings to strings") }
                metadata = map
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2 else {
                throw ComputeError.malformedFile("\(path): tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw ComputeError.malformedFile("\(path): tensor '\(name)' has unsupported dtype \(dtypeName)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, begin <= end, end <= dataCount,
                  end - begin == shape.reduce(1, *) * dtype.size else {
                throw ComputeError.malformedFile("\(path): tensor '\(name)' shape \(shape) \(dtypeName) does not fit data_offsets [\(begin), \(end)] in \(dataCount) data bytes")
            }
            entries[name] = SafeTensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        self.entries = entries
        self.metadata = metadata
        self.data = bytes
        self.dataStart = headerEnd
    }

    /// Calls `body` with the raw bytes of tensor `name`.
    public func withBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let e = entries[name] else { throw ComputeError.checkpointMismatch("\(path): no tensor '\(name)'") }
        return try data.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[(dataStart + e.byteRange.lowerBound)..<(dataStart + e.byteRange.upperBound)])) }
    }

    /// Checks that `name` exists with `dtype` and `shape`.
    /// - Throws: `ComputeError.checkpointMismatch` naming the tensor and both descriptions.
    public func expect(_ name: String, dtype: SafeTensorsDType, shape: [Int]) throws {
        guard let e = entries[name] else { throw ComputeError.checkpointMismatch("\(path): missing tensor '\(name)' (expected \(dtype) \(shape))") }
        guard e.dtype == dtype, e.shape == shape else {
            throw ComputeError.checkpointMismatch("\(path): tensor '\(name)' is \(e.dtype) \(e.shape), expected \(dtype) \(shape)")
        }
    }

    /// Copies float32 tensor `name` of the given shape into `destination`.
    public func copyFloats(_ name: String, shape: [Int], into destination: UnsafeMutablePointer<Float>) throws {
        try expect(name, dtype: .F32, shape: shape)
        try withBytes(of: name) { raw in
            UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
    }

    /// The elements of a U64 tensor.
    public func words(_ name: String, count: Int) throws -> [UInt64] {
        try expect(name, dtype: .U64, shape: [count])
        return try withBytes(of: name) { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self) } }
    }

    /// An I64 scalar.
    public func int64Scalar(_ name: String) throws -> Int64 {
        try expect(name, dtype: .I64, shape: [])
        return try withBytes(of: name) { $0.loadUnaligned(as: Int64.self) }
    }

    /// An F32 scalar.
    public func floatScalar(_ name: String) throws -> Float {
        try expect(name, dtype: .F32, shape: [])
        return try withBytes(of: name) { $0.loadUnaligned(as: Float.self) }
    }
}

/// JSON string literal with the escapes RFC 8259 requires.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
