import ConcurrencyExtras
import Foundation
import Replayer
import Synchronization

/// Jitter from the schedule's seed, so a seed replays the same backoffs.
final class SeededJitter: JitterSource {
    private let generator: Mutex<SeededGenerator>

    init(seed: UInt64) {
        generator = Mutex(SeededGenerator(state: seed ^ 0x5EED))
    }

    func unit() -> Double {
        generator.withLock { Double.random(in: 0..<1, using: &$0) }
    }
}

/// A seed whose schedule broke an invariant: the schedule shrunk to the fewest steps that
/// still break one, and what broke.
public struct Failure: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var schedule: Schedule
    public var violation: Violation
    /// The steps before shrinking, and what they broke.
    public var originalSteps: Int
    public var originalViolation: Violation

    public var description: String {
        """
        seed \(seed) broke an invariant: \(originalViolation)
        reproduce: scripts/simulate --seed \(seed)
        shrunk from \(originalSteps) to \(schedule.steps.count) steps, which break: \(violation)
        \(schedule)
        """
    }
}

/// Runs seeded schedules, one at a time, each on one serial executor so that a seed always
/// makes the same interleaving.
public enum Simulator {
    /// Runs the schedule of `seed`; nil when every invariant held, else the shrunk failure.
    ///
    /// With `tracing`, every request and answer of the seed's run, and of the shrunk schedule's,
    /// is printed.
    public static func run(seed: UInt64, directory: String = Simulator.defaultDirectory, tracing: Bool = false) async -> Failure? {
        let schedule = Schedule.generate(seed: seed)
        guard let violation = await serially({ await Simulation.run(schedule, directory: directory, tracing: tracing) }) else { return nil }
        let (shrunk, last) = await shrink(schedule, violation, directory: directory)
        if tracing {
            print("  the shrunk schedule:")
            _ = await serially({ await Simulation.run(shrunk, directory: directory, tracing: true) })
        }
        return Failure(seed: seed, schedule: shrunk, violation: last, originalSteps: schedule.steps.count, originalViolation: violation)
    }

    /// Removes steps while the schedule still breaks an invariant: first halves, then quarters,
    /// down to single steps, until no single step can go.
    static func shrink(_ schedule: Schedule, _ violation: Violation, directory: String) async -> (Schedule, Violation) {
        var current = schedule
        var last = violation
        var chunk = max(1, current.steps.count / 2)
        while chunk >= 1 {
            var start = 0
            var removedAny = false
            while start < current.steps.count {
                var candidate = current
                candidate.steps.removeSubrange(start..<min(current.steps.count, start + chunk))
                let attempt = candidate
                if let found = await serially({ await Simulation.run(attempt, directory: directory) }) {
                    current = candidate
                    last = found
                    removedAny = true
                } else {
                    start += chunk
                }
            }
            if chunk == 1 && !removedAny { break }
            chunk = max(1, chunk / 2)
        }
        return (current, last)
    }

    /// Runs `body` with every task on one serial executor.
    static func serially<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let result = Mutex<T?>(nil)
        await withMainSerialExecutor {
            let value = await body()
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }

    /// Where journals are made: memory-backed `/dev/shm` when there is one.
    public static var defaultDirectory: String {
        var info = stat()
        return stat("/dev/shm", &info) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
    }
}
