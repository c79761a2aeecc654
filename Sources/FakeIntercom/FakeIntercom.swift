import Foundation
import LeadModel
import Logging
import Synchronization

/// A local stand-in for an Intercom workspace's API, served over loopback HTTP.
///
/// It answers per API version, as a workspace does: the `Intercom-Version` header's,
/// else the app's own (``FakeIntercomConfiguration/appVersion``, 2.14 by default).
/// On 1.x it is the lead API: `POST /contacts` (update by `id` or `user_id`, create
/// when neither is given), `GET /contacts/{id}`, `GET /contacts?user_id=`. On 2.x
/// it is the contacts API: `GET`/`PUT /contacts/{id}`, `POST /contacts` (create
/// only), `POST /contacts/search`, `GET /contacts`. Both versions answer `GET /me`
/// and `GET /data_attributes`, over one store of leads, so a change made through
/// one version reads back through the other. It checks the Bearer token, meters
/// requests when a rate limit is set, records every request, and answers with the
/// faults a test queues.
///
/// ```swift
/// let fake = FakeIntercom()
/// try await fake.start()
/// fake.inject(.serviceUnavailable, times: 2)
/// // ... point a client at fake.baseURL ...
/// await fake.shutdown()
/// ```
public final class FakeIntercom: Sendable {
    /// The sample leads in `Seed/leads.json`, the seed's OBrien lead first.
    public static let sampleLeads: [Contact] = loadSampleLeads()

    /// The configuration the fake was made with; `port` is the requested one, not the bound one.
    public let configuration: FakeIntercomConfiguration

    private let backend: Backend
    private let listener: Listener
    private let boundPort: Mutex<Int?>

    public init(configuration: FakeIntercomConfiguration = .init()) {
        self.configuration = configuration
        backend = Backend(configuration: configuration)
        let logger =
            configuration.logger ?? Logger(label: "FakeIntercom", factory: { _ in SwiftLogNoOpLogHandler() })
        listener = Listener(
            host: configuration.host, port: configuration.port, tls: configuration.tls,
            responder: FakeResponder(backend: backend), logger: logger)
        boundPort = Mutex(nil)
    }

    deinit {
        let listener = self.listener
        Task { await listener.shutDown() }
    }

    // MARK: Lifecycle

    /// Starts listening; returns once connections are accepted and ``port`` is known.
    public func start() async throws {
        let port = try await listener.listen()
        boundPort.withLock { $0 = port }
    }

    /// The bound port once ``start()`` has returned; before that, the configured one.
    public var port: Int {
        boundPort.withLock { $0 } ?? configuration.port
    }

    /// `http://HOST:PORT` (`https://` when serving TLS), the base URL to give a client.
    public var baseURL: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(configuration.tls == nil ? "http" : "https")://\(host):\(port)"
    }

    /// Closes the port and every open connection, as if the API were unreachable.
    ///
    /// Connecting is refused until ``resumeListening()``. Requests in flight, hung
    /// ones included, are cut unanswered.
    public func stopListening() async {
        await listener.stop()
    }

    /// Listens again on the same port.
    ///
    /// - Throws: when the fake is shut down, or the port was taken meanwhile.
    public func resumeListening() async throws {
        let port = try await listener.listen()
        boundPort.withLock { $0 = port }
    }

    /// Whether the fake accepts connections now.
    public var isListening: Bool {
        get async { await listener.isListening }
    }

    /// Stops for good, cutting open connections; safe to call more than once.
    public func shutdown() async {
        await listener.shutDown()
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

    /// Makes the next `times` requests to `/contacts`, `/data_attributes` and below answer with `fault`.
    ///
    /// Faults queue in order. A request that draws a fault is still recorded, but is
    /// not authenticated, rate-limited or (except for ``Fault/dropMidResponse``) carried out.
    public func inject(_ fault: Fault, times: Int = 1) { backend.inject(fault, times: times) }

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
        return try FakeIntercom.decodeLeads(Array(data))
    } catch {
        fatalError("FakeIntercom: Seed/leads.json is invalid: \(error)")
    }
}

extension FakeIntercom {
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
