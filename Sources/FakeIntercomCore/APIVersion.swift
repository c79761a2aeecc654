/// An Intercom API version the fake knows: `1.0`-`1.4`, `2.0`-`2.16`, `Unstable` and `Preview`.
///
/// `Unstable` (renamed `Preview` in the 2026 descriptions) is answered as the newest 2.x.
struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The name as sent in `Intercom-Version`: `1.4`, `2.14`, `Unstable`.
    let name: String
    let major: Int
    let minor: Int

    /// The newest numbered version the fake answers.
    static let latestMinor = 16

    /// Every name the fake accepts, oldest first.
    static let knownNames: [String] =
        (0...4).map { "1.\($0)" } + (0...latestMinor).map { "2.\($0)" } + ["Unstable", "Preview"]

    /// The version with this name, or nil when Intercom would answer `intercom_version_invalid`.
    ///
    /// Numbered versions must be spelled exactly (`2.14`, not `2.14.0` or `v2.14`);
    /// `Unstable` and `Preview` are matched without regard to case.
    init?(_ name: String) {
        let lowered = name.lowercased()
        if lowered == "unstable" || lowered == "preview" {
            self.name = name
            major = 2
            // After every numbered version, so behaviour new in 2.16 applies.
            minor = Self.latestMinor + 1
            return
        }
        guard Self.knownNames.contains(name) else { return nil }
        let parts = name.split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.name = name
        self.major = major
        self.minor = minor
    }

    /// Whether requests on this version use the 1.x (lead API) meaning.
    var isV1: Bool { major == 1 }

    /// Whether this version is at least `major.minor`.
    func isAtLeast(_ major: Int, _ minor: Int) -> Bool {
        (self.major, self.minor) >= (major, minor)
    }

    var description: String { name }

    static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}

extension FakeWorkspace {
    /// The `Intercom-Version` values the fake answers: `1.0`-`1.4`, `2.0`-`2.16`, `Unstable`, `Preview`.
    ///
    /// Any other value answers `400 intercom_version_invalid`.
    public static var knownVersions: [String] { APIVersion.knownNames }

    /// Whether `version` is one the fake answers (and so may be an app version).
    public static func isKnownVersion(_ version: String) -> Bool { APIVersion(version) != nil }
}
