/// Random numbers for jitter, injectable for deterministic tests.
public protocol JitterSource: Sendable {
    /// A number in `0..<1`.
    func unit() -> Double
}

public struct SystemJitter: JitterSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}
