import LeadModel

/// Rate-limit figures from a response's `X-RateLimit-*` and `Retry-After` headers.
public struct RateLimitInfo: Sendable, Hashable {
    /// Calls allowed per window.
    public var limit: Int?
    /// Calls left in this window.
    public var remaining: Int?
    /// Unix time (seconds) when the window resets: the server's, as the header gives it; on this
    /// machine's clock once the client has read it (``ServerClock/local(_:)``).
    public var reset: Int64?
    /// Seconds to wait, from `Retry-After`.
    public var retryAfter: Double?

    public init(limit: Int? = nil, remaining: Int? = nil, reset: Int64? = nil, retryAfter: Double? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retryAfter = retryAfter
    }

    public var isEmpty: Bool { limit == nil && remaining == nil && reset == nil && retryAfter == nil }
}

/// One entry of Intercom's `error.list`.
public struct IntercomErrorItem: Sendable, Hashable {
    public var code: String
    public var message: String
    public var field: String?

    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }
}

/// A call to Intercom that did not succeed: the network failed, or Intercom said no.
public struct IntercomError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as far as deciding what to do next is concerned.
    public enum Kind: Sendable, Hashable {
        /// No connection could be made (refused, DNS, no route): the API is unreachable.
        case unreachable
        /// Connected, but no complete answer in time.
        case timeout
        /// The connection closed before the whole response arrived.
        case connectionLost
        /// Intercom answered with an error status.
        case http
        /// A success status with a body that is not what Intercom sends.
        case invalidResponse
        /// The caller cancelled the call.
        case cancelled
        /// leadsh could not put the request into the API's dialect; nothing was sent.
        case invalidRequest
        /// TLS refused the server: an untrusted, expired or misnamed certificate, or a failed
        /// handshake. A setting must change; retrying will not help.
        case tls
        /// The proxy refused to carry the call (407, 403, 502 to `CONNECT`). A setting must change.
        case proxy
    }

    public let kind: Kind
    /// The HTTP status, when Intercom answered.
    public let status: Int?
    /// Intercom's `errors[]`, when the body was an `error.list`.
    public let errors: [IntercomErrorItem]
    public let requestID: String?
    public let rateLimit: RateLimitInfo
    /// What happened, for people, when there is no Intercom message.
    public let detail: String

    public init(
        kind: Kind, status: Int? = nil, errors: [IntercomErrorItem] = [], requestID: String? = nil,
        rateLimit: RateLimitInfo = .init(), detail: String = ""
    ) {
        self.kind = kind
        self.status = status
        self.errors = errors
        self.requestID = requestID
        self.rateLimit = rateLimit
        self.detail = detail
    }

    /// Intercom's first error code, such as `not_found`.
    public var code: String? { errors.first?.code }
    /// Intercom's first error message.
    public var message: String? { errors.first?.message }

    /// True when the network, not Intercom, failed: the update should wait for the API.
    public var isUnreachable: Bool { kind == .unreachable || kind == .timeout }

    /// True when a setting (trust, proxy) must change before any call can succeed.
    public var isTransportRefusal: Bool { kind == .tls || kind == .proxy }

    /// One line for people: `404 not_found — Contact Not Found (merged, converted or deleted?)`.
    public var description: String {
        switch kind {
        case .unreachable: return "API unreachable: \(detail)"
        case .timeout: return "no answer from the API in time: \(detail)"
        case .connectionLost: return "the connection closed mid-response: \(detail)"
        case .cancelled: return "cancelled"
        case .invalidRequest: return detail
        case .tls, .proxy: return detail
        case .invalidResponse:
            return "unexpected response\(status.map { " (HTTP \($0))" } ?? ""): \(detail)"
        case .http:
            var text = status.map(String.init) ?? "HTTP error"
            if let first = errors.first {
                text += " \(first.code) — \(first.message)"
                if first.code == "contact_merged", let link = mergedInto { text += " (merged into \(link))" }
                if let field = first.field { text += " (field \(field))" }
                if errors.count > 1 { text += " (+\(errors.count - 1) more)" }
            } else if !detail.isEmpty {
                text += " — \(detail)"
            }
            if let hint { text += " (\(hint))" }
            return text
        }
    }

    /// Where a merged contact went, from a 410's `Link` header.
    public var mergedInto: String?

    /// Why the API is unreachable, in a few words with the address: `connection refused by api.intercom.io:443`.
    public var cause: String?

    /// Advice for statuses whose cause users commonly misread.
    public var hint: String? {
        if code == "intercom_version_invalid" {
            return
                "this workspace does not accept the API version leadsh sent; run leadsh with --api-version \(APIVersion.latestKnown) (or another version the workspace accepts)"
        }
        switch status {
        case 401: return "check INTERCOM_TOKEN or --token-file"
        case 403: return "the token lacks permission for this call"
        case 404: return "merged, converted or deleted?"
        case 410: return mergedInto == nil ? "the contact was merged into another" : "load the contact it was merged into and push again"
        case 429: return "rate limited"
        default: return nil
        }
    }
}
