import Foundation

/// A file written in pieces that appears at its path only when complete: text goes to a
/// temporary file beside the destination, `commit()` flushes it to disk and renames it into
/// place, and a staged file dropped without `commit()` (an error part way) removes itself, so a
/// reader never sees half a sweep table or report.
public final class StagedFile {
    public let path: String
    let temporaryPath: String
    private var stream: UnsafeMutablePointer<FILE>?

    /// Creates the temporary file.
    /// - Throws: `BacktestError.io` when the folder is missing or not writable.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        guard let stream = fopen(temporaryPath, "wx") else {
            throw BacktestError.io("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.stream = stream
    }

    /// Appends `text`.
    /// - Throws: `BacktestError.io` when the write fails (a full disk, say).
    public func write(_ text: String) throws {
        guard let stream else { throw BacktestError.io("\(path): already committed") }
        var text = text
        let ok = text.withUTF8 { bytes in bytes.isEmpty || fwrite(bytes.baseAddress, 1, bytes.count, stream) == bytes.count }
        guard ok else { throw BacktestError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Flushes, syncs and renames the file into place.
    public func commit() throws {
        guard let stream else { throw BacktestError.io("\(path): already committed") }
        self.stream = nil
        let flushed = fflush(stream) == 0 && fsync(fileno(stream)) == 0
        fclose(stream)
        guard flushed else {
            unlink(temporaryPath)
            throw BacktestError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw BacktestError.io("cannot rename onto \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if let stream {
            fclose(stream)
            unlink(temporaryPath)
        }
    }

    /// Writes a whole file atomically.
    public static func write(_ text: String, to path: String) throws {
        let file = try StagedFile(path: path)
        try file.write(text)
        try file.commit()
    }
}
