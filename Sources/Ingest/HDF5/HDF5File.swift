import CHDF5

/// An open HDF5 file: groups, chunked columns and attributes, addressed by absolute paths
/// ("/symbols/BTC/close").
public final class HDF5File {
    let handle: HDF5Object
    /// The file's path on disk.
    public let path: String

    private init(handle: HDF5Object, path: String) {
        self.handle = handle
        self.path = path
    }

    /// File-access properties for every file QuantForge opens: no HDF5 advisory file locks. Bar
    /// files are written to a temporary name and renamed into place, so no reader ever sees a file
    /// being written; the locks only caused spurious "unable to lock the file" failures when a child
    /// process inherited a descriptor.
    private static func accessProperties(_ path: String) throws -> HDF5Object {
        let fapl = try HDF5Object(H5Pcreate(qf_H5P_FILE_ACCESS()), operation: "H5Pcreate", target: path, closer: H5Pclose)
        try hdf5Check(H5Pset_file_locking(fapl.id, false, true), "H5Pset_file_locking", path)
        return fapl
    }

    /// Marks the file's descriptor close-on-exec, so processes this one starts do not inherit it.
    private func closeOnExec() {
        var handle: UnsafeMutableRawPointer?
        if H5Fget_vfd_handle(self.handle.id, qf_H5P_DEFAULT(), &handle) >= 0, let handle {
            let fd = handle.load(as: Int32.self)
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
    }

    /// Creates (or truncates) `path`.
    public static func create(_ path: String) throws -> HDF5File {
        HDF5Library.silenceErrorPrinting
        let fapl = try accessProperties(path)
        let id = H5Fcreate(path, qf_H5F_ACC_TRUNC(), qf_H5P_DEFAULT(), fapl.id)
        let file = HDF5File(handle: try HDF5Object(id, operation: "H5Fcreate", target: path, closer: H5Fclose), path: path)
        file.closeOnExec()
        return file
    }

    /// Opens an existing file.
    /// - Throws: `IngestError.notFound` when there is no file, `HDF5Error` when it is not HDF5.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        HDF5Library.silenceErrorPrinting
        guard access(path, F_OK) == 0 else { throw IngestError.notFound(path) }
        guard H5Fis_hdf5(path) > 0 else { throw IngestError.layout("\(path) is not an HDF5 file") }
        let fapl = try accessProperties(path)
        let id = H5Fopen(path, writable ? qf_H5F_ACC_RDWR() : qf_H5F_ACC_RDONLY(), fapl.id)
        let file = HDF5File(handle: try HDF5Object(id, operation: "H5Fopen", target: path, closer: H5Fclose), path: path)
        file.closeOnExec()
        return file
    }

    /// Closes the file now; every column of it must be closed first for the close to take effect.
    public func close() { handle.close() }

