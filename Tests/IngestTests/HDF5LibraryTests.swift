import Ingest
import Testing

@Suite struct HDF5LibraryTests {
    @Test func reportsTheLinkedLibrary() {
        let v = HDF5Library.version
        // Debian 12 ships 1.10.x; any 1.10 or later has the features the store uses.
        #expect(v.major == 1 && v.minor >= 10)
        #expect(HDF5Library.versionString == "\(v.major).\(v.minor).\(v.release)")
    }
}
