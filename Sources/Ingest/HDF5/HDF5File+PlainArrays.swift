import CHDF5

/// Contiguous, fixed-size datasets and fixed-length string attributes: the plain layout other
/// HDF5 readers expect (PyTables' `Array` nodes, numpy's `|S` strings), as opposed to the
/// chunked, compressed columns of a bar file.
extension HDF5File {
    /// A fixed-length ASCII string attribute (numpy's `|Sn`, as PyTables writes its own).
    public func setFixedStringAttribute(_ name: String, _ value: String, on objectPath: String) throws {
        let location = "\(path):\(objectPath)@\(name)"
        let object = try HDF5Object(H5Oopen(handle.id, objectPath, qf_H5P_DEFAULT()), operation: "H5Oopen", target: location, closer: H5Oclose)
        if H5Aexists(object.id, name) > 0 { try hdf5Check(H5Adelete(object.id, name), "H5Adelete", location) }
        let bytes = Array(value.utf8)
        // UTF-8 strings: PyTables reads them back as text (ASCII ones as bytes).
        let type = try Self.fixedStringType(length: max(1, bytes.count), utf8: true, location: location)
        let space = try HDF5Object(H5Screate(H5S_SCALAR), operation: "H5Screate", target: location, closer: H5Sclose)
        let attribute = try HDF5Object(H5Acreate2(object.id, name, type.id, space.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                       operation: "H5Acreate2", target: location, closer: H5Aclose)
        let padded = bytes.isEmpty ? [UInt8(0)] : bytes
        try hdf5Check(H5Awrite(attribute.id, type.id, padded), "H5Awrite", location)
    }

    /// A scalar unsigned byte attribute (PyTables' `transposed` flag).
    public func setByteAttribute(_ name: String, _ value: UInt8, on objectPath: String) throws {
        let location = "\(path):\(objectPath)@\(name)"
        let object = try HDF5Object(H5Oopen(handle.id, objectPath, qf_H5P_DEFAULT()), operation: "H5Oopen", target: location, closer: H5Oclose)
        if H5Aexists(object.id, name) > 0 { try hdf5Check(H5Adelete(object.id, name), "H5Adelete", location) }
        let space = try HDF5Object(H5Screate(H5S_SCALAR), operation: "H5Screate", target: location, closer: H5Sclose)
        let attribute = try HDF5Object(H5Acreate2(object.id, name, qf_H5T_NATIVE_UINT8(), space.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                       operation: "H5Acreate2", target: location, closer: H5Aclose)
        var byte = value
        try hdf5Check(H5Awrite(attribute.id, qf_H5T_NATIVE_UINT8(), &byte), "H5Awrite", location)
    }

    /// A 1-D dataset of fixed-length strings, as long as the longest (numpy's `|Sn`).
    public func writeFixedStrings(_ datasetPath: String, _ values: [String]) throws {
        let location = "\(path):\(datasetPath)"
        let encoded = values.map { Array($0.utf8) }
        let width = max(1, encoded.map(\.count).max() ?? 1)
        var buffer = [UInt8](repeating: 0, count: width * values.count)
        for (i, bytes) in encoded.enumerated() { buffer.replaceSubrange((i * width)..<(i * width + bytes.count), with: bytes) }
        let type = try Self.fixedStringType(length: width, utf8: false, location: location)
        try writeArray(datasetPath, dimensions: [values.count], fileType: type.id, memoryType: type.id, bytes: buffer)
    }

    /// A 1-D dataset of 64-bit integers.
    public func writeInt64s(_ datasetPath: String, _ values: [Int64]) throws {
        try values.withUnsafeBytes { raw in
            try writeArray(datasetPath, dimensions: [values.count], fileType: qf_H5T_STD_I64LE(), memoryType: qf_H5T_NATIVE_INT64(), bytes: Array(raw))
        }
    }

    /// A 2-D dataset of float64, `rows` × `columns`, row-major.
    public func writeDoubles(_ datasetPath: String, rows: Int, columns: Int, _ values: [Double]) throws {
        precondition(values.count == rows * columns, "writeDoubles: \(values.count) values for \(rows) × \(columns)")
        try values.withUnsafeBytes { raw in
            try writeArray(datasetPath, dimensions: [rows, columns], fileType: qf_H5T_IEEE_F64LE(), memoryType: qf_H5T_NATIVE_DOUBLE(), bytes: Array(raw))
        }
    }

    private func writeArray(_ datasetPath: String, dimensions: [Int], fileType: hid_t, memoryType: hid_t, bytes: [UInt8]) throws {
        let location = "\(path):\(datasetPath)"
        var dims = dimensions.map { hsize_t($0) }
        let space = try HDF5Object(H5Screate_simple(Int32(dims.count), &dims, nil), operation: "H5Screate_simple", target: location, closer: H5Sclose)
        let dataset = try HDF5Object(H5Dcreate2(handle.id, datasetPath, fileType, space.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                     operation: "H5Dcreate2", target: location, closer: H5Dclose)
        guard !bytes.isEmpty else { return }
        try hdf5Check(H5Dwrite(dataset.id, memoryType, qf_H5S_ALL(), qf_H5S_ALL(), qf_H5P_DEFAULT(), bytes), "H5Dwrite", location)
    }

    /// Fixed-length, null-terminated strings as PyTables writes them.
    private static func fixedStringType(length: Int, utf8: Bool, location: String) throws -> HDF5Object {
        let type = try HDF5Object(H5Tcopy(qf_H5T_C_S1()), operation: "H5Tcopy", target: location, closer: H5Tclose)
        try hdf5Check(H5Tset_size(type.id, length), "H5Tset_size", location)
        try hdf5Check(H5Tset_strpad(type.id, H5T_STR_NULLTERM), "H5Tset_strpad", location)
        if utf8 { try hdf5Check(H5Tset_cset(type.id, H5T_CSET_UTF8), "H5Tset_cset", location) }
        return type
    }
}
