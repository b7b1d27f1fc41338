import CHDF5

/// An error from libhdf5, naming the operation and the object it was applied to.
public struct HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    /// The HDF5 call that failed, e.g. "H5Dcreate2".
    public let operation: String
    /// The file and object path it was applied to.
    public let target: String
    /// libhdf5's own error stack for the failure, innermost cause last.
    public let details: String

    init(operation: String, target: String) {
        self.operation = operation
        self.target = target
        details = HDF5Error.currentStack()
    }

    public var description: String { "HDF5 \(operation) failed for \(target)" + (details.isEmpty ? "" : " (\(details))") }

    /// The calling thread's HDF5 error stack as "function: description" entries.
    static func currentStack() -> String {
        var entries: [String] = []
        withUnsafeMutablePointer(to: &entries) { list in
            _ = H5Ewalk2(qf_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, error, data in
                guard let error, let data else { return 0 }
                let list = data.assumingMemoryBound(to: [String].self)
                let function = error.pointee.func_name.map { String(cString: $0) } ?? "?"
                let text = error.pointee.desc.map { String(cString: $0) } ?? ""
                list.pointee.append("\(function): \(text)")
                return 0
            }, list)
        }
        return entries.joined(separator: "; ")
    }
}

/// An open HDF5 identifier (file, group, dataset, dataspace, property list, attribute or
/// datatype), closed exactly once when the object is released.
///
/// libhdf5 here is built thread-safe (it serialises calls on a global lock), so handles may be
/// used from any thread, one at a time.
final class HDF5Object: @unchecked Sendable {
    let id: hid_t
    private let closer: (hid_t) -> herr_t
    private let state = NSLockLike()
    private var isOpen = true

    /// Wraps `id`, or throws when the call that produced it failed (a negative id).
    init(_ id: hid_t, operation: String, target: @autoclosure () -> String, closer: @escaping (hid_t) -> herr_t) throws {
        guard id >= 0 else { throw HDF5Error(operation: operation, target: target()) }
        self.id = id
        self.closer = closer
    }

    /// Closes the identifier now (idempotent). Used where the moment matters: a file is released
    /// (and its lock dropped) only when every dataset in it is closed, whenever Swift happens to
    /// free the wrappers.
    func close() {
        let wasOpen = state.locked { () -> Bool in
            defer { isOpen = false }
            return isOpen
        }
        if wasOpen { _ = closer(id) }
    }

    deinit { close() }
}

/// Runs an HDF5 call returning `herr_t` and throws when it reports failure.
func hdf5Check(_ status: herr_t, _ operation: String, _ target: @autoclosure () -> String) throws {
    guard status >= 0 else { throw HDF5Error(operation: operation, target: target()) }
}

extension HDF5Library {
    /// Stops libhdf5 from printing its error stack to stderr; failures surface as `HDF5Error`s
    /// naming what failed instead. Called once before the first HDF5 operation.
    static let silenceErrorPrinting: Void = {
        _ = H5Eset_auto2(qf_H5E_DEFAULT(), nil, nil)
    }()
}
