import Foundation
import LeadModel
import Synchronization

/// A clock whose waits return at once, moving its time forward: backoffs without sleeping.
public final class JumpingClock: WallClock {
    private let time: Mutex<Double>
    private let waits = Mutex<[Double]>([])

    public init(start: Double = Date().timeIntervalSince1970) { time = Mutex(start) }

    public func now() -> Double { time.withLock { $0 } }

    public func sleep(until target: Double) async throws {
        try Task.checkCancellation()
        waits.withLock { $0.append(target - now()) }
        time.withLock { $0 = max($0, target) }
        await Task.yield()
    }

    /// Every wait asked for, in seconds, in order.
    public var waited: [Double] { waits.withLock { $0 } }
}
