@_exported import FakeIntercomCore
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
/// only), `POST /contacts/search`, `GET /contacts`. Both versions answer `GET /me`,
/// `GET /data_attributes` and `GET /tags`, over one store of leads, so a change made through
/// one version reads back through the other. What it answers is ``FakeWorkspace``'s
/// (`FakeIntercomCore`); this class adds the HTTP server.
///
/// ```swift
/// let fake = FakeIntercom()
/// try await fake.start()
/// fake.inject(.serviceUnavailable, times: 2)
/// // ... point a client at fake.baseURL ...
/// await fake.shutdown()
/// ```
public final class FakeIntercom: FakeWorkspace, @unchecked Sendable {
    // @unchecked: the added stored properties are Sendable `let`s.
    private let listener: Listener
    private let boundPort: Mutex<Int?>

    public override init(configuration: FakeIntercomConfiguration = .init()) {
        let logger =
            configuration.logger ?? Logger(label: "FakeIntercom", factory: { _ in SwiftLogNoOpLogHandler() })
        boundPort = Mutex(nil)
        let workspace = FakeWorkspace(configuration: configuration)
        listener = Listener(
            host: configuration.host, port: configuration.port, tls: configuration.tls,
            responder: FakeResponder(answer: workspace.responder), logger: logger)
        super.init(sharing: workspace)
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
}
