/// Owns a zero-initialised, 64-byte aligned block of `Float`s.
///
/// Everything large in Compute (parameters, gradients, optimizer state, workspaces) lives in one
/// of these, allocated once; the hot paths only read and write through raw pointers into it.
/// 64-byte alignment matches a cache line and the widest SIMD loads (AVX-512).
public final class AlignedBuffer {
    /// First element; valid for `count` elements until the buffer is deinitialised.
    public let base: UnsafeMutablePointer<Float>
    /// Number of `Float`s owned.
    public let count: Int

    /// Allocates `count` zeroed floats.
    public init(count: Int) {
        precondition(count >= 0, "AlignedBuffer: count must be non-negative, got \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        base.deallocate()
    }

    /// The whole buffer as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// Sets every element to zero.
    public func zero() { base.update(repeating: 0, count: count) }
}
