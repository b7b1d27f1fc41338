import Foundation

/// Where the service keeps files and how big an upload may be. This is the one place that knows
/// the layout of `QF_DATA_DIR` (default `.qf/data` in the working folder):
///
/// ```
/// uploads/<dataset id>.<type>          the file as sent
/// datasets/<dataset id>.h5             its HDF5 bar file
/// jobs/<job id>/data_{train,valid,test}.h5   the job's splits (70/15/15 in time)
/// jobs/<job id>/run/                   its checkpoints and run record (resumed after a crash)
/// reports/evaluation_<id>.{html,csv}   an evaluation's report and ranked table
/// crashes/                             workers' crash journals
/// slurm/                               Slurm jobs' output
/// ```
///
/// `QF_MAX_UPLOAD_BYTES` (default 1 GiB) bounds one upload (413 beyond it).
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
    /// A training job's checkpoints and run record.
    public func runDirectory(jobID: Int) -> String { Self.runDirectory(inJobDirectory: jobDirectory(id: jobID)) }
    /// The job's splits, train, validation and test.
    public func splits(jobID: Int) -> (train: String, valid: String, test: String) { Self.splits(inJobDirectory: jobDirectory(id: jobID)) }

    static func runDirectory(inJobDirectory directory: String) -> String { "\(directory)/run" }
    /// What the preprocessor's split is given: it writes `data_train.h5`, `data_valid.h5` and
    /// `data_test.h5` beside it (`splits`).
    static func splitOutput(inJobDirectory directory: String) -> String { "\(directory)/data.h5" }
    static func splits(inJobDirectory directory: String) -> (train: String, valid: String, test: String) {
        ("\(directory)/data_train.h5", "\(directory)/data_valid.h5", "\(directory)/data_test.h5")
    }
    /// The test split of the job whose run folder is `runDirectory` (a trained model's replay).
    static func testSplit(ofRunDirectory runDirectory: String) -> String {
        splits(inJobDirectory: (runDirectory as NSString).deletingLastPathComponent).test
    }

    /// An evaluation's HTML report.
    public func reportPath(evaluationID id: Int) -> String { "\(directory)/reports/evaluation_\(id).html" }
    /// An evaluation's ranked table (CSV).
    public func tablePath(evaluationID id: Int) -> String { "\(directory)/reports/evaluation_\(id).csv" }
    /// Workers' crash journals.
    public var crashJournals: String { "\(directory)/crashes" }
    /// Slurm jobs' output.
    public var slurmOutput: String { "\(directory)/slurm" }

    func makeDirectories() throws {
        for folder in [uploads, datasets] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    }
}
