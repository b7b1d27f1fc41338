import CHDF5

/// The libhdf5 this process is linked against.
///
/// The Ingest store (issue 3) writes and reads market data through it; this is where its version is
/// reported (in `qf info` and in file attributes) and its error printing is controlled.
public enum HDF5Library {
    /// The library's version as (major, minor, release).
    public static var version: (major: Int, minor: Int, release: Int) {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        _ = H5get_libversion(&major, &minor, &release)
        return (Int(major), Int(minor), Int(release))
    }

    /// The version as "major.minor.release".
    public static var versionString: String {
        let v = version
        return "\(v.major).\(v.minor).\(v.release)"
    }
}
