import FakeIntercomCore
import IntercomClient
import LeadModel

/// The network between leadsh and the simulated Intercom: it carries each request to the fake
/// workspace in memory, unless the schedule queued a fault for it, and tells the world what
/// crossed.
final class SimNetwork: IntercomTransport {
    let world: World
    let clock: SimClock
    let intercom: InMemoryTransport

    init(world: World, clock: SimClock, workspace: FakeWorkspace) {
        self.world = world
        self.clock = clock
        intercom = InMemoryTransport(workspace: workspace, clock: clock)
    }

    func exchange(_ request: TransportRequest, timeout: Duration) async throws(IntercomError) -> TransportResponse {
        if world.event("\(request.method) \(request.path)") {
            throw IntercomError(kind: .unreachable, detail: "the process is gone")
        }
        world.issued(request)
        switch world.nextFault() {
        case .refuse?:
            throw IntercomError(kind: .unreachable, detail: "cannot connect to sim:443 (connection refused)")
        case .hang?:
            do {
                try await clock.sleep(seconds: Double(timeout.components.seconds))
            } catch {
                throw IntercomError(kind: .cancelled, detail: "cancelled")
            }
            throw IntercomError(kind: .timeout, detail: "timed out")
        case .appliedHang?:
            let response = try await intercom.exchange(request, timeout: timeout)
            world.appliedIfUpdate(request, status: response.status)
            do {
                try await clock.sleep(seconds: Double(timeout.components.seconds))
            } catch {
                throw IntercomError(kind: .cancelled, detail: "cancelled")
            }
            throw IntercomError(kind: .timeout, detail: "timed out")
        case .status(let status, let resetIn, let retryAfter)?:
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
            if let resetIn {
                headers += [
                    ("X-RateLimit-Limit", "167"), ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", String(Int64(world.now.rounded(.up)) + Int64(resetIn))),
                ]
            }
            if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            let code = SimNetwork.codes[status] ?? "server_error"
            let body = #"{"type":"error.list","request_id":"sim","errors":[{"code":"\#(code)","message":"simulated \#(status)"}]}"#
            let response = TransportResponse(status: status, headers: headers, body: Array(body.utf8))
            world.received(response, for: request, injected: true)
            return response
        case .cut?:
            let response = try await intercom.exchange(request, timeout: timeout)
            world.appliedIfUpdate(request, status: response.status)
            throw IntercomError(kind: .connectionLost, detail: "connection closed by the server")
        case nil:
            let response = try await intercom.exchange(request, timeout: timeout)
            world.appliedIfUpdate(request, status: response.status)
            world.received(response, for: request, injected: false)
            return response
        }
    }

    func shutdown() async {}

    /// Intercom's error codes for the statuses a schedule injects.
    static let codes: [Int: String] = [
        400: "parameter_invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 408: "request_timeout",
        409: "conflict", 410: "gone", 422: "unprocessable_entity", 429: "rate_limit_exceeded", 500: "server_error",
        502: "server_error", 503: "service_unavailable",
    ]
}
