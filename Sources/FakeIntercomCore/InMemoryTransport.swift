import Foundation
import IntercomClient
import LeadModel
import Synchronization

/// Hands each request to a ``FakeWorkspace`` directly: no socket, no HTTP server, no event
/// loop. The client reads the answer exactly as it reads one that came over HTTP.
///
/// A delayed answer waits on the workspace's clock; a hanging one waits the request's
/// timeout on that clock and fails as a timeout; a cut one takes effect and fails as a
/// lost connection, as over HTTP. `isReachable` false refuses every request, as a closed port.
public final class InMemoryTransport: IntercomTransport {
    public let workspace: FakeWorkspace
    private let clock: any WallClock
    private let reachable = Mutex(true)

    public init(workspace: FakeWorkspace, clock: (any WallClock)? = nil) {
        self.workspace = workspace
        self.clock = clock ?? workspace.configuration.clock
    }

    /// Whether requests reach the workspace; false answers every one "connection refused".
    public var isReachable: Bool {
        get { reachable.withLock { $0 } }
        set { reachable.withLock { $0 = newValue } }
    }

    public func exchange(_ request: TransportRequest, timeout: Duration) async throws(IntercomClient.IntercomError) -> TransportResponse {
        guard isReachable else {
            var refused = IntercomClient.IntercomError(
                kind: .unreachable, detail: "cannot connect to \(InMemoryTransport.host(of: request.url)) (connection refused)")
            refused.cause = "connection refused by \(InMemoryTransport.address(of: request.url))"
            throw refused
        }
        let answer = workspace.respond(to: InMemoryTransport.recorded(request, at: clock.now()))
        let limit = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let delay = Double(answer.delay.components.seconds) + Double(answer.delay.components.attoseconds) / 1e18
        if answer.delivery == .never || delay > limit {
            try await wait(limit)
            throw IntercomClient.IntercomError(kind: .timeout, detail: "timed out")
        }
        if delay > 0 { try await wait(delay) }
        if answer.delivery == .cutMidway {
            throw IntercomClient.IntercomError(kind: .connectionLost, detail: "connection closed by the server")
        }
        var headers: [(name: String, value: String)] = [("Content-Type", answer.contentType)]
        headers.append(contentsOf: answer.headers.map { (name: $0.0, value: $0.1) })
        return TransportResponse(status: answer.status, headers: headers, body: Array(answer.body.utf8))
    }

    public func shutdown() async {}

    /// Waits on the clock; a cancelled wait is a cancelled call.
    private func wait(_ seconds: Double) async throws(IntercomClient.IntercomError) {
        do {
            try await clock.sleep(seconds: seconds)
        } catch {
            throw IntercomClient.IntercomError(kind: .cancelled, detail: "cancelled")
        }
    }

    /// The request as the fake records it: path and query split, headers as sent.
    static func recorded(_ request: TransportRequest, at now: Double) -> RecordedRequest {
        var path = Substring(request.path)
        var query: String?
        if let mark = path.firstIndex(of: "?") {
            query = String(path[path.index(after: mark)...])
            path = path[..<mark]
        }
        return RecordedRequest(
            method: request.method, path: String(path), rawQuery: query,
            headers: [("Host", host(of: request.url))] + request.headers, body: request.body ?? [],
            receivedAt: Date(timeIntervalSince1970: now))
    }

    /// `host:port` of a URL with the scheme's port when it names none, as a connection sees it.
    static func address(of url: String) -> String {
        let host = host(of: url)
        if host.hasSuffix("]") || !host.contains(":") { return host + (url.hasPrefix("http://") ? ":80" : ":443") }
        return host
    }

    /// `host:port` of a URL, for the `Host` field and messages.
    static func host(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        return String(rest.prefix { $0 != "/" })
    }
}
