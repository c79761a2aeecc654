import FakeIntercom
import Foundation
import IntercomClient
import LeadModel
import LeadshApp
import TestSupport
import Testing

/// `X-RateLimit-Reset` is a time on Intercom's clock: leadsh reads it through the offset the
/// answers' `Date` headers show, so a machine whose clock is wrong neither bursts into 429s nor
/// waits a minute per window. All in virtual time: the fake's clock is the client's plus a skew.
@Suite("A clock that can be wrong: the server's offset from the Date header")
struct ClockOffsetTests {
    /// Not on a whole second, so the first `Date` already places the offset within a second.
    static let start = 1_800_000_000.25

    /// `sync` then `status` in one process, against a fake in memory whose clock is `skew`
    /// seconds ahead of leadsh's (negative: behind) and which allows `limit` calls per `window`.
    static func skewedSync(skew: Double, count: Int = 100, limit: Int = 20, window: Double = 10) async throws
        -> (run: ProcessResult, elapsed: Double, extraRequests: Int)
    {
        let clock = JumpingClock(start: start)
        var configuration = FakeIntercomConfiguration(rateLimit: RateLimit(limit: limit, window: .seconds(window)))
        configuration.dataAttributes += testAttributes
        configuration.clock = OffsetClock(clock, offset: skew)
        let workspace = FakeWorkspace(configuration: configuration)
        let home = TempDirectory("leadsh-clock")
        let journal = home.file("journal.sqlite")
        _ = try journalUpdates(journal, count: count, leads: allSampleIDs)
        let run = await leadshInProcess(
            ["--base-url", "https://api.intercom.test", "--journal", journal, "--wait", "3600", "-c", "sync", "-c", "status"],
            environment: leadshEnvironment(home: home.path, token: configuration.token),
            transport: InMemoryTransport(workspace: workspace, clock: clock), clock: clock)
        // Every update is sent once when none meets a 429; each 429 sends one request again.
        let updates = workspace.requests.filter { $0.path != "/me" }.count
        let appChecks = workspace.requests.filter { $0.path == "/me" }.count
        return (run, clock.now() - start, (updates - count) + max(0, appChecks - 1))
    }

    @Test(
        "Intercom's clock 60 s ahead or behind: the paced replay meets no 429 storm and waits at most a window longer than with clocks that agree (virtual time)",
        arguments: [60.0, -60.0])
    func pacingWithSkew(skew: Double) async throws {
        let window = 10.0
        let agreed = try await Self.skewedSync(skew: 0, window: window)
        #expect(agreed.run.status == 0, "\(agreed.run.stderr)")
        let skewed = try await Self.skewedSync(skew: skew, window: window)
        #expect(skewed.run.status == 0, "\(skewed.run.stderr)")
        #expect(skewed.run.stdout.contains("sent 100, pending 0"), "\(skewed.run.stdout)")
        #expect(skewed.extraRequests <= 1, "at most one 429, not a storm: \(skewed.extraRequests) requests sent again")
        #expect(
            skewed.elapsed <= agreed.elapsed + window,
            "\(skewed.elapsed) s with Intercom's clock \(skew) s off, \(agreed.elapsed) s with clocks that agree")
        // Without the offset, 60 s ahead waits a minute per window; 60 s behind bursts into 429s.
        #expect(skewed.elapsed >= Double(100 / 20 - 1) * window, "\(skewed.elapsed) s: the limit was not respected")
    }

    @Test("status names the offset once it is over 5 s: local clock 60 s behind Intercom, or ahead of it; nothing when the clocks agree")
    func statusShowsOffset() async throws {
        let ahead = try await Self.skewedSync(skew: 60, count: 3)
        #expect(ahead.run.stdout.contains("clock       local clock 60 s behind Intercom"), "\(ahead.run.stdout)")
        let behind = try await Self.skewedSync(skew: -60, count: 3)
        #expect(behind.run.stdout.contains("clock       local clock 60 s ahead of Intercom"), "\(behind.run.stdout)")
        let small = try await Self.skewedSync(skew: 3, count: 3)
        #expect(!small.run.stdout.contains("clock  "), "3 s is not shown: \(small.run.stdout)")
        let agreed = try await Self.skewedSync(skew: 0, count: 3)
        #expect(!agreed.run.stdout.contains("clock  "), "\(agreed.run.stdout)")
    }

    @Test("status --json gives clock_offset always: null before any answer, the offset in seconds after one, 0 under 2 s")
    func statusJSONOffset() async throws {
        let clock = JumpingClock(start: Self.start)
        var configuration = FakeIntercomConfiguration()
        configuration.clock = OffsetClock(clock, offset: -75)
        let workspace = FakeWorkspace(configuration: configuration)
        let home = TempDirectory("leadsh-clock-json")
        let run = await leadshInProcess(
            [
                "--base-url", "https://api.intercom.test", "--journal", home.file("journal.sqlite"), "--json", "-c", "status", "-c", "load \(obrien)", "-c",
                "status",
            ],
            environment: leadshEnvironment(home: home.path, token: configuration.token),
            transport: InMemoryTransport(workspace: workspace, clock: clock), clock: clock)
        #expect(run.status == 0, "\(run.stderr)")
        let statuses = try strictJSONLines(run.stdout).filter { $0["mode"] != nil }
        #expect(statuses.count == 2, "\(run.stdout)")
        #expect(statuses.first?["clock_offset"] == .null, "no answer yet: \(run.stdout)")
        #expect(statuses.last?["clock_offset"] == .integer(-75), "\(run.stdout)")
    }
}

@Suite("HTTP dates and the server clock estimate")
struct ServerClockTests {
    @Test("IMF-fixdate round trip, and text that is not one is refused")
    func httpDate() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.format(784_111_777.9) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(1_800_000_000) == "Fri, 15 Jan 2027 08:00:00 GMT")
        #expect(HTTPDate.parse(HTTPDate.format(1_800_000_000)) == 1_800_000_000)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
    }

    @Test("the reset is read on this machine's clock, never earlier than the server's window ends; a clock set meanwhile starts the estimate again")
    func resetCorrection() {
        let clock = ServerClock()
        #expect(clock.offset == nil)
        // Server 60.4 s ahead: Date is whole seconds.
        for local in [1000.0, 1000.3, 1000.7, 1001.1] {
            clock.learn(serverDate: (local + 60.4).rounded(.down), sentAt: local, receivedAt: local)
        }
        let offset = try! #require(clock.offset)
        #expect(abs(offset - 60.4) < 0.5)
        // Reset at server time 2000 is local 1939.6: never earlier.
        let local = clock.local(RateLimitInfo(remaining: 0, reset: 2000)).reset!
        #expect(local >= 1940 && local <= 1941, "\(local)")
        // The clock was set: the server now agrees within noise.
        clock.learn(serverDate: 5000, sentAt: 5000.2, receivedAt: 5000.2)
        #expect(clock.offset == 0)
        #expect(clock.local(RateLimitInfo(reset: 6000)).reset == 6000)
    }
}
