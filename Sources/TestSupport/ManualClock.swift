import LeadModel
import Synchronization

/// A clock that moves only when told: sleepers wake when ``advance(by:)`` passes their time.
public final class ManualClock: WallClock {
    private struct State {
        var now: Double
        var sleepers: [(until: Double, id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    public init(now: Double = 1_800_000_000) {
        state = Mutex(State(now: now))
    }

    public func now() -> Double { state.withLock { $0.now } }

    public func sleep(until time: Double) async throws {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if time <= s.now || Task.isCancelled { return true }
                    s.sleepers.append((time, id, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let index = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes every sleeper whose time has come.
    public func advance(by seconds: Double) {
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now += seconds
            let now = s.now
            let ready = s.sleepers.filter { $0.until <= now }.map(\.continuation)
            s.sleepers.removeAll { $0.until <= now }
            return ready
        }
        for continuation in due { continuation.resume() }
    }
}
