import Hummingbird
import Logging
import Synchronization

/// Runs the HTTP server on demand, so the fake can stop listening and listen again on the same port.
///
/// Stopping cancels the server: the listening socket closes (new connections are
/// refused), open connections close, and requests in flight, hung ones included,
/// are abandoned unanswered.
actor Listener {
    private let host: String
    private(set) var port: Int
    private let responder: FakeResponder
    private let logger: Logger
    private var serving: Task<Void, Never>?
    /// Set while a `listen()` waits for the server to bind, so a second caller waits for the same port.
    private var starting: StartSignal?
    private var isShutDown = false

    init(host: String, port: Int, responder: FakeResponder, logger: Logger) {
        self.host = host
        self.port = port
        self.responder = responder
        self.logger = logger
    }

    var isListening: Bool { serving != nil }

    /// Binds and starts serving; returns the bound port once connections are accepted.
    func listen() async throws -> Int {
        if isShutDown { throw FakeIntercomError.shutDown }
        if let starting { return try await starting.value }
        if serving != nil { return port }
        let started = StartSignal()
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil, reuseAddress: true),
            onServerRunning: { channel in started.resolve(.success(channel.localAddress?.port ?? 0)) },
            logger: logger)
        let task = Task {
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

/// Why the fake could not start or listen again.
public enum FakeIntercomError: Error, Sendable, CustomStringConvertible {
    /// ``FakeIntercom/shutdown()`` was called; the fake cannot listen again.
    case shutDown
    /// The server stopped before it was listening.
    case stoppedWhileStarting
    /// A list of leads (a seed file) is not a JSON array of contacts.
    case invalidLeads(String)

    public var description: String {
        switch self {
        case .shutDown: "the fake Intercom is shut down"
        case .stoppedWhileStarting: "the fake Intercom stopped before it was listening"
        case .invalidLeads(let reason): "not a list of leads: \(reason)"
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