    /// Writes everything buffered to disk.
    public func flush() throws {
        try hdf5Check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "H5Fflush", path)
    }

    // MARK: Groups

    /// Whether an object (group or dataset) exists at `objectPath`, checking each component.
    public func exists(_ objectPath: String) -> Bool {
        var prefix = ""
        for component in objectPath.split(separator: "/") {
            prefix += "/" + component
            guard H5Lexists(handle.id, prefix, qf_H5P_DEFAULT()) > 0 else { return false }
        }
        return true
    }

    /// Creates the group at `groupPath` and any missing parents.
    public func createGroup(_ groupPath: String) throws {
        if exists(groupPath) { return }
        let lcpl = try HDF5Object(H5Pcreate(qf_H5P_LINK_CREATE()), operation: "H5Pcreate", target: path, closer: H5Pclose)
        try hdf5Check(H5Pset_create_intermediate_group(lcpl.id, 1), "H5Pset_create_intermediate_group", path)
        _ = try HDF5Object(H5Gcreate2(handle.id, groupPath, lcpl.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                           operation: "H5Gcreate2", target: "\(path):\(groupPath)", closer: H5Gclose)
    }

    /// Names of the links directly inside the group at `groupPath`, in name order.
    public func children(of groupPath: String) throws -> [String] {
        let group = try HDF5Object(H5Gopen2(handle.id, groupPath, qf_H5P_DEFAULT()), operation: "H5Gopen2",
                                   target: "\(path):\(groupPath)", closer: H5Gclose)
        var info = H5G_info_t()
        try hdf5Check(H5Gget_info(group.id, &info), "H5Gget_info", "\(path):\(groupPath)")
        var names: [String] = []
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, qf_H5P_DEFAULT())
            guard length >= 0 else { throw HDF5Error(operation: "H5Lget_name_by_idx", target: "\(path):\(groupPath)") }
            var bytes = [CChar](repeating: 0, count: Int(length) + 1)
            _ = H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &bytes, bytes.count, qf_H5P_DEFAULT())
            names.append(String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    // MARK: Columns

    /// Creates an empty extendible column at `columnPath` (parents created as needed), chunked by
    /// `chunkLength` elements, with the shuffle filter and deflate at `compressionLevel` (nil: none).
    public func createColumn<Element: HDF5Element>(_ columnPath: String, of type: Element.Type = Element.self,
                                                   chunkLength: Int = 65_536, compressionLevel: Int? = 4) throws -> HDF5Column<Element> {
        precondition(chunkLength > 0, "createColumn: chunk length must be positive")
        let location = "\(path):\(columnPath)"
        if let slash = columnPath.lastIndex(of: "/"), slash != columnPath.startIndex {
            try createGroup(String(columnPath[..<slash]))
        }
        var initial: hsize_t = 0, maximum = qf_H5S_UNLIMITED()
        let space = try HDF5Object(H5Screate_simple(1, &initial, &maximum), operation: "H5Screate_simple", target: location, closer: H5Sclose)
        let dcpl = try HDF5Object(H5Pcreate(qf_H5P_DATASET_CREATE()), operation: "H5Pcreate", target: location, closer: H5Pclose)
        var chunk = hsize_t(chunkLength)
        try hdf5Check(H5Pset_chunk(dcpl.id, 1, &chunk), "H5Pset_chunk", location)
        if let compressionLevel {
            try hdf5Check(H5Pset_shuffle(dcpl.id), "H5Pset_shuffle", location)
            try hdf5Check(H5Pset_deflate(dcpl.id, UInt32(compressionLevel)), "H5Pset_deflate", location)
        }
        let dataset = try HDF5Object(H5Dcreate2(handle.id, columnPath, Element.fileType, space.id, qf_H5P_DEFAULT(), dcpl.id, qf_H5P_DEFAULT()),
                                     operation: "H5Dcreate2", target: location, closer: H5Dclose)
        return try HDF5Column(dataset: dataset, location: location)
    }

    /// Opens the column at `columnPath`, checking it holds `Element`s.
    public func column<Element: HDF5Element>(_ columnPath: String, of type: Element.Type = Element.self) throws -> HDF5Column<Element> {
        let location = "\(path):\(columnPath)"
        guard exists(columnPath) else { throw IngestError.layout("\(location) does not exist") }
        let dataset = try HDF5Object(H5Dopen2(handle.id, columnPath, qf_H5P_DEFAULT()), operation: "H5Dopen2", target: location, closer: H5Dclose)
        return try HDF5Column(dataset: dataset, location: location)
    }

    // MARK: Attributes

    /// Sets attribute `name` on the object at `objectPath` ("/" for the file), replacing any old one.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on objectPath: String = "/") throws {
        let location = "\(path):\(objectPath)@\(name)"
        let object = try HDF5Object(H5Oopen(handle.id, objectPath, qf_H5P_DEFAULT()), operation: "H5Oopen", target: location, closer: H5Oclose)
        if H5Aexists(object.id, name) > 0 { try hdf5Check(H5Adelete(object.id, name), "H5Adelete", location) }
        switch value {
        case .string(let text):
            let type = try HDF5Object(H5Tcopy(qf_H5T_C_S1()), operation: "H5Tcopy", target: location, closer: H5Tclose)
            try hdf5Check(H5Tset_size(type.id, qf_H5T_VARIABLE()), "H5Tset_size", location)
            try hdf5Check(H5Tset_cset(type.id, H5T_CSET_UTF8), "H5Tset_cset", location)
            let space = try HDF5Object(H5Screate(H5S_SCALAR), operation: "H5Screate", target: location, closer: H5Sclose)
            let attribute = try HDF5Object(H5Acreate2(object.id, name, type.id, space.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                           operation: "H5Acreate2", target: location, closer: H5Aclose)
            try text.withCString { cString in
                var pointer: UnsafePointer<CChar>? = cString
                try hdf5Check(H5Awrite(attribute.id, type.id, &pointer), "H5Awrite", location)
            }
        case .integer(var number):
            try writeScalar(&number, fileType: qf_H5T_STD_I64LE(), memoryType: qf_H5T_NATIVE_INT64(), object: object, name: name, location: location)
        case .double(var number):
            try writeScalar(&number, fileType: qf_H5T_IEEE_F64LE(), memoryType: qf_H5T_NATIVE_DOUBLE(), object: object, name: name, location: location)
        case .doubles(let numbers):
            var length = hsize_t(numbers.count)
            let space = try HDF5Object(H5Screate_simple(1, &length, nil), operation: "H5Screate_simple", target: location, closer: H5Sclose)
            let attribute = try HDF5Object(H5Acreate2(object.id, name, qf_H5T_IEEE_F64LE(), space.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                           operation: "H5Acreate2", target: location, closer: H5Aclose)
            try hdf5Check(H5Awrite(attribute.id, qf_H5T_NATIVE_DOUBLE(), numbers), "H5Awrite", location)
        }
    }

    private func writeScalar<T: BitwiseCopyable>(_ value: inout T, fileType: hid_t, memoryType: hid_t, object: HDF5Object, name: String, location: String) throws {
        let space = try HDF5Object(H5Screate(H5S_SCALAR), operation: "H5Screate", target: location, closer: H5Sclose)
        let attribute = try HDF5Object(H5Acreate2(object.id, name, fileType, space.id, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                       operation: "H5Acreate2", target: location, closer: H5Aclose)
        try hdf5Check(H5Awrite(attribute.id, memoryType, &value), "H5Awrite", location)
    }

    /// Every attribute of the object at `objectPath` that is a string, an integer or a float
    /// (scalars, or float arrays); others are skipped.
    public func attributes(of objectPath: String = "/") throws -> [String: HDF5AttributeValue] {
        let target = "\(path):\(objectPath)"
        let object = try HDF5Object(H5Oopen(handle.id, objectPath, qf_H5P_DEFAULT()), operation: "H5Oopen", target: target, closer: H5Oclose)
        var info = H5O_info_t()
        try hdf5Check(H5Oget_info2(object.id, &info, UInt32(H5O_INFO_NUM_ATTRS)), "H5Oget_info2", target)
        var result: [String: HDF5AttributeValue] = [:]
        for index in 0..<info.num_attrs {
            let attribute = try HDF5Object(H5Aopen_by_idx(object.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, qf_H5P_DEFAULT(), qf_H5P_DEFAULT()),
                                           operation: "H5Aopen_by_idx", target: target, closer: H5Aclose)
            let nameLength = H5Aget_name(attribute.id, 0, nil)
            var nameBytes = [CChar](repeating: 0, count: Int(nameLength) + 1)
            _ = H5Aget_name(attribute.id, nameBytes.count, &nameBytes)
            let name = String(decoding: nameBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let value = try readAttribute(attribute, location: "\(target)@\(name)") { result[name] = value }
        }
        return result
    }

    private func readAttribute(_ attribute: HDF5Object, location: String) throws -> HDF5AttributeValue? {
        let type = try HDF5Object(H5Aget_type(attribute.id), operation: "H5Aget_type", target: location, closer: H5Tclose)
        let space = try HDF5Object(H5Aget_space(attribute.id), operation: "H5Aget_space", target: location, closer: H5Sclose)
        let elements = Int(H5Sget_simple_extent_npoints(space.id))
        switch H5Tget_class(type.id) {
        case H5T_STRING:
            if H5Tis_variable_str(type.id) > 0 {
                let memory = try HDF5Object(H5Tcopy(qf_H5T_C_S1()), operation: "H5Tcopy", target: location, closer: H5Tclose)
                try hdf5Check(H5Tset_size(memory.id, qf_H5T_VARIABLE()), "H5Tset_size", location)
                try hdf5Check(H5Tset_cset(memory.id, H5Tget_cset(type.id)), "H5Tset_cset", location)
                var pointer: UnsafeMutablePointer<CChar>?
                try hdf5Check(H5Aread(attribute.id, memory.id, &pointer), "H5Aread", location)
                defer { if let pointer { H5free_memory(pointer) } }
                return .string(pointer.map { String(cString: $0) } ?? "")
            }
            let size = H5Tget_size(type.id)
            var bytes = [UInt8](repeating: 0, count: size + 1)
            try hdf5Check(H5Aread(attribute.id, type.id, &bytes), "H5Aread", location)
            return .string(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        case H5T_INTEGER where elements == 1:
            var value: Int64 = 0
            try hdf5Check(H5Aread(attribute.id, qf_H5T_NATIVE_INT64(), &value), "H5Aread", location)
            return .integer(value)
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: elements)
            try hdf5Check(H5Aread(attribute.id, qf_H5T_NATIVE_DOUBLE(), &values), "H5Aread", location)
            return elements == 1 && H5Sget_simple_extent_ndims(space.id) == 0 ? .double(values[0]) : .doubles(values)
        default:
            return nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
