import Foundation
import LeadModel
import Synchronization

/// What the fake knows and has seen, shared by the HTTP server and the test that drives it.
///
/// Everything lives behind one lock, held only for bookkeeping: JSON is parsed and
/// written outside it.
final class Backend: Sendable {
    let token: String
    /// The workspace: `app.id_code` and `app.name` in `/me`, `workspace_id` of 2.x contacts.
    let appID: String
    let appName: String
    /// The clock of rate windows and edit times.
    let clock: any WallClock
    private let state: Mutex<State>

    /// Now, as the fake's clock tells it.
    func now() -> Date { Date(timeIntervalSince1970: clock.now()) }

    struct State: Sendable {
        var store: LeadStore
        var requests: [RecordedRequest] = []
        var recordsRequests: Bool
        /// Pending faults, oldest first.
        var faults: [Fault] = []
        /// Pending faults for `GET /me`, oldest first (the app check and the probe).
        var meFaults: [Fault] = []
        var delay: Duration
        var rateLimit: RateLimit?
        var window: RateWindow?
        /// The version requests without `Intercom-Version` run on.
        var appVersion: APIVersion
        var acceptsV1: Bool
        var attributes: [DataAttribute]
        let appID: String
        /// The workspace's tags (`GET /tags`); leads carry theirs in their own `tags`.
        var tags = TagList()
        /// Every contact's notes.
        var notes = NoteBook()
    }

    /// The rate-limit window in progress, in Unix seconds.
    struct RateWindow: Sendable {
        var end: Double
        var count: Int
    }

    init(configuration: FakeIntercomConfiguration) {
        guard let appVersion = APIVersion(configuration.appVersion) else {
            preconditionFailure("FakeIntercom: unknown appVersion \(configuration.appVersion)")
        }
        token = configuration.token
        clock = configuration.clock
        appID = configuration.appID
        appName = configuration.appName
        var store = LeadStore(configuration.leads)
        store.appID = configuration.appID
        state = Mutex(
            State(
                store: store,
                recordsRequests: configuration.recordsRequests,
                delay: configuration.delay,
                rateLimit: configuration.rateLimit,
                appVersion: appVersion,
                acceptsV1: configuration.acceptsV1,
                attributes: configuration.dataAttributes,
                appID: configuration.appID))
    }

    // MARK: The workspace

    var appVersion: String { state.withLock { $0.appVersion.name } }

    func setAppVersion(_ version: String) {
        guard let parsed = APIVersion(version) else { preconditionFailure("FakeIntercom: unknown version \(version)") }
        state.withLock { $0.appVersion = parsed }
    }

    var acceptsV1: Bool { state.withLock { $0.acceptsV1 } }
    func setAcceptsV1(_ accepts: Bool) { state.withLock { $0.acceptsV1 = accepts } }

    var dataAttributes: [DataAttribute] { state.withLock { $0.attributes } }
    func setDataAttributes(_ attributes: [DataAttribute]) { state.withLock { $0.attributes = attributes } }

