import CHDF5

/// A Swift number type that HDF5 columns and attributes store, with its in-memory (native) and
/// on-disk (little-endian, portable) HDF5 types.
public protocol HDF5Element: Sendable {
    static var nativeType: hid_t { get }
    static var fileType: hid_t { get }
    /// numpy's name for the type, for messages ("float64", "int64", …).
    static var typeName: String { get }
}

extension Double: HDF5Element {
    public static var nativeType: hid_t { qf_H5T_NATIVE_DOUBLE() }
    public static var fileType: hid_t { qf_H5T_IEEE_F64LE() }
    public static var typeName: String { "float64" }
}

extension Float: HDF5Element {
    public static var nativeType: hid_t { qf_H5T_NATIVE_FLOAT() }
    public static var fileType: hid_t { qf_H5T_IEEE_F32LE() }
    public static var typeName: String { "float32" }
}

extension Int64: HDF5Element {
    public static var nativeType: hid_t { qf_H5T_NATIVE_INT64() }
    public static var fileType: hid_t { qf_H5T_STD_I64LE() }
    public static var typeName: String { "int64" }
}

extension UInt8: HDF5Element {
    public static var nativeType: hid_t { qf_H5T_NATIVE_UINT8() }
    public static var fileType: hid_t { qf_H5T_NATIVE_UINT8() }
    public static var typeName: String { "uint8" }
}
