import LeadModel

/// Another machine's clock: `base`'s time plus a fixed offset, waiting on `base`. Give it to the
/// fake (`FakeIntercomConfiguration.clock`) to run a server whose clock is ahead or behind.
public struct OffsetClock: WallClock {
    public let base: any WallClock
    /// Seconds this clock is ahead of `base` (negative: behind).
    public let offset: Double

    public init(_ base: any WallClock, offset: Double) {
        self.base = base
        self.offset = offset
    }

    public func now() -> Double { base.now() + offset }

    public func sleep(until time: Double) async throws {
        try await base.sleep(until: time - offset)
    }
}
