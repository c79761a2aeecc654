import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import Synchronization

extension FakeTLS {
    /// The server side of TLS, read from the files.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw FakeIntercomError.invalidTLS("cannot read a PEM certificate from \(certificatePath)")
        }
        guard !chain.isEmpty else { throw FakeIntercomError.invalidTLS("no certificate in \(certificatePath)") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw FakeIntercomError.invalidTLS("cannot read a PEM private key from \(keyPath)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// Runs the HTTP server on demand, so the fake can stop listening and listen again on the same port.
///
/// Stopping cancels the server: the listening socket closes (new connections are
/// refused), open connections close, and requests in flight, hung ones included,
/// are abandoned unanswered.
actor Listener {
    /// The threads every fake's server runs on.
    static let executor = DispatchExecutor(label: "fake-intercom.server")

    private let host: String
    private(set) var port: Int
    private let tls: FakeTLS?
    private let responder: FakeResponder
    private let logger: Logger
    private var serving: Task<Void, Never>?
    /// Set while a `listen()` waits for the server to bind, so a second caller waits for the same port.
    private var starting: StartSignal?
    private var isShutDown = false

    init(host: String, port: Int, tls: FakeTLS? = nil, responder: FakeResponder, logger: Logger) {
        self.host = host
        self.port = port
        self.tls = tls
        self.responder = responder
        self.logger = logger
    }

    var isListening: Bool { serving != nil }

    /// Binds and starts serving; returns the bound port once connections are accepted.
    func listen() async throws -> Int {
        if isShutDown { throw FakeIntercomError.shutDown }
        if let starting { return try await starting.value }
        if serving != nil { return port }
        let server: HTTPServerBuilder
        if let tls {
            server = try HTTPServerBuilder.tls(.http1(), tlsConfiguration: tls.serverConfiguration())
        } else {
            server = .http1()
        }
        let started = StartSignal()
        let app = Application(
            responder: responder, server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil, reuseAddress: true),
            onServerRunning: { channel in started.resolve(.success(channel.localAddress?.port ?? 0)) },
            logger: logger)
        // On threads of its own: see ``DispatchExecutor``.
        let task = Task(executorPreference: Self.executor) {
            do {
                try await app.run()
                started.resolve(.failure(FakeIntercomError.stoppedWhileStarting))
            } catch {
                started.resolve(.failure(error))
            }
        }
        serving = task
        starting = started
        defer { if starting === started { starting = nil } }
        do {
            port = try await started.value
            return port
        } catch {
            task.cancel()
            await task.value
            if serving == task { serving = nil }
            throw error
        }
    }

    /// Stops serving and waits until the port is closed.
    func stop() async {
        guard let task = serving else { return }
        serving = nil
        task.cancel()
        await task.value
    }

    /// Stops for good.
    func shutDown() async {
        isShutDown = true
        await stop()
    }
}

/// A one-shot result that a task can wait for, set from anywhere, at most once.
final class StartSignal: Sendable {
    private struct State {
        var result: Result<Int, any Error>?
        var waiter: CheckedContinuation<Int, any Error>?
    }

    private let state = Mutex(State())

    func resolve(_ result: Result<Int, any Error>) {
        let waiter: CheckedContinuation<Int, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    var value: Int {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let result: Result<Int, any Error>? = state.withLock { state in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        }
    }
}
