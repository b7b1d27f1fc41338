/// A `MAJOR.MINOR.PATCH` version as `strategy_versions.version` holds it, ordered numerically
/// (1.10.0 after 1.9.0) and bumped the semver way (a minor bump resets the patch).
public struct SemanticVersion: Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    /// Which part an edit bumps.
    public enum Part: String, Sendable, CaseIterable {
        case major, minor, patch
    }

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let major = Int(parts[0]), let minor = Int(parts[1]), let patch = Int(parts[2]),
              major >= 0, minor >= 0, patch >= 0 else { return nil }
        self.init(major, minor, patch)
    }

    public static let initial = SemanticVersion(1, 0, 0)

    /// The text form, as the API document states it.
    public static let pattern = "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}$"

    public func bumped(_ part: Part) -> SemanticVersion {
        switch part {
        case .major: SemanticVersion(major + 1, 0, 0)
        case .minor: SemanticVersion(major, minor + 1, 0)
        case .patch: SemanticVersion(major, minor, patch + 1)
        }
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
}
