import Foundation
import Synchronization

/// Wall-clock time in Unix seconds, and waiting for it: the one clock every part of leadsh
/// reads (the session, the replayer, the shell's probe loop, the fake's rate windows), so
/// tests move time forward instead of sleeping through it.
public protocol WallClock: Sendable {
    /// Unix time in seconds.
    func now() -> Double
    /// Waits until the given Unix time (returns at once if it has passed); throws when cancelled.
    func sleep(until time: Double) async throws
}

extension WallClock {
    /// Waits the given number of seconds.
    public func sleep(seconds: Double) async throws {
        try await sleep(until: now() + seconds)
    }
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Double { Date().timeIntervalSince1970 }

    public func sleep(until time: Double) async throws {
        let delay = time - now()
        if delay > 0 {
            try await Task.sleep(for: .milliseconds(Int64((delay * 1000).rounded(.up))))
        }
    }
}
