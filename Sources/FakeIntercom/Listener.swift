import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
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
/// The server is SwiftNIO's: a listening socket on NIOPosix's event loops, NIOHTTP1's codec
/// (after NIOSSL's handler when serving TLS), and one task per connection (``FakeResponder``).
/// Stopping cancels the server's task: the listening socket closes (new connections are
/// refused), open connections close, and requests in flight, hung ones included, are
/// abandoned unanswered.
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
        let sslContext: NIOSSLContext?
        if let tls {
            do {
                sslContext = try NIOSSLContext(configuration: tls.serverConfiguration())
            } catch let error as FakeIntercomError {
                throw error
            } catch {
                throw FakeIntercomError.invalidTLS("\(error)")
            }
        } else {
            sslContext = nil
        }
        let started = StartSignal()
        // On threads of its own: see ``DispatchExecutor``. Connections' tasks inherit the preference.
        let task = Task(executorPreference: Self.executor) { [host, port, responder, logger] in
            do {
                try await Self.serve(
                    host: host, port: port, sslContext: sslContext, responder: responder, logger: logger,
                    onBound: { started.resolve(.success($0)) })
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

    /// Binds, reports the port, and serves every connection until the task is cancelled;
    /// returns once the listening socket and every connection are closed.
    private static func serve(
        host: String, port: Int, sslContext: NIOSSLContext?, responder: FakeResponder, logger: Logger,
        onBound: @Sendable (Int) -> Void
    ) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    // No pipelining assistance: a connection's task reads its requests in turn.
                    // The error handler answers a request that is not HTTP with 400 and closes.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: true)
                    return try FakeResponder.Connection(wrappingChannelSynchronously: channel)
                }
            }
        if Task.isCancelled {
            try? await server.channel.close()
            return
        }
        onBound(server.channel.localAddress?.port ?? 0)
        await withDiscardingTaskGroup { group in
            do {
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await responder.serve(connection, logger: logger) }
                    }
                }
            } catch {
                // Cancelled (the fake stops), or the listening socket failed.
                logger.trace("stopped accepting", metadata: ["error": "\(error)"])
            }
        }
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
