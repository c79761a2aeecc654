import LeadModel
import Synchronization

/// The simulation's one clock: virtual time that moves only when every task is waiting. A
/// wait registers a sleeper; when the executor has nothing left to run, the clock jumps to the
/// earliest sleeper's time and wakes it (ties in the order they slept), so a schedule of hours
/// runs in milliseconds and concurrent tasks see time pass as they would.
final class SimClock: WallClock {
    let world: World
    private struct Sleeper {
        var time: Double
        var order: Int
        var continuation: CheckedContinuation<Void, Never>
    }
    private let sleepers = Mutex<(list: [Sleeper], next: Int)>(([], 0))

    init(world: World) { self.world = world }

    /// Time moves while code runs: every reading is a microsecond after the last, so code that
    /// compares two readings (a deadline with a later "now") sees what it would see for real.
    func now() -> Double { world.tick() }

    func sleep(until time: Double) async throws {
        if world.event("wait") { throw CancellationError() }
        if time <= world.now {
            await Task.yield()
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sleepers.withLock { s in
                s.list.append(Sleeper(time: time, order: s.next, continuation: continuation))
                s.next += 1
            }
        }
        if world.isDead { throw CancellationError() }
    }

    /// Every task waits: time moves to the earliest sleeper, which wakes. False when none sleeps.
    @discardableResult
    func wakeNext() -> Bool {
        let next = sleepers.withLock { s -> Sleeper? in
            guard let index = s.list.indices.min(by: { (s.list[$0].time, s.list[$0].order) < (s.list[$1].time, s.list[$1].order) }) else {
                return nil
            }
            return s.list.remove(at: index)
        }
        guard let next else { return false }
        world.advance(to: next.time)
        next.continuation.resume()
        return true
    }
}
