import Synchronization

/// How far the server's clock is from this machine's, learnt from each answer's `Date` header,
/// so that `X-RateLimit-Reset` (a Unix time on the server's clock) is waited for on ours.
///
/// `Date` has whole seconds, so one answer only bounds the offset: the server read its clock at
/// some instant between sending and receiving, and its reading lies in `[Date, Date + 1)`.
/// The estimate keeps the intersection of these bounds over the answers (the smallest error any
/// of them allows); an answer outside it (a clock was set) starts again from that answer alone.
public final class ServerClock: Sendable {
    /// Offsets smaller than this are the `Date` header's rounding and the round trip: ignored.
    public static let noise = 2.0

    private struct Bounds {
        var low: Double
        var high: Double
    }

    private let bounds = Mutex<Bounds?>(nil)

    public init() {}

    /// Learns from one answer: the server's `Date` (Unix seconds) and, on this machine's clock,
    /// when the request left and when its answer came back.
    public func learn(serverDate: Double, sentAt: Double, receivedAt: Double) {
        let sample = Bounds(low: serverDate - max(sentAt, receivedAt), high: serverDate + 1 - min(sentAt, receivedAt))
        bounds.withLock { bounds in
            guard let current = bounds else {
                bounds = sample
                return
            }
            let low = max(current.low, sample.low)
            let high = min(current.high, sample.high)
            bounds = low <= high ? Bounds(low: low, high: high) : sample
        }
    }

    /// Server time minus local time, in seconds: 0 when under ``noise``, nil before any `Date`.
    public var offset: Double? {
        guard let bounds = bounds.withLock({ $0 }) else { return nil }
        let middle = (bounds.low + bounds.high) / 2
        return abs(middle) < ServerClock.noise ? 0 : middle
    }

    /// What to subtract from a server time to wait for it locally: the lowest offset the answers
    /// allow, so a reset is never waited for early (at most a second late); 0 under ``noise``.
    public var correction: Double {
        guard let bounds = bounds.withLock({ $0 }) else { return 0 }
        return abs((bounds.low + bounds.high) / 2) < ServerClock.noise ? 0 : bounds.low
    }

    /// `info` with its `X-RateLimit-Reset` moved from the server's clock to this machine's.
    public func local(_ info: RateLimitInfo) -> RateLimitInfo {
        let correction = correction
        guard correction != 0, let reset = info.reset else { return info }
        var local = info
        local.reset = Int64((Double(reset) - correction).rounded(.up))
        return local
    }
}
