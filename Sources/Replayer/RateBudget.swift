import IntercomClient
import Synchronization

/// One rate budget shared by every request of a replay, fed by each response's `X-RateLimit-*` headers.
///
/// When `Remaining` runs low it spreads the rest of the window's calls evenly
/// instead of bursting into a 429; after a 429 it holds every request until the
/// window resets, plus jitter.
public final class RateBudget: Sendable {
    private struct State {
        var limit: Int?
        var remaining: Int?
        var reset: Double?
        var pausedUntil: Double = 0
        var nextSlot: Double = 0
        var consecutive429 = 0
        /// Calls reserved whose answers have not come back: the server has counted or will
        /// count them, but no `Remaining` we have seen reflects them yet.
        var outstanding = 0
        /// The last answer carried no rate-limit figures: the server does not meter.
        var unmetered = false
    }

    private let state = Mutex(State())
    private let jitter: any JitterSource
    /// Start pacing when fewer than this many calls are left in the window.
    private let lowWater: Int

    public init(jitter: any JitterSource = SystemJitter(), lowWater: Int = 16) {
        self.jitter = jitter
        self.lowWater = lowWater
    }

    /// Reserves the right to send one request; returns the Unix time to wait until (now if no wait).
    public func reserve(now: Double) -> Double {
        state.withLock { s in
            var start = max(now, s.pausedUntil)
            if let reset = s.reset, reset <= start {
                // A new window has begun: the old figures no longer hold.
                s.remaining = nil
                s.reset = nil
            }
            if var remaining = s.remaining, let reset = s.reset {
                if remaining <= 0 {
                    // Nothing left: every call, this one and those reserved after it, waits
                    // for the new window.
                    s.pausedUntil = max(s.pausedUntil, reset + 0.05)
                    start = max(start, s.pausedUntil)
                    s.remaining = nil
                    s.reset = nil
                } else if remaining <= lowWater {
                    // Spread what is left from this call's slot to the reset: calls reserved
                    // together must not push later slots past the reset.
                    start = max(start, s.nextSlot)
                    let spacing = max(0, reset - start) / Double(remaining)
                    s.nextSlot = start + spacing
                    remaining -= 1
                    s.remaining = remaining
                } else {
                    s.remaining = remaining - 1
                }
            }
            s.outstanding += 1
            return start
        }
    }

    /// Marks one reserved call as answered (or abandoned); call once per ``reserve(now:)``,
    /// after ``observe(_:now:)`` or ``rateLimited(_:now:)`` for its answer.
    public func complete() {
        state.withLock { s in s.outstanding = max(0, s.outstanding - 1) }
    }

    /// Learns from a response's headers (an answer's: a call that got none teaches nothing).
    ///
    /// `Remaining` counts the calls the server had seen when it answered; the calls still
    /// outstanding besides this one were sent after it, so they come off the estimate too.
    public func observe(_ info: RateLimitInfo, now: Double) {
        guard info.remaining != nil || info.reset != nil else {
            state.withLock { $0.unmetered = true }
            return
        }
        state.withLock { s in
            s.unmetered = false
            s.consecutive429 = 0
            if let limit = info.limit { s.limit = limit }
            let estimate = info.remaining.map { max(0, $0 - max(0, s.outstanding - 1)) }
            if let reset = info.reset {
                let resetTime = Double(reset)
                // A response from an older window must not overwrite a newer one.
                if let current = s.reset, resetTime < current { return }
                if s.reset == nil || resetTime > s.reset! {
                    s.reset = resetTime
                    s.remaining = estimate
                    s.nextSlot = 0
                    return
                }
            }
            if let estimate {
                s.remaining = min(estimate, s.remaining ?? estimate)
            }
        }
    }

    /// Holds every request after a 429 until the window resets (or `Retry-After`), plus jitter.
    /// Returns the time requests resume.
    @discardableResult
    public func rateLimited(_ info: RateLimitInfo, now: Double) -> Double {
        state.withLock { s in
            s.consecutive429 += 1
            var until = now
            if let retryAfter = info.retryAfter {
                until = max(until, now + retryAfter)
            }
            if let reset = info.reset {
                until = max(until, Double(reset))
            }
            if info.retryAfter == nil && info.reset == nil {
                // No hint: back off exponentially, one second doubling up to a minute.
                until = now + BackoffPolicy.rateLimit.delay(afterAttempt: s.consecutive429, jitter: jitter)
            } else {
                until += BackoffPolicy.rateLimit.addedJitter(jitter)
            }
            s.pausedUntil = max(s.pausedUntil, until)
            s.remaining = nil
            s.reset = nil
            s.nextSlot = 0
            return s.pausedUntil
        }
    }

    /// Holds every request until `time`: a hold the client learnt, or an earlier process recorded in the journal.
    public func hold(until time: Double) {
        state.withLock { s in s.pausedUntil = max(s.pausedUntil, time) }
    }

    /// Whether the current window's figures are known (an answer in it said how many calls
    /// remain). Until they are, the replay sends one request at a time, so that a window it
    /// knows nothing of (the first, or a new one after a reset) never meets a burst.
    public func knowsWindow(now: Double) -> Bool {
        state.withLock { s in
            if s.unmetered { return true }
            guard let reset = s.reset, reset > now else { return false }
            return s.remaining != nil
        }
    }

    /// The time before which no request will be sent (a 429 pause), or nil.
    public func pausedUntil(now: Double) -> Double? {
        state.withLock { s in s.pausedUntil > now ? s.pausedUntil : nil }
    }
}
