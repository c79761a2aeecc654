import Foundation
import LeadModel
import Synchronization

/// What the fake knows and has seen, shared by the HTTP server and the test that drives it.
///
/// Everything lives behind one lock, held only for bookkeeping: JSON is parsed and
/// written outside it.
final class Backend: Sendable {
    let token: String
    private let state: Mutex<State>

    struct State: Sendable {
        var store: LeadStore
        var requests: [RecordedRequest] = []
        var recordsRequests: Bool
        /// Pending faults, oldest first.
        var faults: [Fault] = []
        var delay: Duration
        var rateLimit: RateLimit?
        var window: RateWindow?
    }

    /// The rate-limit window in progress, in Unix seconds.
    struct RateWindow: Sendable {
        var end: Double
        var count: Int
    }

    init(configuration: FakeIntercomConfiguration) {
        token = configuration.token
        state = Mutex(
            State(
                store: LeadStore(configuration.leads),
                recordsRequests: configuration.recordsRequests,
                delay: configuration.delay,
                rateLimit: configuration.rateLimit))
    }

    // MARK: Server-side state

    func lead(id: String) -> Contact? { state.withLock { $0.store.lead(id: id) } }
    func lead(userID: String) -> Contact? { state.withLock { $0.store.lead(userID: userID) } }
    var allLeads: [Contact] { state.withLock { $0.store.leads } }

    func edit(leadID: String, _ changes: FieldChanges, now: Date) -> Contact? {
        state.withLock { $0.store.edit(id: leadID, changes, now: Int64(now.timeIntervalSince1970)) }
    }

    func insert(_ lead: Contact) { state.withLock { $0.store.insert(lead) } }
    func removeLead(id: String) -> Contact? { state.withLock { $0.store.remove(id: id) } }

    // MARK: Requests and faults

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    func clearRequests() { state.withLock { $0.requests.removeAll() } }

    func inject(_ fault: Fault, times: Int) {
        state.withLock { $0.faults.append(contentsOf: repeatElement(fault, count: max(0, times))) }
    }

    var pendingFaults: [Fault] { state.withLock { $0.faults } }
    func clearFaults() { state.withLock { $0.faults.removeAll() } }

    func setDelay(_ delay: Duration) { state.withLock { $0.delay = delay } }

    func setRateLimit(_ limit: RateLimit?) {
        state.withLock {
            $0.rateLimit = limit
            $0.window = nil
        }
    }

    /// Records a request as it arrives; returns how long to wait and the fault it draws, if any.
    ///
    /// Only requests to `/contacts` and below draw faults.
    func receive(_ request: RecordedRequest) -> (delay: Duration, fault: Fault?) {
        let drawsFault = request.path == "/contacts" || request.path.hasPrefix("/contacts/")
        return state.withLock { state in
            if state.recordsRequests { state.requests.append(request) }
            let fault = drawsFault && !state.faults.isEmpty ? state.faults.removeFirst() : nil
            return (state.delay, fault)
        }
    }

    // MARK: Answering

    /// What a request gets, before it becomes JSON.
    enum Outcome {
        case contact(Contact)
        case admin
    }

    /// Answers a request as Intercom would: authentication, rate limit, then the call itself.
    func answer(_ request: RecordedRequest, now: Date) -> Reply {
        guard isAuthorized(request) else { return Reply(error: .unauthorized) }
        let (result, rateHeaders): (Result<Outcome, IntercomError>, [(String, String)]) = state.withLock { state in
            var headers: [(String, String)] = []
            if let limit = state.rateLimit {
                let allowed: Bool
                (allowed, headers) = state.count(at: now.timeIntervalSince1970, within: limit)
                if !allowed { return (.failure(.rateLimitExceeded(limit)), headers) }
            }
            do throws(IntercomError) {
                return (.success(try state.route(request, now: Int64(now.timeIntervalSince1970))), headers)
            } catch {
                return (.failure(error), headers)
            }
        }
        var reply: Reply
        switch result {
        case .success(.contact(let contact)): reply = Reply(status: 200, json: contact.json)
        case .success(.admin): reply = Reply(status: 200, json: Self.adminJSON)
        case .failure(let error): reply = Reply(error: error)
        }
        reply.headers.append(contentsOf: rateHeaders)
        return reply
    }

