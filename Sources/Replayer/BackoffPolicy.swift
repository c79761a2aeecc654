/// How long to wait before trying again: one policy type for every wait leadsh makes
/// after something did not work, each with its own parameters:
/// - ``replayRetry``: an update whose send failed in a retryable way (full jitter, 1 s doubling to 10 minutes, 8 attempts);
/// - ``rateLimit``: a 429 that named no window (1 s doubling to a minute, plus a little jitter);
/// - ``probe``: asking an unreachable API again (2 s growing x1.5 to 5 minutes, no jitter).
public struct BackoffPolicy: Sendable, Hashable {
    /// How the wait is randomised so that many clients do not retry in step.
    public enum Jitter: Sendable, Hashable {
        /// Exactly the ceiling.
        case none
        /// Uniform from zero to the ceiling ("full jitter").
        case full
        /// The ceiling plus `fixed` plus up to `spread` seconds.
        case added(fixed: Double, spread: Double)
    }

    /// The first ceiling, in seconds.
    public var base: Double
    /// What each further attempt multiplies the ceiling by.
    public var factor: Double
    /// The largest ceiling, in seconds.
    public var cap: Double
    public var jitter: Jitter
    /// Attempts after which a retryable failure becomes final (`failed`); nil: no limit.
    public var maxAttempts: Int?

    public init(base: Double, factor: Double = 2, cap: Double, jitter: Jitter = .none, maxAttempts: Int? = nil) {
        self.base = base
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
        self.maxAttempts = maxAttempts
    }

    /// An update's send failed in a way worth retrying (5xx, a dropped connection).
    public static let replayRetry = BackoffPolicy(base: 1, factor: 2, cap: 600, jitter: .full, maxAttempts: 8)
    /// Intercom answered 429 without `Retry-After` or `X-RateLimit-Reset`.
    public static let rateLimit = BackoffPolicy(base: 1, factor: 2, cap: 60, jitter: .added(fixed: 0.05, spread: 0.25))
    /// The API did not answer: the shell asks again, less and less often.
    public static let probe = BackoffPolicy(base: 2, factor: 1.5, cap: 300)

    /// The ceiling of the wait after the given attempt (1-based): base, base x factor, … up to cap.
    public func ceiling(afterAttempt attempt: Int) -> Double {
        var value = base
        var step = 1
        while step < attempt && value < cap {
            value *= factor
            step += 1
        }
        return min(cap, value)
    }

    /// The wait after the given attempt (1-based), with this policy's jitter.
    public func delay(afterAttempt attempt: Int, jitter source: any JitterSource = SystemJitter()) -> Double {
        let ceiling = ceiling(afterAttempt: attempt)
        switch jitter {
        case .none: return ceiling
        case .full: return ceiling * source.unit()
        case .added(let fixed, let spread): return ceiling + fixed + spread * source.unit()
        }
    }

    /// The part of an `.added` jitter alone, for a wait whose length came from elsewhere
    /// (a 429's `Retry-After`); zero for the other kinds.
    public func addedJitter(_ source: any JitterSource = SystemJitter()) -> Double {
        guard case .added(let fixed, let spread) = jitter else { return 0 }
        return fixed + spread * source.unit()
    }

    /// Whether the given number of attempts used up the policy.
    public func isExhausted(afterAttempts attempts: Int) -> Bool {
        maxAttempts.map { attempts >= $0 } ?? false
    }
}
