import ArgumentParser
import Dispatch
import FakeIntercom
import Foundation

/// `fake-intercom`: the fake Intercom as a program, for trying leadsh by hand.
@main
struct FakeIntercomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-intercom",
        abstract: "Serve a local stand-in for an Intercom workspace's API (1.x leads, 2.x contacts).",
        discussion: """
            Requests run on the Intercom-Version header's API version, else on the app's
            (--app-version, 2.14 by default): 1.x is the lead API, 2.x the contacts API.
            Prints one line when ready, then serves until SIGINT or SIGTERM.
            The token may also come from FAKE_INTERCOM_TOKEN.
            """)

    @Option(help: "The address to listen on; loopback only unless --allow-remote.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 0

    @Option(help: "The Bearer token requests must present (default: $FAKE_INTERCOM_TOKEN, else test-token).")
    var token: String?

    @Option(help: "A JSON file holding an array of full contacts to start with, instead of the sample leads.")
    var seed: String?

    @Option(name: .customLong("rate-limit"), help: "Allow this many authenticated requests per window.")
    var rateLimit: Int?

    @Option(name: .customLong("rate-window"), help: "The rate-limit window in seconds.")
    var rateWindow: Double = 10

    @Option(name: .customLong("delay-ms"), help: "Wait this many milliseconds before answering each request.")
    var delayMilliseconds = 0

    @Flag(name: .customLong("allow-remote"), help: "Allow listening on a non-loopback address.")
    var allowRemote = false

    @Option(
        name: .customLong("app-version"),
        help: """
            The workspace's API version, for requests without an Intercom-Version header \
            (1.0-1.4, 2.0-2.16, Unstable, Preview).
            """)
    var appVersion = "2.14"

    @Flag(name: .customLong("refuse-v1"), help: "Answer every 1.x request with 400 intercom_version_invalid.")
    var refuseV1 = false

    @Option(name: .customLong("app-id"), help: "The workspace id (app.id_code in GET /me, workspace_id of contacts).")
    var appID = "ja43hiec"

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate (and chain); needs --tls-key.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    func validate() throws {
        guard allowRemote || Self.isLoopback(host) else {
            throw ValidationError("\(host) is not a loopback address; pass --allow-remote to listen on it anyway")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let rateLimit, rateLimit < 0 { throw ValidationError("--rate-limit cannot be negative") }
        guard rateWindow > 0, rateWindow.isFinite else { throw ValidationError("--rate-window must be positive") }
        guard delayMilliseconds >= 0 else { throw ValidationError("--delay-ms cannot be negative") }
        guard FakeIntercom.isKnownVersion(appVersion) else {
            throw ValidationError(
                "--app-version \(appVersion) is not an Intercom API version; use one of "
                    + FakeIntercom.knownVersions.joined(separator: ", "))
        }
        guard !appID.isEmpty else { throw ValidationError("--app-id cannot be empty") }

        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws {
        let token = token ?? ProcessInfo.processInfo.environment["FAKE_INTERCOM_TOKEN"] ?? "test-token"
        var configuration = FakeIntercomConfiguration(
            host: host, port: port, token: token,
            rateLimit: rateLimit.map { RateLimit(limit: $0, window: .seconds(rateWindow)) },
            delay: .milliseconds(delayMilliseconds),
            recordsRequests: false,
            appVersion: appVersion,
            acceptsV1: !refuseV1,
            appID: appID)
        if let seed {
            let bytes = try Self.readSeed(seed)
            do {
                configuration.leads = try FakeIntercom.decodeLeads(bytes)
            } catch {
                throw SeedError(description: "--seed \(seed): \(error)")
            }
        }
        if let tlsCert, let tlsKey { configuration.tls = FakeTLS(certificatePath: tlsCert, keyPath: tlsKey) }
        let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
        let fake = FakeIntercom(configuration: configuration)
        try await fake.start()
        FileHandle.standardOutput.write(Data("fake-intercom listening on \(fake.baseURL) (token: \(token))\n".utf8))
        await signals.wait()
        await fake.shutdown()
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The bytes of a seed file.
    static func readSeed(_ path: String) throws -> [UInt8] {
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SeedError(description: "cannot read --seed \(path): \(error.localizedDescription)")
        }
    }
}

/// A seed file that cannot be used; reported without the usage text.
struct SeedError: Error, CustomStringConvertible {
    var description: String
}

/// Waits for the first of some signals, which no longer kill the process.
final class SignalWaiter {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Void>

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        self.stream = stream
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
    }

    func wait() async {
        for await _ in stream { return }
    }
}
