import Foundation

/// A new empty folder under the system's temporary directory, for one test's files.
func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("qf-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
