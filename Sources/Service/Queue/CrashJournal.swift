import CCrashJournal
import Foundation
import Logging
import Synchronization

/// Which tasks a worker process was running when a fatal signal (a trap: arithmetic overflow,
/// a bad index, a force unwrap; or SIGSEGV, SIGBUS, SIGABRT) ended it.
///
/// A lease expiry alone cannot tell a task that crashes its worker from a worker that was killed
/// or lost its database; retrying the first kills one worker after another (a poison pill). So
/// each worker process journals its running claims in preallocated memory, and on a fatal signal
/// a C handler appends them — `SIGILL <task id> <attempt>` — to `<directory>/<worker>.crash` with
/// write(2) alone. Any worker's rescue round reads the journals into `celery_tasks
/// .crashed_attempts`, and a task that has crashed two attempts is failed with the signal named,
/// not retried (see `TaskQueue.recordCrashes` and `rescue`).
public enum CrashJournal {
    /// One crashed attempt read from a journal.
    public struct Entry: Sendable, Equatable {
        public var taskID: String
        public var attempt: Int
        public var signal: String
    }

    /// This process's journal, once installed.
    static let installed = Mutex<String?>(nil)

    /// Opens this process's journal in `directory` and installs the signal handlers; once per
    /// process (a second worker in the same process shares the first one's journal).
    public static func install(directory: String, workerID: String) throws {
        guard installed.withLock({ $0 }) == nil else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let safe = String(workerID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        let path = "\(directory)/\(safe).crash"
        guard qf_crash_journal_open(path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: directory])
        }
        installed.withLock { $0 = $0 ?? path }
    }

    /// Removes this process's journal at a clean exit (it is empty: nothing crashed).
    public static func removeOwnJournal() {
        guard let path = installed.withLock({ $0 }), (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0 else { return }
        unlink(path)
    }

    /// Marks `key` as running until `leave` is called with the returned slot.
    static func enter(_ key: ClaimedTask.Key) -> Int32 {
        let line = "\(key.id) \(key.attempt)"
        return line.withCString { qf_crash_journal_enter($0, strlen($0)) }
    }

    static func leave(_ slot: Int32) { qf_crash_journal_leave(slot) }

    /// The journals in `directory` that have entries, with their entries. A journal gets entries
    /// only as its process dies, so the open journals of live workers (empty) are left alone.
    /// Nothing is removed here: the caller removes a journal once its entries are recorded
    /// (`remove`), so a database that is away loses no crash. Two rescuers reading one journal
    /// record each attempt once (see `TaskQueue.recordCrashes`).
    public static func pending(directory: String) -> (paths: [String], entries: [Entry]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ([], []) }
        var paths: [String] = [], entries: [Entry] = []
        for name in names where name.hasSuffix(".crash") {
            let path = "\(directory)/\(name)"
            guard let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0,
                  let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            paths.append(path)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, let attempt = Int(parts[2]) else { continue }
                entries.append(Entry(taskID: String(parts[1]), attempt: attempt, signal: String(parts[0])))
            }
        }
        return (paths, entries)
    }

    /// Removes journals whose entries are recorded.
    public static func remove(_ paths: [String]) {
        for path in paths { unlink(path) }
    }
}
