import Dispatch
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

/// One thread for a whole simulation: a task executor whose jobs run one at a time, first in,
/// first out. Every job is enqueued from that thread itself, so the order is the schedule's.
/// When no job is left, it tells the clock, which wakes the earliest sleeper.
///
/// (ConcurrencyExtras' `withMainSerialExecutor` sets the runtime's global enqueue hook, which the
/// Swift 6.3 runtime no longer consults: its tasks still ran on the cooperative pool.)
final class SimulationExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: a serial DispatchQueue, a Mutex and a Sendable clock, safe from any thread.
    private let queue = DispatchQueue(label: "leadsh.simulation")
    private let pending = Mutex(0)
    private let clock: SimClock?

    init(clock: SimClock?) { self.clock = clock }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        pending.withLock { $0 += 1 }
        queue.async { [self] in
            job.runSynchronously(on: executor)
            let idle = pending.withLock { count -> Bool in
                count -= 1
                return count == 0
            }
            if idle { clock?.wakeNext() }
        }
    }
}

/// Runs seeded schedules, one at a time, each on its own serial executor (``SimulationExecutor``)
/// so that a seed always makes the same interleaving.
public enum Simulator {
    /// Runs the schedule of `seed`; nil when every invariant held, else the shrunk failure.
    ///
    /// With `tracing`, every request and answer of the seed's run, and of the shrunk schedule's,
    /// is printed.
    public static func run(seed: UInt64, directory: String = Simulator.defaultDirectory, tracing: Bool = false) async -> Failure? {
        let schedule = Schedule.generate(seed: seed)
        guard let violation = await Simulation.run(schedule, directory: directory, tracing: tracing) else { return nil }
        let (shrunk, last) = await shrink(schedule, violation, directory: directory)
        if tracing {
            print("  the shrunk schedule:")
            _ = await Simulation.run(shrunk, directory: directory, tracing: true)
        }
        return Failure(seed: seed, schedule: shrunk, violation: last, originalSteps: schedule.steps.count, originalViolation: violation)
    }

    /// Removes steps while the schedule still breaks an invariant.
    static func shrink(_ schedule: Schedule, _ violation: Violation, directory: String) async -> (Schedule, Violation) {
        var last = violation
        let steps = await shrinkSteps(schedule.steps) { steps in
            var candidate = schedule
            candidate.steps = steps
            let attempt = candidate
            guard let found = await Simulation.run(attempt, directory: directory) else { return false }
            last = found
            return true
        }
        var shrunk = schedule
        shrunk.steps = steps
        return (shrunk, last)
    }

    /// The shortest schedule a greedy delta-debugging pass finds that still `fails`: it removes
    /// halves, then quarters, down to single steps, until no single step can go.
    static func shrinkSteps(_ steps: [Step], fails: ([Step]) async -> Bool) async -> [Step] {
        var current = steps
        var chunk = max(1, current.count / 2)
        while true {
            var start = 0
            var removedAny = false
            while start < current.count {
                var candidate = current
                candidate.removeSubrange(start..<min(current.count, start + chunk))
                if await fails(candidate) {
                    current = candidate
                    removedAny = true
                } else {
                    start += chunk
                }
            }
            if chunk == 1 && !removedAny { return current }
            chunk = max(1, chunk / 2)
        }
    }

    /// Removes the journal templates this process made; call once, when done.
    public static func cleanUp() {
        try? FileManager.default.removeItem(atPath: Simulation.templateDirectory)
    }

    /// Where journals are made: memory-backed `/dev/shm` when there is one.
    public static var defaultDirectory: String {
        var info = stat()
        return stat("/dev/shm", &info) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
    }
}
