import Foundation

/// Wall-clock time and waiting, injectable so backoff and pacing are tested without sleeping.
public protocol ReplayClock: Sendable {
    /// Unix time in seconds.
    func now() -> Double
    /// Waits until the given Unix time (returns at once if it has passed).
    func sleep(until time: Double) async throws
}

/// The real clock.
public struct SystemReplayClock: ReplayClock {
    public init() {}

    public func now() -> Double { Date().timeIntervalSince1970 }

    public func sleep(until time: Double) async throws {
        let delay = time - now()
        if delay > 0 {
            try await Task.sleep(for: .milliseconds(Int64((delay * 1000).rounded(.up))))
        }
    }
}

/// Random numbers for jitter, injectable for deterministic tests.
public protocol JitterSource: Sendable {
    /// A number in `0..<1`.
    func unit() -> Double
}

public struct SystemJitter: JitterSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}
