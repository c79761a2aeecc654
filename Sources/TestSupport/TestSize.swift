import Foundation

/// The two tiers of the suite (docs/TESTING.md).
///
/// The default run keeps every behaviour at sizes that cross each boundary once (a batch of
/// 500, a queue page of 1,000, a rate window); `LEADSH_LONG=1` runs every case at its full size
/// (10,000-row imports, 20,000-push crash scripts, 40,000-row journals).
public enum TestSize {
    /// Whether `LEADSH_LONG=1` asked for the full sizes.
    public static let long = ProcessInfo.processInfo.environment["LEADSH_LONG"] == "1"

    /// `quick` in the default run, `full` under `LEADSH_LONG=1`.
    public static func pick<T>(_ quick: T, long full: T) -> T { long ? full : quick }
}
