import CHDF5

/// A one-dimensional, chunked, extendible HDF5 dataset of `Element`: one column of market data.
///
/// Appends grow the dataset chunk by chunk, so a writer never holds more than what it appends;
/// reads fill caller-provided contiguous buffers directly (no per-element work), and a range read
/// selects a hyperslab so libhdf5 decompresses only the chunks that overlap it.
public final class HDF5Column<Element: HDF5Element> {
    let dataset: HDF5Object
    /// "file.h5:/symbols/BTC/close", for messages.
    public let location: String
    /// Number of elements stored.
    public internal(set) var count: Int

    init(dataset: HDF5Object, location: String) throws {
        self.dataset = dataset
        self.location = location
        let space = try HDF5Object(H5Dget_space(dataset.id), operation: "H5Dget_space", target: location, closer: H5Sclose)
        guard H5Sget_simple_extent_ndims(space.id) == 1 else {
            throw IngestError.layout("\(location) is not one-dimensional")
        }
        var dims: hsize_t = 0
        try hdf5Check(H5Sget_simple_extent_dims(space.id, &dims, nil), "H5Sget_simple_extent_dims", location)
        count = Int(dims)
        let type = try HDF5Object(H5Dget_type(dataset.id), operation: "H5Dget_type", target: location, closer: H5Tclose)
        let matches = try HDF5Object(H5Tget_native_type(type.id, H5T_DIR_DEFAULT), operation: "H5Tget_native_type", target: location, closer: H5Tclose)
        guard H5Tequal(matches.id, Element.nativeType) > 0 else {
            throw IngestError.layout("\(location) does not hold \(Element.typeName) values")
        }
    }

    /// Closes the dataset now (later calls fail); see `HDF5Object.close()`.
    public func close() { dataset.close() }

    /// Appends `values` at the end, growing the dataset.
    public func append(_ values: UnsafeBufferPointer<Element>) throws {
        guard !values.isEmpty else { return }
        var newSize = hsize_t(count + values.count)
        try hdf5Check(H5Dset_extent(dataset.id, &newSize), "H5Dset_extent", location)
        try write(values, at: count)
        count += values.count
    }

    /// Overwrites `values.count` elements starting at `offset` (which must lie within the column).
    public func write(_ values: UnsafeBufferPointer<Element>, at offset: Int) throws {
        let file = try HDF5Object(H5Dget_space(dataset.id), operation: "H5Dget_space", target: location, closer: H5Sclose)
        var start = hsize_t(offset), length = hsize_t(values.count)
        try hdf5Check(H5Sselect_hyperslab(file.id, H5S_SELECT_SET, &start, nil, &length, nil), "H5Sselect_hyperslab", location)
        let memory = try HDF5Object(H5Screate_simple(1, &length, nil), operation: "H5Screate_simple", target: location, closer: H5Sclose)
        try hdf5Check(H5Dwrite(dataset.id, Element.nativeType, memory.id, file.id, qf_H5P_DEFAULT(), values.baseAddress), "H5Dwrite", location)
    }

    /// Reads elements `range` into `destination` (which must hold `range.count` elements).
    public func read(_ range: Range<Int>, into destination: UnsafeMutableBufferPointer<Element>) throws {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "read \(range) of \(location) with \(count) elements")
        precondition(destination.count >= range.count, "read: destination holds \(destination.count) of \(range.count)")
        guard !range.isEmpty else { return }
        let file = try HDF5Object(H5Dget_space(dataset.id), operation: "H5Dget_space", target: location, closer: H5Sclose)
        var start = hsize_t(range.lowerBound), length = hsize_t(range.count)
        try hdf5Check(H5Sselect_hyperslab(file.id, H5S_SELECT_SET, &start, nil, &length, nil), "H5Sselect_hyperslab", location)
        let memory = try HDF5Object(H5Screate_simple(1, &length, nil), operation: "H5Screate_simple", target: location, closer: H5Sclose)
        try hdf5Check(H5Dread(dataset.id, Element.nativeType, memory.id, file.id, qf_H5P_DEFAULT(), destination.baseAddress), "H5Dread", location)
    }

    /// Reads the whole column.
    public func readAll() throws -> [Element] {
        try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(0..<count, into: buffer)
            initialized = count
        }
    }

    /// The chunk length the column was created with.
    public var chunkLength: Int {
        get throws {
            let plist = try HDF5Object(H5Dget_create_plist(dataset.id), operation: "H5Dget_create_plist", target: location, closer: H5Pclose)
            var chunk: hsize_t = 0
            guard H5Pget_chunk(plist.id, 1, &chunk) == 1 else { throw IngestError.layout("\(location) is not chunked") }
            return Int(chunk)
        }
    }
}
