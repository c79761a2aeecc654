import LeadModel
import Synchronization

/// Where a rate-limit hold is kept beyond one process (the journal), so that every process on
/// the same journal waits for a window any of them met.
public protocol RateHoldStore: Sendable {
    /// The hold recorded, in Unix seconds, or nil.
    func recordedHold() -> Double?
    /// Records a later hold.
    func record(hold: Double)
}

/// The time before which no request may be sent: learnt from every answer (a 429's
/// `X-RateLimit-Reset` or `Retry-After`, or a window whose `X-RateLimit-Remaining` reached 0)
/// and waited for by every request, whatever sends it (a replay, `load`, `find`, the probe).
///
/// The replayer paces its own requests ahead of it (`RateBudget`); this is the floor no
/// request goes below. With a store attached, the hold is shared with every process on the
/// same journal: each request reads the recorded hold first, and a later hold is recorded.
public final class RateHold: Sendable {
    private struct State {
        var until = 0.0
        var store: (any RateHoldStore)?
    }

    private let state = Mutex(State())
    /// The server's clock as the answers' `Date` headers show it: `X-RateLimit-Reset` is read
    /// through it, so a hold is on this machine's clock (``ServerClock``).
    public let serverClock = ServerClock()

    public init() {}

    /// Keeps the hold in `store` from now on (and reads it back before each request).
    public func attach(_ store: any RateHoldStore) {
        state.withLock { $0.store = store }
    }

    /// The hold this process knows of, without reading the store (0: none).
    public var known: Double { state.withLock { $0.until } }

    /// The hold, in Unix seconds (0: none), after reading what another process recorded.
    public func current() -> Double {
        let store = state.withLock { $0.store }
        let recorded = store?.recordedHold() ?? 0
        return state.withLock { s in
            s.until = max(s.until, recorded)
            return s.until
        }
    }

    /// Holds requests until `time` at least; a later hold than before is recorded.
    public func extend(to time: Double) {
        let store = state.withLock { s -> (any RateHoldStore)? in
            guard time > s.until else { return nil }
            s.until = time
            return s.store
        }
        store?.record(hold: time)
    }

    /// Learns what an answer says about waiting: a 429 holds until its reset or `Retry-After`
    /// (a second from now when it names neither), and a window with nothing remaining until its reset.
    /// `info`'s reset is on this machine's clock already (``ServerClock/local(_:)``).
    public func learn(status: Int?, _ info: RateLimitInfo, now: Double) {
        if status == 429 {
            if let reset = info.reset {
                extend(to: Double(reset))
            } else if let retryAfter = info.retryAfter {
                extend(to: now + retryAfter)
            } else {
                extend(to: now + 1)
            }
        } else if let remaining = info.remaining, remaining <= 0, let reset = info.reset {
            extend(to: Double(reset))
        }
    }
}
