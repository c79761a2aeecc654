import AsyncHTTPClient
import Foundation
import LeadModel
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Sending one request: the HTTP exchange, its classification, and the `--verbose` record.
extension IntercomAPI {
    func send(method: HTTPMethod, path: String, body: String?) async throws(IntercomError) -> RawResponse {
        let url = configuration.endpoint.baseURL + path
        var headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(configuration.token)"), ("Accept", "application/json"),
        ]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        headers.append(("Intercom-Version", configuration.apiVersion.description))
        headers.append(("User-Agent", "leadsh/0.1"))
        let request = TransportRequest(method: method.rawValue, url: url, path: path, headers: headers, body: body.map { Array($0.utf8) })

        let clock = ContinuousClock()
        let started = clock.now
        var exchange = HTTPExchange(
            method: method.rawValue, url: url,
            requestHeaders: headers.map { ($0.name, $0.name.lowercased() == "authorization" ? "Bearer [redacted]" : $0.value) },
            requestBody: body, status: nil, responseHeaders: [], responseBody: nil, error: nil, duration: .zero
        )
        exchange.proxy = (transport as? HTTPTransport)?.route.proxy?.description
        defer {
            if let observer = configuration.observer {
                exchange.duration = clock.now - started
                observer(exchange)
            }
        }

        let response: TransportResponse
        let sentAt: Double
        do {
            try await waitForRateHold()
            sentAt = configuration.clock.now()
            response = try await transport.exchange(request, timeout: configuration.requestTimeout)
        } catch {
            exchange.error = error.description
            if error.isUnreachable { lastUnreachable.withLock { $0 = error.cause ?? fallbackCause(for: error) } }
            throw error
        }
        let receivedAt = configuration.clock.now()
        lastUnreachable.withLock { $0 = nil }
        exchange.status = response.status
        exchange.responseHeaders = response.headers.map { ($0.name, $0.value) }
        exchange.responseBody = String(decoding: response.body, as: UTF8.self)
        if let date = response.header("Date").flatMap(HTTPDate.parse) {
            rateHold.serverClock.learn(serverDate: date, sentAt: sentAt, receivedAt: receivedAt)
        }
        // From here on the reset is on this machine's clock: the hold, the replay's pacing and errors read it so.
        let rateLimit = rateHold.serverClock.local(IntercomAPI.rateLimit(from: response))
        rateHold.learn(status: response.status, rateLimit, now: receivedAt)
        return try IntercomAPI.interpret(response, rateLimit: rateLimit)
    }

    /// Why the API was unreachable when the transport did not say: the kind of failure and the address.
    private func fallbackCause(for error: IntercomError) -> String {
        let endpoint = configuration.endpoint
        let address = "\(endpoint.host):\(endpoint.port)"
        return error.kind == .timeout ? "no answer in time from \(address)" : "no connection to \(address)"
    }

    /// Server time minus this machine's, in seconds, as the answers' `Date` headers show it
    /// (0 under ``ServerClock/noise``; nil before the first answer).
    public var clockOffset: Double? { rateHold.serverClock.offset }

    /// Why the last call found the API unreachable, `connection refused by api.intercom.io:443`;
    /// nil once an answer came.
    public var unreachableCause: String? { lastUnreachable.withLock { $0 } }

    /// The latest time a call of this task may wait until for a rate-limit hold (a replay's
    /// deadline); past it the call fails unsent, as past `maxHoldWait`.
    @TaskLocal public static var holdDeadline: Double?

    /// Waits out the rate-limit hold; a hold longer than `maxHoldWait` (or past the task's
    /// ``holdDeadline``) fails the call as a 429 would, naming the reset, so that nothing is sent
    /// before it.
    func waitForRateHold() async throws(IntercomError) {
        let clock = configuration.clock
        // Again after each wait: another request may have met a later window meanwhile.
        while true {
            let hold = rateHold.current()
            guard hold > clock.now() else { return }
            // A replay waits no later than its own deadline (`sync --wait`), others up to maxHoldWait.
            let latest = min(clock.now() + configuration.maxHoldWait, IntercomAPI.holdDeadline ?? .infinity)
            if hold > latest {
                throw IntercomError(
                    kind: .http, status: 429,
                    errors: [IntercomErrorItem(code: "rate_limit_exceeded", message: "rate limited until the window resets")],
                    rateLimit: RateLimitInfo(remaining: 0, reset: Int64(hold.rounded(.up))))
            }
            do {
                try await clock.sleep(until: hold)
            } catch {
                throw IntercomError(kind: .cancelled, detail: "cancelled")
            }
        }
    }

    /// An answer as the client reads it: a success's body, or Intercom's error.
    /// - Parameter rateLimit: the answer's rate-limit figures with the reset on this machine's clock
    ///   (else read from the headers as they are).
    static func interpret(_ response: TransportResponse, rateLimit: RateLimitInfo? = nil) throws(IntercomError) -> RawResponse {
        let status = response.status
        let bytes = response.body
        let rateLimit = rateLimit ?? IntercomAPI.rateLimit(from: response)
        var requestID = response.header("X-Request-Id")
        if (200..<300).contains(status) {
            return RawResponse(status: status, body: bytes, rateLimit: rateLimit, requestID: requestID)
        }

        var items: [IntercomErrorItem] = []
        if let parsed = try? JSONText.parse(bytes), let object = parsed.objectValue {
            requestID = object["request_id"]?.stringValue ?? requestID
            for entry in object["errors"]?.arrayValue ?? [] {
                guard let entry = entry.objectValue else { continue }
                items.append(
                    IntercomErrorItem(
                        code: entry["code"]?.stringValue ?? "unknown",
                        message: entry["message"]?.stringValue ?? "",
                        field: entry["field"]?.stringValue
                    )
                )
            }
        }
        let detail = items.isEmpty ? HTTPResponseStatus(statusCode: status).reasonPhrase : ""
        var error = IntercomError(
            kind: .http, status: status, errors: items, requestID: requestID, rateLimit: rateLimit, detail: detail
        )
        if status == 410, let link = response.header("Link") {
            // `Link: </contacts/ID>; rel="..."` (or a full URL) names the contact it was merged into.
            var target = Substring(link)
            if let open = target.firstIndex(of: "<"), let close = target[open...].firstIndex(of: ">") {
                target = target[target.index(after: open)..<close]
            }
            error.mergedInto = String(target)
        }
        throw error
    }

    static func rateLimit(from response: TransportResponse) -> RateLimitInfo {
        var info = RateLimitInfo()
        info.limit = response.header("X-RateLimit-Limit").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        info.remaining = response.header("X-RateLimit-Remaining").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        info.reset = response.header("X-RateLimit-Reset").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        if let retry = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(retry), seconds.isFinite, seconds >= 0 {
                info.retryAfter = seconds
            } else if let date = IntercomAPI.httpDate(retry) {
                info.retryAfter = max(0, date.timeIntervalSinceNow)
            }
        }
        return info
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension CharacterSet {
    static let urlPathSegmentAllowed: CharacterSet = {
        var set = CharacterSet.urlPathAllowed
        set.remove("/")
        return set
    }()

    static let urlQueryValueAllowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+#")
        return set
    }()
}
