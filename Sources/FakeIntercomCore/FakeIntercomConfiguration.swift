import LeadModel
import Logging

/// How a ``FakeIntercom`` listens, whom it lets in, and what it starts with.
public struct FakeIntercomConfiguration: Sendable {
    /// The address to bind; loopback by default.
    public var host: String
    /// The port to bind; 0 picks a free one, published as ``FakeIntercom/port`` after start.
    public var port: Int
    /// The token every request must present as `Authorization: Bearer <token>`.
    public var token: String
    /// The leads the fake knows at start, in order.
    public var leads: [Contact]
    /// How many authenticated requests a window allows, or nil for no limit.
    public var rateLimit: RateLimit?
    /// How long the fake waits before answering each request.
    public var delay: Duration
    /// Whether ``FakeIntercom/requests`` keeps what arrives; turn off for long benchmarks.
    public var recordsRequests: Bool
    /// Where the server logs; nil (the default) logs nothing.
    public var logger: Logger?
    /// The workspace's own API version (set in Intercom's Developer Hub), used by requests
    /// without an `Intercom-Version` header; the header overrides it. One of
    /// ``FakeIntercom/knownVersions``; 2.14 by default, as today's workspaces.
    public var appVersion: String
    /// Whether 1.x requests are answered; when false every request whose version is 1.x
    /// answers `400 intercom_version_invalid`, as on the day a workspace stops accepting 1.x.
    public var acceptsV1: Bool
    /// The workspace id: `app.id_code` in `GET /me`, `workspace_id` of 2.x contacts, `app_id` of new leads.
    public var appID: String
    /// The workspace name in `GET /me`.
    public var appName: String
    /// The contact data attributes `GET /data_attributes` lists; on 2.x only listed,
    /// unarchived custom attributes can be set.
    public var dataAttributes: [DataAttribute]
    /// Serve HTTPS with this certificate and key instead of plain HTTP; nil (the default) serves HTTP.
    public var tls: FakeTLS? = nil
    /// The clock of the rate-limit windows and of `updated_at`: tests pass TestSupport's `ManualClock`
    /// and move time forward instead of sleeping through a window.
    public var clock: any WallClock = SystemClock()

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        token: String = "test-token",
        leads: [Contact] = FakeWorkspace.sampleLeads,
        rateLimit: RateLimit? = nil,
        delay: Duration = .zero,
        recordsRequests: Bool = true,
        logger: Logger? = nil,
        appVersion: String = "2.14",
        acceptsV1: Bool = true,
        appID: String = "ja43hiec",
        appName: String = "Sandbox",
        dataAttributes: [DataAttribute] = DataAttribute.sampleAttributes
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.leads = leads
        self.rateLimit = rateLimit
        self.delay = delay
        self.recordsRequests = recordsRequests
        self.logger = logger
        self.appVersion = appVersion
        self.acceptsV1 = acceptsV1
        self.appID = appID
        self.appName = appName
        self.dataAttributes = dataAttributes
    }
}

/// A rate limit: at most `limit` authenticated requests per fixed `window`.
///
/// A window opens with the first request counted after the previous one ended,
/// and lasts `window`. `X-RateLimit-Reset` is its end in Unix seconds, rounded up.
public struct RateLimit: Sendable, Hashable {
    public var limit: Int
    public var window: Duration

    public init(limit: Int, window: Duration) {
        precondition(limit >= 0, "a rate limit cannot be negative")
        precondition(window > .zero, "a rate-limit window must be longer than zero")
        self.limit = limit
        self.window = window
    }

    /// Intercom's documented example: 167 calls per 10 seconds (1,000 a minute).
    public static let intercomExample = RateLimit(limit: 167, window: .seconds(10))

    /// The window as Intercom names it in its 429 message: `10_seconds`.
    var windowName: String {
        let (seconds, attoseconds) = window.components
        if attoseconds == 0 { return "\(seconds)_seconds" }
        return "\(Int64(window.seconds * 1000))_milliseconds"
    }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
