import Foundation

/// Where the service keeps files and how big an upload may be: `QF_DATA_DIR` (default
/// `.qf/data` in the working folder) holds `uploads/` (the files as sent) and `datasets/` (their
/// HDF5 bar files); `QF_MAX_UPLOAD_BYTES` (default 1 GiB) bounds one upload (413 beyond it).
public struct DataSettings: Sendable {
    public var directory: String
    public var maxUploadBytes: Int

    public init(directory: String, maxUploadBytes: Int = 1 << 30) {
        self.directory = directory
        self.maxUploadBytes = maxUploadBytes
    }

    public static func resolve(environment: [String: String], workingDirectory: String) throws -> DataSettings {
        let directory = environment["QF_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? workingDirectory + "/.qf/data"
        var settings = DataSettings(directory: directory)
        if let text = environment["QF_MAX_UPLOAD_BYTES"] {
            guard let bytes = Int(text), bytes > 0 else { throw AuthSettings.Invalid(description: "QF_MAX_UPLOAD_BYTES: a positive number of bytes, got '\(text)'") }
            settings.maxUploadBytes = bytes
        }
        return settings
    }

    public var uploads: String { directory + "/uploads" }
    public var datasets: String { directory + "/datasets" }

    /// The uploaded file of dataset `id`.
    public func uploadPath(id: Int, type: String) -> String { "\(uploads)/\(id).\(type)" }
    /// The HDF5 bar file of dataset `id`.
    public func barFilePath(id: Int) -> String { "\(datasets)/\(id).h5" }

    /// A training job's folder: its splits, checkpoints and run.
    public func jobDirectory(id: Int) -> String { "\(directory)/jobs/\(id)" }

    func makeDirectories() throws {
        for folder in [uploads, datasets] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    }
}
