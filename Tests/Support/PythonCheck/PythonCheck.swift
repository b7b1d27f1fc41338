import Foundation

/// Runs checks in the Python venv that `make test` prepares (`QF_PYTHON`: numpy, safetensors,
/// h5py), so tests can open QuantForge's files with the reference implementations.
public enum PythonCheck {
    /// The interpreter, when `QF_PYTHON` is set.
    public static var interpreter: String? { ProcessInfo.processInfo.environment["QF_PYTHON"] }

    /// Whether checks can run (for `.enabled(if:)`).
    public static var isAvailable: Bool { interpreter != nil }

    /// Runs `script` with `arguments` (and `stdin` as its standard input); returns the exit
    /// status and the combined output.
    public static func run(_ script: String, arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        guard let interpreter else { return (-1, "QF_PYTHON is not set") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = ["-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let input = Pipe()
        process.standardInput = input
        try process.run()
        // Written from a thread of its own: a large input would fill the pipe while the script
        // fills the output pipe nobody is reading yet.
        let writer = Thread {
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
