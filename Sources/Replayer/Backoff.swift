/// When to try again after a retryable failure: full jitter over an exponential ceiling.
public struct Backoff: Sendable, Hashable {
    /// The first ceiling, in seconds.
    public var base: Double
    /// The largest ceiling, in seconds (10 minutes).
    public var cap: Double
    /// Attempts after which a retryable failure becomes `failed`.
    public var maxAttempts: Int

    public init(base: Double = 1, cap: Double = 600, maxAttempts: Int = 8) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The ceiling of the wait after the given attempt (1-based): base, 2 base, 4 base, … up to cap.
    public func ceiling(afterAttempt attempt: Int) -> Double {
        let exponent = max(0, min(attempt - 1, 30))
        return min(cap, base * Double(1 << exponent))
    }

    /// A wait drawn uniformly from zero to the ceiling ("full jitter").
    public func delay(afterAttempt attempt: Int, jitter: any JitterSource) -> Double {
        ceiling(afterAttempt: attempt) * jitter.unit()
    }

}