    /// The answer to a `rateLimited` fault: the configured limit (else Intercom's example), none remaining.
    func rateLimitedReply(retryAfter: Int?, withHeaders: Bool, now: Date) -> Reply {
        let limit = state.withLock { $0.rateLimit } ?? .intercomExample
        var reply = Reply(error: .rateLimitExceeded(limit))
        if let retryAfter { reply.headers.append(("Retry-After", String(retryAfter))) }
        if withHeaders {
            let wait = retryAfter.map(Double.init) ?? limit.window.seconds
            reply.headers.append(contentsOf: [
                ("X-RateLimit-Limit", String(limit.limit)),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", String(Int64((now.timeIntervalSince1970 + wait).rounded(.up)))),
            ])
        }
        return reply
    }

    func isAuthorized(_ request: RecordedRequest) -> Bool {
        guard let value = request.header("Authorization") else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer"
            && parts[1].trimmingCharacters(in: .whitespaces) == token
    }

    static let adminJSON = JSONText.serialize([
        "type": "admin", "id": "991267", "name": "Sandbox Admin", "email": "admin@example.com",
    ])
}

extension Backend.State {
    /// Counts a request against the limit; returns whether it may pass and the `X-RateLimit-*` headers.
    mutating func count(at now: Double, within limit: RateLimit) -> (Bool, [(String, String)]) {
        var current = window ?? Backend.RateWindow(end: 0, count: 0)
        if now >= current.end {
            // Windows start on a whole second, as Intercom's do, so `X-RateLimit-Reset`
            // (whole seconds) is the exact moment the next window opens.
            let seconds = limit.window.seconds
            let start = seconds == seconds.rounded() ? now.rounded(.down) : now
            current = Backend.RateWindow(end: start + seconds, count: 0)
        }
        current.count += 1
        window = current
        let headers = [
            ("X-RateLimit-Limit", String(limit.limit)),
            ("X-RateLimit-Remaining", String(max(0, limit.limit - current.count))),
            ("X-RateLimit-Reset", String(Int64(current.end.rounded(.up)))),
        ]
        return (current.count <= limit.limit, headers)
    }

    /// The call itself, once the request is authenticated and within the limit.
    mutating func route(_ request: RecordedRequest, now: Int64) throws(IntercomError) -> Backend.Outcome {
        var path = request.path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        switch (request.method, path) {
        case ("GET", "/me"):
            return .admin
        case ("GET", "/contacts"):
            if let userID = request.queryValue("user_id"), !userID.isEmpty {
                guard let lead = store.lead(userID: userID) else { throw .contactNotFound }
                return .contact(lead)
            }
            if let id = request.queryValue("id"), !id.isEmpty {
                guard let lead = store.lead(id: id) else { throw .contactNotFound }
                return .contact(lead)
            }
            throw IntercomError(status: 400, code: "parameter_not_found", message: "No id or user_id parameter given")
        case ("POST", "/contacts"):
            let body: JSONObject
            switch request.bodyJSON {
            case .object(let object)?: body = object
            case nil where request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }):
                body = JSONObject()
            case nil: throw .badRequest("Invalid JSON in request body")
            case _?: throw .badRequest("The request body must be a JSON object")
            }
            return .contact(try store.post(body, now: now))
        case ("GET", _) where path.hasPrefix("/contacts/"):
            let id = RecordedRequest.percentDecode(path.dropFirst("/contacts/".count), plusIsSpace: false)
            guard !id.contains("/"), let lead = store.lead(id: id) else { throw .contactNotFound }
            return .contact(lead)
        default:
            throw .resourceNotFound
        }
    }
}

/// An answer ready to send: status, extra headers, and a body with its content type.
struct Reply: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var contentType = "application/json; charset=utf-8"
    var body: String

    init(status: Int, json: String) {
        self.status = status
        self.body = json
    }

    init(status: Int, contentType: String, body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    init(error: IntercomError) {
        self.init(status: error.status, json: error.body)
    }
}
