import IntercomClient
import Replayer
import Testing

/// A server's rate limit in simulated time: `limit` calls per window, windows starting on whole seconds.
struct SimulatedLimit {
    let limit: Int
    let window: Double
    private var end = 0.0
    private var count = 0

    init(limit: Int, window: Double) {
        self.limit = limit
        self.window = window
    }

    /// Counts a call at `time`: whether it passes, and the `X-RateLimit-*` figures it answers with.
    mutating func call(at time: Double) -> (passed: Bool, info: RateLimitInfo) {
        if time >= end {
            end = time.rounded(.down) + window
            count = 0
        }
        count += 1
        return (count <= limit, RateLimitInfo(limit: limit, remaining: max(0, limit - count), reset: Int64(end)))
    }
}

/// Replays `total` calls through a ``RateBudget`` with `workers` in flight and a fixed latency, in
/// simulated time, the way the replayer's pool does: reserve, wait, send, learn from the answer.
func simulateReplay(total: Int, limit: Int, window: Double, workers: Int, latency: Double = 0.01) -> (elapsed: Double, rateLimited: Int) {
    let budget = RateBudget(jitter: FixedJitter(value: 0.5))
    var server = SimulatedLimit(limit: limit, window: window)
    let start = 1_000_000.0
    var free = Array(repeating: start, count: workers)
    var answers: [(time: Double, passed: Bool, info: RateLimitInfo)] = []
    var sent = 0
    var rateLimited = 0
    var finished = start
    while sent < total {
        let worker = free.indices.min { free[$0] < free[$1] }!
        let now = free[worker]
        // The answers that arrived by now have been seen.
        answers.sort { $0.time < $1.time }
        while let first = answers.first, first.time <= now {
            answers.removeFirst()
            if first.passed {
                budget.observe(first.info, now: first.time)
            } else {
                budget.rateLimited(first.info, now: first.time)
            }
            budget.complete()
        }
        let sendAt = max(now, budget.reserve(now: now))
        let (passed, info) = server.call(at: sendAt)
        let answered = sendAt + latency
        answers.append((answered, passed, info))
        free[worker] = answered
        if passed {
            sent += 1
            finished = max(finished, answered)
        } else {
            rateLimited += 1
        }
    }
    return (finished - start, rateLimited)
}

@Suite("Rate budget: pacing in simulated time")
struct RateBudgetTests {
    @Test("few calls left: the rest of the window is spread evenly instead of burst")
    func spreadsTheRest() {
        let budget = RateBudget(jitter: FixedJitter(), lowWater: 16)
        budget.observe(RateLimitInfo(limit: 100, remaining: 10, reset: 1_010), now: 1_000)
        let times = (0..<10).map { _ in budget.reserve(now: 1_000) }
        // 10 calls over the 10 s left: one a second.
        #expect(times == [1_000, 1_001, 1_002, 1_003, 1_004, 1_005, 1_006, 1_007, 1_008, 1_009])
        // None left: the next call waits for the new window.
        #expect(budget.reserve(now: 1_009) == 1_010.05)
    }

    @Test("plenty left: no wait at all")
    func noWaitWithPlentyLeft() {
        let budget = RateBudget(jitter: FixedJitter(), lowWater: 16)
        budget.observe(RateLimitInfo(limit: 100, remaining: 80, reset: 1_010), now: 1_000)
        #expect((0..<40).allSatisfy { _ in budget.reserve(now: 1_000) == 1_000 })
    }

    @Test("after a 429: every call waits for the reset or Retry-After plus jitter; without hints, 1 s doubling")
    func holdsAfter429() {
        let budget = RateBudget(jitter: FixedJitter(value: 0.5), lowWater: 16)
        #expect(budget.rateLimited(RateLimitInfo(limit: 100, remaining: 0, reset: 1_007), now: 1_000) == 1_007 + 0.05 + 0.125)
        #expect(budget.reserve(now: 1_001) == 1_007.175)
        #expect(budget.pausedUntil(now: 1_001) == 1_007.175)

        let hinted = RateBudget(jitter: FixedJitter(value: 0), lowWater: 16)
        #expect(hinted.rateLimited(RateLimitInfo(retryAfter: 30), now: 2_000) == 2_030.05)

        let blind = RateBudget(jitter: FixedJitter(value: 0), lowWater: 16)
        let waits = (0..<8).map { n in blind.rateLimited(RateLimitInfo(), now: 3_000 + Double(n) * 100) - (3_000 + Double(n) * 100) }
        #expect(zip(waits, [1.05, 2.05, 4.05, 8.05, 16.05, 32.05, 60.05, 60.05]).allSatisfy { abs($0 - $1) < 0.001 }, "\(waits)")
    }

    @Test("an answer from an older window does not overwrite a newer one")
    func olderWindowIgnored() {
        let budget = RateBudget(jitter: FixedJitter(), lowWater: 16)
        budget.observe(RateLimitInfo(limit: 100, remaining: 90, reset: 1_020), now: 1_011)
        budget.observe(RateLimitInfo(limit: 100, remaining: 0, reset: 1_010), now: 1_011)
        #expect(budget.reserve(now: 1_011) == 1_011)
    }

    @Test(
        "a replay of many more calls than the limit: at most one 429 and within 15% of the theoretical minimum",
        arguments: [
            (total: 300, limit: 60, window: 1.0, workers: 8, latency: 0.01),
            (total: 300, limit: 60, window: 1.0, workers: 8, latency: 0.1),
            (total: 1_000, limit: 167, window: 10.0, workers: 8, latency: 0.2),
            (total: 500, limit: 50, window: 2.0, workers: 1, latency: 0.01),
        ])
    func pacedReplay(total: Int, limit: Int, window: Double, workers: Int, latency: Double) {
        let (elapsed, rateLimited) = simulateReplay(total: total, limit: limit, window: window, workers: workers, latency: latency)
        // The theoretical minimum: M/N windows. No schedule can finish before the
        // last window it needs has opened.
        let minimum = Double(total) / Double(limit) * window
        let lastWindowOpens = ((Double(total) / Double(limit)).rounded(.up) - 1) * window
        #expect(rateLimited <= 1)
        #expect(elapsed >= lastWindowOpens, "faster than the limit allows: \(elapsed) s")
        #expect(elapsed <= minimum * 1.15, "\(elapsed) s against a minimum of \(minimum) s")
    }
}
