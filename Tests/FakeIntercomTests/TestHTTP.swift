import AsyncHTTPClient
import FakeIntercom
import LeadModel
import Synchronization
import TestSupport

/// A started fake and an HTTP client pointed at it, both torn down afterwards.
func withFakeAndClient<T>(
    _ configuration: FakeIntercomConfiguration = .init(),
    _ body: (FakeIntercom, TestClient) async throws -> T
) async throws -> T {
    try await withFakeIntercom(configuration) { fake in
        let client = TestClient(baseURL: fake.baseURL)
        do {
            let result = try await body(fake, client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// A small HTTP client over AsyncHTTPClient that reads whole answers.
///
/// Refused connections fail at once rather than being retried until the deadline.
final class TestClient: Sendable {
    let baseURL: String
    let http: HTTPClient

    init(baseURL: String) {
        self.baseURL = baseURL
        // Ten seconds: the pool's wait for a connection is the connect timeout, and 200 requests
        // queue for its 8 connections while the rest of the suite runs beside them.
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private let isShutDown = Atomic<Bool>(false)

    func shutdown() async throws {
        guard !isShutDown.exchange(true, ordering: .sequentiallyConsistent) else { return }
        try await http.shutdown()
    }

    deinit {
        // A test that threw before shutting down must not crash the whole run.
        if !isShutDown.load(ordering: .sequentiallyConsistent) { try? http.syncShutdown() }
    }

    /// Sends a request; `token: nil` sends no `Authorization` header.
    func send(
        _ method: String,
        _ path: String,
        json body: String? = nil,
        token: String? = "test-token",
        headers: [(String, String)] = [],
        timeout: Duration = .seconds(5)
    ) async throws -> TestReply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body.utf8))
        }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let (seconds, attoseconds) = timeout.components
        let response = try await http.execute(
            request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return TestReply(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView))
    }

    func get(_ path: String, token: String? = "test-token") async throws -> TestReply {
        try await send("GET", path, token: token)
    }

    func post(_ json: String, token: String? = "test-token") async throws -> TestReply {
        try await send("POST", "/contacts", json: json, token: token)
    }
}

/// A whole HTTP answer.
struct TestReply: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON; fails the caller's expectation by throwing when it is not JSON.
    var json: JSONValue {
        get throws { try JSONText.parse(body) }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var rateLimitHeaders: [String] {
        headers.map(\.name).filter { $0.lowercased().hasPrefix("x-ratelimit-") }
    }

    /// The first entry of an `error.list` body: code, message, field.
    var error: (code: String?, message: String?, field: String?) {
        get throws {
            let entry = try json["errors"]?.arrayValue?.first
            return (entry?["code"]?.stringValue, entry?["message"]?.stringValue, entry?["field"]?.stringValue)
        }
    }
}

let obrienID = "5811f6bbe6b4704ddfa84ac0"
let obrienUserID = "77177570-cf5d-4f1a-bc75-75202af47d4f"

extension FakeIntercomConfiguration {
    /// The default fake on a workspace set to 1.4: the lead API without an `Intercom-Version` header.
    static let v1 = FakeIntercomConfiguration(appVersion: "1.4")
}

extension TestClient {
    /// Sends a request on an explicit API version.
    func send(
        _ method: String, _ path: String, json body: String? = nil, version: String
    ) async throws -> TestReply {
        try await send(method, path, json: body, headers: [("Intercom-Version", version)])
    }
}
