/// A request or an answer: header fields looked up by name.
public protocol HeaderFields {
    var headers: [(name: String, value: String)] { get }
}

extension HeaderFields {
    /// The first header field with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// One request as leadsh sends it, before any transport carries it.
public struct TransportRequest: Sendable, HeaderFields {
    /// `GET`, `POST`, `PUT`, …
    public var method: String
    /// The whole URL (`https://api.intercom.io/contacts/ID`).
    public var url: String
    /// The path and query below the base URL (`/contacts?user_id=7`).
    public var path: String
    /// The header fields, `Authorization` included (a transport never logs them).
    public var headers: [(name: String, value: String)]
    /// The JSON body, or nil.
    public var body: [UInt8]?

    public init(method: String, url: String, path: String, headers: [(name: String, value: String)], body: [UInt8]?) {
        self.method = method
        self.url = url
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// What came back: the status, the header fields and the whole body.
public struct TransportResponse: Sendable, HeaderFields {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What carries a request to Intercom and its answer back: the seam between the client
/// (which builds requests and reads answers) and the network.
///
/// Two implementations: ``HTTPTransport`` (AsyncHTTPClient: sockets, TLS, proxies), and an
/// in-memory one in `FakeIntercomCore` that hands each request to the fake's logic directly,
/// for the simulator and tests that need no socket. Whatever carries it, every answer is read
/// by ``IntercomAPI`` and every failure decided by the one failure policy (`FailurePolicy`).
public protocol IntercomTransport: Sendable {
    /// Sends one request and waits for the whole answer, at most `timeout`.
    ///
    /// - Throws: `IntercomError` of kind `.unreachable`, `.timeout`, `.connectionLost`,
    ///   `.tls`, `.proxy` or `.cancelled`; an HTTP error status is an answer, not a throw.
    func exchange(_ request: TransportRequest, timeout: Duration) async throws(IntercomError) -> TransportResponse

    /// Closes connections; called once, when the client is done.
    func shutdown() async
}
