import Foundation
import LeadModel
import Logging
import Synchronization

/// A local stand-in for Intercom's v1 lead API, served over loopback HTTP.
///
/// It answers `POST /contacts` (update by `id` or `user_id`, create when neither
/// is given), `GET /contacts/{id}`, `GET /contacts?user_id=` and `GET /me` the way
/// Intercom does, checks the Bearer token, meters requests when a rate limit is
/// set, records every request, and answers with the faults a test queues.
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
        backend.edit(leadID: leadID, changes, now: Date())
    }

    /// Adds a lead, or replaces the one with the same `id`.
    public func insert(_ lead: Contact) { backend.insert(lead) }

    /// Removes a lead, as when Intercom merges or deletes it; later calls naming it answer 404.
    @discardableResult
    public func removeLead(id: String) -> Contact? { backend.removeLead(id: id) }

    // MARK: What it received

    /// Every request received since start or ``clearRequests()``, rejected ones included, oldest first.
    public var requests: [RecordedRequest] { backend.requests }

    /// Forgets the recorded requests.
    public func clearRequests() { backend.clearRequests() }

    // MARK: Faults

    /// Makes the next `times` requests to `/contacts` and below answer with `fault`.
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
