import Foundation
import IntercomClient
import LeadModel
import Synchronization

/// An Intercom workspace as the fake models it: its leads, its data attributes, its API
/// versions, its rate limit, what it received, and the faults a test queued. No server:
/// ``FakeIntercom`` serves it over loopback HTTP, and ``InMemoryTransport`` hands requests
/// to it directly (the simulator and the tests that need no socket).
///
/// ``respond(to:)`` is the one place a request becomes Intercom's answer; the HTTP server
/// and the in-memory transport only carry it.
open class FakeWorkspace: @unchecked Sendable {
    // @unchecked: every stored property is a `let` of a Sendable type; the class is open
    // only so that ``FakeIntercom`` can add a server to it.

    /// The sample leads in `Seed/leads.json`, the seed's OBrien lead first.
    public static let sampleLeads: [Contact] = loadSampleLeads()

    /// The configuration the fake was made with.
    public let configuration: FakeIntercomConfiguration

    let backend: Backend

    public init(configuration: FakeIntercomConfiguration = .init()) {
        self.configuration = configuration
        backend = Backend(configuration: configuration)
    }

    /// A second handle on the same workspace: its state, requests and faults are shared.
    public init(sharing other: FakeWorkspace) {
        configuration = other.configuration
        backend = other.backend
    }

    // MARK: Answering

    /// What the fake does with one request: records it, draws a queued fault, and answers
    /// as Intercom would (authentication, rate limit, the call).
    public func respond(to request: RecordedRequest) -> FakeAnswer {
        FakeWorkspace.respond(to: request, backend: backend)
    }

    /// ``respond(to:)`` as a function that holds the workspace's state but not the workspace,
    /// for a server that the workspace owns.
    public var responder: @Sendable (RecordedRequest) -> FakeAnswer {
        let backend = self.backend
        return { FakeWorkspace.respond(to: $0, backend: backend) }
    }

    private static func respond(to request: RecordedRequest, backend: Backend) -> FakeAnswer {
        let (delay, fault) = backend.receive(request)
        let reply: Reply
        var delivery = FakeAnswer.Delivery.complete
        switch fault {
        case nil:
            reply = backend.answer(request, now: backend.now())
        case .status(let status, let code, let message, let field)?:
            reply = Reply(error: IntercomError(status: status, code: code, message: message, field: field))
        case .rateLimited(let retryAfter, let withHeaders)?:
            reply = backend.rateLimitedReply(retryAfter: retryAfter, withHeaders: withHeaders, now: backend.now())
        case .nonJSON(let status)?:
            reply = Reply(
                status: status, contentType: "text/html", body: "<html><body><h1>oops</h1><p>Something went wrong.</p></body></html>\n")
        case .hang?:
            return FakeAnswer(delay: delay, status: 0, headers: [], contentType: "", body: "", delivery: .never)
        case .dropMidResponse?:
            reply = backend.answer(request, now: backend.now())
            delivery = .cutMidway
        }
        // Every answer says when it was made, by the fake's clock, as a server's `Date` does.
        return FakeAnswer(
            delay: delay, status: reply.status, headers: reply.headers + [("Date", IntercomClient.HTTPDate.format(backend.now().timeIntervalSince1970))],
            contentType: reply.contentType, body: reply.body, delivery: delivery)
    }

    // MARK: Server-side state

    /// The lead with this `id`, as the fake holds it now.
    public func lead(id: String) -> Contact? { backend.lead(id: id) }

    /// The lead with this `user_id`, as the fake holds it now.
    public func lead(userID: String) -> Contact? { backend.lead(userID: userID) }

    /// Every lead, in the order they were added.
    public var allLeads: [Contact] { backend.allLeads }

    /// Changes a lead as a teammate would in Intercom: values applied, `updated_at` bumped.
    ///
    /// - Returns: the changed lead, or nil when no lead has this id.
    @discardableResult
    public func edit(leadID: String, _ changes: FieldChanges) -> Contact? {
        backend.edit(leadID: leadID, changes, now: backend.now())
    }

    /// Adds a lead, or replaces the one with the same `id`.
    public func insert(_ lead: Contact) { backend.insert(lead) }

    /// Removes a lead, as when Intercom merges or deletes it; later calls naming it answer 404.
    @discardableResult
    public func removeLead(id: String) -> Contact? { backend.removeLead(id: id) }

    /// Removes a lead as merged into another, as Intercom's merge does.
    ///
    /// Later reads of the merged id answer 404 before 2.16 and, from 2.16,
    /// `410 contact_merged` with `Link: </contacts/TARGET>; rel="canonical"`.
    ///
    /// - Returns: the removed lead; nil (nothing changes) when either id names no lead, or both are the same.
    @discardableResult
    public func merge(leadID: String, into targetID: String) -> Contact? {
        backend.merge(leadID: leadID, into: targetID)
    }

