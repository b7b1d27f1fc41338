import CHDF5

/// HDF5's shuffle + deflate filter pipeline, run outside the library so that chunks can be
/// compressed and decompressed on several cores (libhdf5 serialises its own filters).
///
/// Shuffle (H5Z_FILTER_SHUFFLE) stores byte j of every element together: out[j·n + i] =
/// in[i·s + j] for n elements of s bytes. Deflate (H5Z_FILTER_DEFLATE) stores a zlib stream;
/// libdeflate writes and reads the same format, faster than zlib. A chunk encoded here reads back
/// through HDF5's own filters (and h5py) unchanged, and chunks HDF5 wrote decode here.
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
        // A compressor is not thread-safe; each call has its own (chunks are 512 KB, so its
        // allocation is small next to the work).
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else { preconditionFailure("libdeflate: no compressor for level \(level)") }
        defer { libdeflate_free_compressor(compressor) }
        var out = [UInt8](repeating: 0, count: libdeflate_zlib_compress_bound(compressor, bytes))
        let written = out.withUnsafeMutableBytes { libdeflate_zlib_compress(compressor, shuffled, bytes, $0.baseAddress, $0.count) }
        precondition(written > 0, "libdeflate_zlib_compress found no room in its own bound")
        out.removeLast(out.count - written)
        return out
    }

    /// Inflates and unshuffles one chunk into `output` (which holds `count` elements).
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer, elementSize: Int, count: Int) -> Bool {
        let bytes = elementSize * count
        let inflated = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { inflated.deallocate() }
        guard let decompressor = libdeflate_alloc_decompressor() else { return false }
        defer { libdeflate_free_decompressor(decompressor) }
        var length = 0
        let status = libdeflate_zlib_decompress(decompressor, input.baseAddress, input.count, inflated, bytes, &length)
        guard status == LIBDEFLATE_SUCCESS, length == bytes else { return false }
        unshuffle(inflated, into: output, elementSize: elementSize, count: count)
        return true
    }
}
