/// A command that failed on what it found rather than on how it was called: a missing or
/// malformed file, a run directory without a checkpoint, a server that did not answer in time.
/// ArgumentParser prints it as `Error: …` alone; a `ValidationError` would add the usage lines,
/// which say nothing about a file.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