    /// The lead's role as 2.x shows it: `lead`, unless a 2.x update or create made it `user`.
    public func role(ofLead id: String) -> String { backend.role(ofLead: id) }

    // MARK: The workspace

    /// The version requests without `Intercom-Version` run on now.
    public var appVersion: String { backend.appVersion }

    /// Changes the app's version, as a teammate would in Intercom's Developer Hub.
    ///
    /// - Precondition: `version` is one of ``knownVersions``.
    public func setAppVersion(_ version: String) { backend.setAppVersion(version) }

    /// Whether 1.x requests are answered now.
    public var acceptsV1: Bool { backend.acceptsV1 }

    /// Accepts or refuses 1.x; refused, every 1.x request answers `400 intercom_version_invalid`.
    public func setAcceptsV1(_ accepts: Bool) { backend.setAcceptsV1(accepts) }

    /// The data attributes the workspace lists now (1.x updates add custom ones they set).
    public var dataAttributes: [DataAttribute] { backend.dataAttributes }

    /// Replaces the data attributes.
    public func setDataAttributes(_ attributes: [DataAttribute]) { backend.setDataAttributes(attributes) }

    /// Adds a data attribute, or replaces the one with the same name (and customness).
    public func addDataAttribute(_ attribute: DataAttribute) { backend.addDataAttribute(attribute) }

    // MARK: What it received

    /// Every request received since start or ``clearRequests()``, rejected ones included, oldest first.
    public var requests: [RecordedRequest] { backend.requests }

    /// Forgets the recorded requests.
    public func clearRequests() { backend.clearRequests() }

    // MARK: Faults

    /// Makes the next `times` requests to `/contacts`, `/data_attributes`, `/tags`, `/notes` and below answer
    /// with `fault`.
    ///
    /// Faults queue in order. A request that draws a fault is still recorded, but is
    /// not authenticated, rate-limited or (except for ``Fault/dropMidResponse``) carried out.
    public func inject(_ fault: Fault, times: Int = 1) { backend.inject(fault, times: times) }

    /// Makes the next `times` requests to `GET /me` (the app check, the probe) answer with `fault`.
    public func injectOnMe(_ fault: Fault, times: Int = 1) { backend.injectOnMe(fault, times: times) }

    /// The faults not yet drawn, next first.
    public var pendingFaults: [Fault] { backend.pendingFaults }

    /// Forgets the faults not yet drawn.
    public func clearFaults() { backend.clearFaults() }

    /// Waits this long before answering every request; `.zero` answers at once.
    public func setDelay(_ delay: Duration) { backend.setDelay(delay) }

    /// Replaces the rate limit (nil removes it) and starts a fresh window.
    public func setRateLimit(_ limit: RateLimit?) { backend.setRateLimit(limit) }
}

/// Reads `Seed/leads.json` from the module's resources.
private func loadSampleLeads() -> [Contact] {
    guard let url = Bundle.module.url(forResource: "leads", withExtension: "json", subdirectory: "Seed"),
        let data = try? Data(contentsOf: url)
    else {
        fatalError("FakeIntercom: Seed/leads.json is missing from the module's resources")
    }
    do {
        return try FakeWorkspace.decodeLeads(Array(data))
    } catch {
        fatalError("FakeIntercom: Seed/leads.json is invalid: \(error)")
    }
}

extension FakeWorkspace {
    /// Decodes a JSON array of full contacts, such as a seed file.
    ///
    /// - Throws: `JSONParseError` for invalid JSON, ``FakeIntercomError/invalidLeads(_:)`` otherwise.
    public static func decodeLeads(_ json: [UInt8]) throws -> [Contact] {
        guard case .array(let items) = try JSONText.parse(json) else {
            throw FakeIntercomError.invalidLeads("expected a JSON array of contacts")
        }
        return try items.enumerated().map { index, item in
            guard case .object(let fields) = item else {
                throw FakeIntercomError.invalidLeads("element \(index) is not a contact object")
            }
            do {
                return try Contact(fields: fields)
            } catch {
                throw FakeIntercomError.invalidLeads("element \(index): \(error)")
            }
        }
    }
}

/// The fake's answer to one request, for a server or a transport to deliver.
public struct FakeAnswer: Sendable {
    /// How the answer reaches the client.
    public enum Delivery: Sendable, Hashable {
        /// Whole.
        case complete
        /// The head with the full length, part of the body, then the connection closes: the
        /// request took effect, its answer is lost.
        case cutMidway
        /// Never: the request hangs until the connection closes.
        case never
    }

    /// How long to wait before answering.
    public var delay: Duration
    public var status: Int
    /// Extra header fields (`X-RateLimit-*`, `Retry-After`, `Link`).
    public var headers: [(String, String)]
    public var contentType: String
    public var body: String
    public var delivery: Delivery
}
