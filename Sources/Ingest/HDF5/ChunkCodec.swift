import CHDF5

/// HDF5's shuffle + deflate filter pipeline, run outside the library so that chunks can be
/// compressed and decompressed on several cores (libhdf5 serialises its own filters).
///
/// Shuffle (H5Z_FILTER_SHUFFLE) stores byte j of every element together: out[j·n + i] =
/// in[i·s + j] for n elements of s bytes. Deflate (H5Z_FILTER_DEFLATE) is zlib's `compress2`
/// format. A chunk encoded here reads back through HDF5's own filters unchanged, and vice versa.
enum ChunkCodec {
    static func shuffle(_ input: UnsafeRawPointer, into output: UnsafeMutableRawPointer, elementSize: Int, count: Int) {
        let src = input.assumingMemoryBound(to: UInt8.self), dst = output.assumingMemoryBound(to: UInt8.self)
        for j in 0..<elementSize {
            let row = dst + j * count
            for i in 0..<count { row[i] = src[i * elementSize + j] }
        }
    }

    static func unshuffle(_ input: UnsafeRawPointer, into output: UnsafeMutableRawPointer, elementSize: Int, count: Int) {
        let src = input.assumingMemoryBound(to: UInt8.self), dst = output.assumingMemoryBound(to: UInt8.self)
        if elementSize == 8 {
            // Assemble each element from its 8 byte planes and store it once: one sequential pass
            // over the output instead of eight strided ones.
            let out = output.assumingMemoryBound(to: UInt64.self)
            let p0 = src, p1 = src + count, p2 = src + 2 * count, p3 = src + 3 * count
            let p4 = src + 4 * count, p5 = src + 5 * count, p6 = src + 6 * count, p7 = src + 7 * count
            for i in 0..<count {
                var v = UInt64(p0[i]) | UInt64(p1[i]) << 8 | UInt64(p2[i]) << 16 | UInt64(p3[i]) << 24
                v |= UInt64(p4[i]) << 32 | UInt64(p5[i]) << 40 | UInt64(p6[i]) << 48 | UInt64(p7[i]) << 56
                out[i] = UInt64(littleEndian: v)
            }
            return
        }
        for j in 0..<elementSize {
            let row = src + j * count
            for i in 0..<count { dst[i * elementSize + j] = row[i] }
        }
    }

    /// Shuffles and deflates one chunk of `count` elements.
    static func encode(_ input: UnsafeRawPointer, elementSize: Int, count: Int, level: Int) -> [UInt8] {
        let bytes = elementSize * count
        let shuffled = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { shuffled.deallocate() }
        shuffle(input, into: shuffled, elementSize: elementSize, count: count)
        var capacity = compressBound(uLong(bytes))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBytes { buffer in
            compress2(buffer.baseAddress!.assumingMemoryBound(to: Bytef.self), &capacity,
                      shuffled.assumingMemoryBound(to: Bytef.self), uLong(bytes), Int32(level))
        }
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        out.removeLast(out.count - Int(capacity))
        return out
    }

    /// Inflates and unshuffles one chunk into `output` (which holds `count` elements).
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer, elementSize: Int, count: Int) -> Bool {
        let bytes = elementSize * count
        let inflated = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { inflated.deallocate() }
        var length = uLong(bytes)
        let status = uncompress(inflated.assumingMemoryBound(to: Bytef.self), &length,
                                input.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(input.count))
        guard status == Z_OK, Int(length) == bytes else { return false }
        unshuffle(inflated, into: output, elementSize: elementSize, count: count)
        return true
    }
}
