import CHDF5
import Dispatch

extension HDF5Column {
    /// Whether the column's filters are exactly shuffle then deflate (what `ChunkCodec` encodes).
    var isShuffleDeflate: Bool {
        guard let plist = try? HDF5Object(H5Dget_create_plist(dataset.id), operation: "H5Dget_create_plist", target: location, closer: H5Pclose),
              H5Pget_nfilters(plist.id) == 2 else { return false }
        var flags: UInt32 = 0, count = 8, values = [UInt32](repeating: 0, count: 8), config: UInt32 = 0
        var name = [CChar](repeating: 0, count: 64)
        let first = H5Pget_filter2(plist.id, 0, &flags, &count, &values, 64, &name, &config)
        count = 8
        let second = H5Pget_filter2(plist.id, 1, &flags, &count, &values, 64, &name, &config)
        return first == H5Z_FILTER_SHUFFLE && second == H5Z_FILTER_DEFLATE
    }

    /// Appends whole chunks that `ChunkCodec.encode` compressed elsewhere: `chunks[i]` holds
    /// elements [count + i·chunk, …) and `rows` is the number of real elements (the last chunk
    /// may be padded). The column must end on a chunk boundary.
    func appendEncodedChunks(_ chunks: [[UInt8]], rows: Int, chunkLength: Int) throws {
        precondition(count % chunkLength == 0, "appendEncodedChunks: \(location) does not end on a chunk boundary")
        let first = count / chunkLength
        var newSize = hsize_t(count + rows)
        try hdf5Check(H5Dset_extent(dataset.id, &newSize), "H5Dset_extent", location)
        for (i, chunk) in chunks.enumerated() {
            var offset = hsize_t((first + i) * chunkLength)
            try chunk.withUnsafeBytes { bytes in
                try hdf5Check(H5Dwrite_chunk(dataset.id, qf_H5P_DEFAULT(), 0, &offset, bytes.count, bytes.baseAddress), "H5Dwrite_chunk", location)
            }
        }
        count += rows
    }

    /// Reads the whole column, decompressing chunks on all cores when the column is shuffle +
    /// deflate (libhdf5 itself would decompress them one at a time); otherwise a plain read.
    public func readAllParallel() throws -> [Element] {
        try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readAllParallel(into: buffer)
            initialized = count
        }
    }

    /// Like `readAllParallel()`, into a caller's buffer of at least `count` elements (reused across
    /// reads, it spares the page faults of a fresh allocation).
    public func readAllParallel(into destination: UnsafeMutableBufferPointer<Element>) throws {
        precondition(destination.count >= count, "readAllParallel: destination holds \(destination.count) of \(count)")
        let chunk = try chunkLength
        guard isShuffleDeflate, count > chunk else { return try read(0..<count, into: destination) }
        let chunks = (count + chunk - 1) / chunk
        // Fetch the compressed chunks (libhdf5 serialises this; it is a copy from the page cache).
        var raw: [[UInt8]] = []
        raw.reserveCapacity(chunks)
        for c in 0..<chunks {
            var offset = hsize_t(c * chunk), size: hsize_t = 0
            try hdf5Check(H5Dget_chunk_storage_size(dataset.id, &offset, &size), "H5Dget_chunk_storage_size", location)
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var mask: UInt32 = 0
            try bytes.withUnsafeMutableBytes { b in
                try hdf5Check(H5Dread_chunk(dataset.id, qf_H5P_DEFAULT(), &offset, &mask, b.baseAddress), "H5Dread_chunk", location)
            }
            guard mask == 0 else { return try read(0..<count, into: destination) }  // a filter was skipped for this chunk
            raw.append(bytes)
        }
        let size = MemoryLayout<Element>.stride
        let total = count
        let failed = UnsafeSendableFlag()
        let work = UncheckedSendable(value: (raw, UnsafeMutableRawPointer(destination.baseAddress!)))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            // Whole chunks decode straight into the destination; the last, partial one via a copy.
            let rows = min(chunk, total - c * chunk)
            work.value.0[c].withUnsafeBytes { bytes in
                let target = work.value.1 + c * chunk * size
                if rows == chunk {
                    if !ChunkCodec.decode(bytes, into: target, elementSize: size, count: chunk) { failed.set() }
                } else {
                    let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunk * size, alignment: 64)
                    defer { scratch.deallocate() }
                    if ChunkCodec.decode(bytes, into: scratch, elementSize: size, count: chunk) {
                        target.copyMemory(from: scratch, byteCount: rows * size)
                    } else { failed.set() }
                }
            }
        }
        if failed.isSet { throw IngestError.layout("\(location): a chunk does not inflate to its expected size") }
    }
}

/// A flag set from several threads (a failure seen by any worker).
final class UnsafeSendableFlag: @unchecked Sendable {
    private let lock = NSLockLike()
    private var value = false
    func set() { lock.locked { value = true } }
    var isSet: Bool { lock.locked { value } }
}

/// A pthread mutex, so Ingest's HDF5 layer does not need Foundation for one lock.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

#if canImport(Glibc)
import Glibc
#endif
