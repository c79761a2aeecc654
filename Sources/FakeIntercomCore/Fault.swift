/// A failure the fake answers with instead of the normal response, queued by ``FakeIntercom/inject(_:times:)``.
public enum Fault: Sendable, Hashable {
    /// An Intercom error: the status, and an `error.list` body with this code, message and optional field.
    case status(Int, code: String, message: String, field: String? = nil)
    /// `429 rate_limit_exceeded`, with `Retry-After` when given, and the `X-RateLimit-*`
    /// headers (remaining 0) when `withHeaders` is true.
    case rateLimited(retryAfter: Int?, withHeaders: Bool)
    /// Processes the request, then sends the head with the full `Content-Length`, part of
    /// the body, and closes the connection.
    ///
    /// The request takes effect (an update is applied); only its answer is lost.
    case dropMidResponse
    /// Accepts the request and never answers; the connection closes at
    /// ``FakeIntercom/stopListening()`` or ``FakeIntercom/shutdown()``.
    case hang
    /// A body that is not JSON (`<html>…oops…</html>`, `text/html`) with the given status.
    case nonJSON(status: Int)

    /// `500 server_error`.
    public static let serverError = Fault.status(500, code: "server_error", message: "Server Error")
    /// `502` with Intercom's `server_error` body, as a failing proxy would send.
    public static let badGateway = Fault.status(502, code: "server_error", message: "Bad Gateway")
    /// `503 service_unavailable`, which Intercom also sends for global rate limiting.
    public static let serviceUnavailable = Fault.status(
        503, code: "service_unavailable", message: "Sorry, the API service is temporarily unavailable")
    /// `409 conflict`, as when a contact with the same details already exists.
    public static let conflict = Fault.status(
        409, code: "conflict", message: "A contact matching those details already exists")
}