    func addDataAttribute(_ attribute: DataAttribute) {
        state.withLock { state in
            let index = state.attributes.firstIndex { $0.name == attribute.name && $0.custom == attribute.custom }
            if let index {
                state.attributes[index] = attribute
            } else {
                state.attributes.append(attribute)
            }
        }
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
    func merge(leadID: String, into targetID: String) -> Contact? {
        state.withLock { $0.store.merge(id: leadID, into: targetID) }
    }
    func role(ofLead id: String) -> String { state.withLock { $0.store.role(of: id) } }
    func setRole(_ role: String, ofLead id: String) { state.withLock { $0.store.setRole(role, of: id) } }

    var tags: [WorkspaceTag] { state.withLock { $0.tags.tags } }
    func addTag(named name: String) -> WorkspaceTag { state.withLock { $0.tags.findOrCreate(named: name) } }

    /// Tags a lead, creating the tag when missing; nil when no lead has this id.
    func tag(leadID: String, with tagName: String) -> WorkspaceTag? {
        state.withLock { state in
            guard let lead = state.store.lead(id: leadID) else { return nil }
            let tag = state.tags.findOrCreate(named: tagName)
            state.store.insert(lead.tagged(with: tag))
            return tag
        }
    }

    func tagNames(leadID: String) -> [String] {
        state.withLock { state in
            guard let lead = state.store.lead(id: leadID) else { return [] }
            return (lead.tags?.items ?? []).compactMap { item in
                guard let id = item["id"]?.stringValue else { return item["name"]?.stringValue }
                return state.tags.tag(id: id)?.name ?? item["name"]?.stringValue
            }
        }
    }

    func notes(leadID: String) -> [FakeNote] { state.withLock { $0.notes.notes(of: leadID) } }

    /// Adds a note by the workspace's admin; nil when no lead has this id.
    func addNote(leadID: String, body: String, now: Date) -> FakeNote? {
        state.withLock { state in
            guard state.store.lead(id: leadID) != nil else { return nil }
            return state.notes.add(
                contactID: leadID, html: NoteBook.html(from: body), authorID: Backend.adminID,
                now: Int64(now.timeIntervalSince1970))
        }
    }

    func mergedInto(leadID: String) -> String? { state.withLock { $0.store.mergeTarget(of: leadID) } }

    // MARK: Requests and faults

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    func clearRequests() { state.withLock { $0.requests.removeAll() } }

    func inject(_ fault: Fault, times: Int) {
        state.withLock { $0.faults.append(contentsOf: repeatElement(fault, count: max(0, times))) }
    }

    func injectOnMe(_ fault: Fault, times: Int) {
        state.withLock { $0.meFaults.append(contentsOf: repeatElement(fault, count: max(0, times))) }
    }

    var pendingFaults: [Fault] { state.withLock { $0.faults } }
    func clearFaults() {
        state.withLock {
            $0.faults.removeAll()
            $0.meFaults.removeAll()
        }
    }

    func setDelay(_ delay: Duration) { state.withLock { $0.delay = delay } }

    func setRateLimit(_ limit: RateLimit?) {
        state.withLock {
            $0.rateLimit = limit
            $0.window = nil
        }
    }

    /// Records a request as it arrives; returns how long to wait and the fault it draws, if any.
    ///
    /// Requests to `/contacts`, `/data_attributes`, `/tags`, `/notes` and below draw the faults of
    /// ``inject(_:times:)``; `/me` draws those of ``injectOnMe(_:times:)``.
    func receive(_ request: RecordedRequest) -> (delay: Duration, fault: Fault?) {
        let drawsFault = ["/contacts", "/data_attributes", "/tags", "/notes"].contains { prefix in
            request.path == prefix || request.path.hasPrefix(prefix + "/")
        }
        return state.withLock { state in
            if state.recordsRequests { state.requests.append(request) }
            var fault: Fault?
            if drawsFault, !state.faults.isEmpty { fault = state.faults.removeFirst() }
            if request.path == "/me", !state.meFaults.isEmpty { fault = state.meFaults.removeFirst() }
            return (state.delay, fault)
        }
    }

    // MARK: Answering

    /// What a request gets, before it becomes JSON.
    enum Outcome {
        /// A lead in 1.x shape.
        case contact(Contact)
        case admin
        /// A 2.x answer (a contact, a list), serialized outside the lock.
        case json(JSONValue)
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
        case .success(.admin): reply = Reply(status: 200, json: adminJSON)
        case .success(.json(let value)): reply = Reply(status: 200, json: JSONText.serialize(value))
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

    /// The admin the token belongs to, with the workspace as `app`.
    var adminJSON: String {
        JSONText.serialize([
            "type": "admin", "id": .string(Self.adminID), "name": .string(Self.adminName),
            "email": .string(Self.adminEmail),
            "email_verified": true,
            "app": [
                "type": "app", "id_code": .string(appID), "name": .string(appName), "created_at": 1_477_572_000,
                "secure": false, "identity_verification": false, "timezone": .string(Self.timeZoneIdentifier),
                "region": "US",
            ],
        ])
    }

    /// The admin the token belongs to (`GET /me`), the author of notes that name none.
    static let adminID = "991267"
    static let adminName = "Sandbox Admin"
    static let adminEmail = "admin@example.com"

    /// The workspace's time zone, as `/me` gives it; 2.14 search cuts dates to days in it.
    static let timeZoneIdentifier = "Europe/Dublin"
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
    ///
    /// The version is the header's when there is one, else the app's; 1.x requests
    /// get the lead API, 2.x ones the contacts API.
    mutating func route(_ request: RecordedRequest, now: Int64) throws(IntercomError) -> Backend.Outcome {
        let version = try effectiveVersion(of: request)
        var path = request.path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        switch (request.method, path) {
        case ("GET", "/me"):
            return .admin
        case ("GET", "/data_attributes"):
            return .json(try dataAttributeList(request))
        case ("GET", "/tags"):
            return .json(tags.listJSON(v1: version.isV1))
        default:
            if let outcome = try routeBeyondFields(request, path: path, version: version, now: now) { return outcome }
            if version.isV1 { return try routeV1(request, path: path, now: now) }
            return try routeV2(request, path: path, version: version, now: now)
        }
    }

    /// The version a request runs on; throws `intercom_version_invalid` for an unknown one,
    /// and for 1.x when the workspace no longer accepts it.
    func effectiveVersion(of request: RecordedRequest) throws(IntercomError) -> APIVersion {
        let version: APIVersion
        if let header = request.header("Intercom-Version") {
            guard let parsed = APIVersion(header.trimmingCharacters(in: .whitespaces)) else { throw .versionUnknown }
            version = parsed
        } else {
            version = appVersion
        }
        if version.isV1, !acceptsV1 { throw .versionRefused(version.name) }
        return version
    }

    /// `GET /data_attributes[?model=contact][&include_archived=true]`.
    func dataAttributeList(_ request: RecordedRequest) throws(IntercomError) -> JSONValue {
        let model = request.queryValue("model")
        guard model == nil || ["contact", "company", "conversation"].contains(model!) else {
            throw .parameterInvalid("model must be one of contact, company, conversation", field: "model")
        }
        let includeArchived = request.queryValue("include_archived") == "true"
        var items: [JSONValue] = []
        if model == nil || model == "contact" {
            for (index, attribute) in attributes.enumerated() where includeArchived || !attribute.archived {
                items.append(attribute.json(id: 1000 + index, adminID: Backend.adminID, createdAt: 1_477_572_283))
            }
        }
        return ["type": "list", "data": .array(items)]
    }

    /// The 1.x lead API, unchanged since the fake answered only 1.x.
    mutating func routeV1(
        _ request: RecordedRequest, path: String, now: Int64
    ) throws(IntercomError) -> Backend.Outcome {
        switch (request.method, path) {
        case ("GET", "/contacts"):
            if let userID = request.queryValue("user_id"), !userID.isEmpty {
                guard let lead = store.lead(userID: userID) else { throw .contactNotFound }
                return .contact(lead)
            }
            if let id = request.queryValue("id"), !id.isEmpty {
                guard let lead = store.lead(id: id) else { throw .contactNotFound }
                return .contact(lead)
            }
            if let email = request.queryValue("email") {
                return .json(store.v1List(email: email))
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
            let lead = try store.post(body, now: now)
            learnAttributes(from: body)
            return .contact(lead)
        case ("GET", _) where path.hasPrefix("/contacts/"):
            let id = RecordedRequest.percentDecode(path.dropFirst("/contacts/".count), plusIsSpace: false)
            guard !id.contains("/"), let lead = store.lead(id: id) else { throw .contactNotFound }
            return .contact(lead)
        default:
            throw .resourceNotFound
        }
    }

    /// 1.x creates a custom attribute the first time an update sets it; its type follows the value.
    mutating func learnAttributes(from body: JSONObject) {
        guard let custom = body["custom_attributes"]?.objectValue else { return }
        for (name, value) in custom where !attributes.contains(where: { $0.custom && $0.name == name }) {
            guard let type = DataAttribute.inferredType(of: value) else { continue }
            attributes.append(DataAttribute(name: name, dataType: type))
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
        if let link = error.link { headers.append(("Link", link)) }
    }
}
