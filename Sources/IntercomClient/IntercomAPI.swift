import AsyncHTTPClient
import Foundation
import LeadModel
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// How to reach Intercom.
public struct IntercomConfiguration: Sendable {
    public var endpoint: Endpoint
    /// The access token; sent only as `Authorization: Bearer …`, never logged.
    public var token: String
    /// Sent as `Intercom-Version` with every request; it also decides the dialect of the calls.
    public var apiVersion: APIVersion
    /// How long to wait for a connection.
    public var connectTimeout: Duration
    /// How long to wait for a whole call.
    public var requestTimeout: Duration
    /// Called with every exchange (token redacted), for `--verbose`.
    public var observer: (@Sendable (HTTPExchange) -> Void)?
    /// CA certificates trusted on top of the system's roots (`--ca-file`, `SSL_CERT_FILE`).
    public var trust: TrustBundle?
    /// The proxy `https://` calls go through (`--proxy`, `HTTPS_PROXY` less `NO_PROXY`); never used for `http://`.
    public var proxy: ProxySetting?

    public init(
        endpoint: Endpoint, token: String, apiVersion: APIVersion = .default,
        connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(30),
        observer: (@Sendable (HTTPExchange) -> Void)? = nil
    ) {
        self.endpoint = endpoint
        self.token = token
        self.apiVersion = apiVersion
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.observer = observer
    }
}

/// A successful answer: the lead and the rate-limit figures that came with it.
public struct IntercomResponse<Value: Sendable>: Sendable {
    public var value: Value
    public var status: Int
    public var rateLimit: RateLimitInfo
    public var requestID: String?

    public init(value: Value, status: Int, rateLimit: RateLimitInfo, requestID: String?) {
        self.value = value
        self.status = status
        self.rateLimit = rateLimit
        self.requestID = requestID
    }
}

/// One HTTP exchange as `--verbose` prints it, with the token redacted.
public struct HTTPExchange: Sendable {
    public var method: String
    public var url: String
    public var requestHeaders: [(String, String)]
    public var requestBody: String?
    public var status: Int?
    public var responseHeaders: [(String, String)]
    public var responseBody: String?
    public var error: String?
    public var duration: Duration
    /// The proxy the call went through, credentials redacted.
    public var proxy: String? = nil

    /// The exchange as lines of text, headers aligned as curl -v shows them.
    public var rendered: String {
        var lines = proxy.map { ["* through proxy \($0)"] } ?? []
        lines.append("> \(method) \(url)")
        lines += requestHeaders.map { "> \($0.0): \($0.1)" }
        if let requestBody { lines.append("> \(requestBody)") }
        if let status {
            lines.append("< \(status) (\(duration.formattedMilliseconds))")
            lines += responseHeaders.map { "< \($0.0): \($0.1)" }
            if let responseBody { lines.append("< \(responseBody)") }
        }
        if let error { lines.append("! \(error) (\(duration.formattedMilliseconds))") }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    var formattedMilliseconds: String {
        let ms = Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
        return ms < 10 ? String(format: "%.1f ms", ms) : "\(Int(ms.rounded())) ms"
    }
}

/// The app (workspace) a token belongs to, as `GET /me` names it.
public struct IntercomApp: Sendable, Hashable {
    /// `app.id_code`: the same in every API version.
    public var id: String
    public var name: String?

    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

/// Intercom's lead calls over HTTP: view a lead, update a lead, probe reachability.
///
/// A refused connection fails in milliseconds as `.unreachable` (the pool does
/// not retry connecting until the deadline). The HTTP client and its event loop
/// start with the first call, so commands that never reach the API pay nothing.
/// Call `shutdown()` when done.
public final class IntercomAPI: Sendable {
    public let configuration: IntercomConfiguration
    private let httpConfiguration: HTTPClient.Configuration
    private let client = Mutex<HTTPClient?>(nil)
    /// The token's app, once `GET /me` named it: asked once per process.
    private let knownApp = Mutex<IntercomApp?>(nil)
    /// Where calls go, for naming TLS and proxy failures.
    private let route: Route
    /// Responses larger than this are refused.
    private static let maxBody = 8 << 20

    public init(configuration: IntercomConfiguration) {
        self.configuration = configuration
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.timeout = .init(
            connect: .nanoseconds(Int64(configuration.connectTimeout.nanoseconds)),
            read: .nanoseconds(Int64(configuration.requestTimeout.nanoseconds))
        )
        httpConfiguration.redirectConfiguration = .disallow
        httpConfiguration.decompression = .disabled
        var tls = TLSConfiguration.makeClientConfiguration()
        if let trust = configuration.trust {
            tls.additionalTrustRoots = [.certificates(trust.certificates)]
        }
        httpConfiguration.tlsConfiguration = tls
        if configuration.endpoint.isHTTPS, let proxy = configuration.proxy {
            httpConfiguration.proxy = proxy.configuration
        }
        self.httpConfiguration = httpConfiguration
        route = Route(
            endpoint: configuration.endpoint, proxy: configuration.endpoint.isHTTPS ? configuration.proxy : nil,
            trust: configuration.trust)
    }

    private var http: HTTPClient {
        client.withLock { client in
            if let client { return client }
            let created = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: httpConfiguration)
            client = created
            return created
        }
    }

    /// Closes connections. Call once, when done with the client.
    public func shutdown() async {
        let started = client.withLock { $0 }
        try? await started?.shutdown()
    }

    /// `GET /contacts/{id}`.
    public func fetch(id: String) async throws(IntercomError) -> IntercomResponse<Contact> {
        return try await contact(from: send(method: .GET, path: IntercomAPI.contactPath(id), body: nil))
    }

    /// The dialect of the calls, from the API version.
    public var dialect: Dialect { configuration.apiVersion.dialect }

    /// `GET /contacts?user_id=…` (1.x).
    public func fetch(userID: String) async throws(IntercomError) -> IntercomResponse<Contact> {
        let query = userID.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? userID
        return try await contact(from: send(method: .GET, path: "/contacts?user_id=" + query, body: nil))
    }

    /// The contacts whose `user_id` (1.x) or `external_id` (2.x) is this value.
    ///
    /// 1.x reads `GET /contacts?user_id=`, where "not found" is an empty list;
    /// 2.x searches with `POST /contacts/search`, and may find several.
    public func find(userID: String) async throws(IntercomError) -> IntercomResponse<[Contact]> {
        switch dialect {
        case .v1:
            do {
                let response = try await fetch(userID: userID)
                return IntercomResponse(value: [response.value], status: response.status, rateLimit: response.rateLimit, requestID: response.requestID)
            } catch where error.status == 404 {
                return IntercomResponse(value: [], status: 404, rateLimit: error.rateLimit, requestID: error.requestID)
            }
        case .v2:
            return try await search(field: "external_id", value: userID)
        }
    }

    /// `POST /contacts/search` for contacts whose `field` equals `value` (2.x), at most `limit`.
    public func search(field: String, value: String, limit: Int = 25) async throws(IntercomError) -> IntercomResponse<[Contact]> {
        let body = JSONText.serialize([
            "query": ["field": .string(field), "operator": "=", "value": .string(value)],
            "pagination": ["per_page": .integer(Int64(limit))],
        ])
        let raw = try await send(method: .POST, path: "/contacts/search", body: body)
        do {
            guard let object = try JSONText.parse(raw.body).objectValue, let data = object["data"]?.arrayValue else {
                throw ContactDecodingError(reason: "expected a list with data")
            }
            var contacts: [Contact] = []
            for item in data {
                guard let fields = item.objectValue else { throw ContactDecodingError(reason: "a list item is not an object") }
                contacts.append(try Contact(fields: fields))
            }
            return IntercomResponse(value: contacts, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
        } catch {
            throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "\(error)")
        }
    }

    /// `GET /data_attributes?model=contact`: the workspace's contact attributes.
    public func dataAttributes() async throws(IntercomError) -> IntercomResponse<[DataAttribute]> {
        let raw = try await send(method: .GET, path: "/data_attributes?model=contact", body: nil)
        guard let object = (try? JSONText.parse(raw.body))?.objectValue, let data = object["data"]?.arrayValue else {
            throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "expected a list of data attributes")
        }
        let attributes = data.compactMap { $0.objectValue.flatMap(DataAttribute.init(json:)) }
        return IntercomResponse(value: attributes, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
    }

    /// The call that sends an update in this client's dialect: the method, the path and the body.
    public func request(for update: LeadUpdate) throws(LeadUpdateError) -> (method: String, path: String, body: JSONObject) {
        try IntercomAPI.request(for: update, in: dialect)
    }

    /// The call that sends an update in a dialect: the method, the path and the body.
    public static func request(for update: LeadUpdate, in dialect: Dialect) throws(LeadUpdateError) -> (method: String, path: String, body: JSONObject) {
        let body = try update.body(in: dialect)
        switch dialect {
        case .v1: return ("POST", "/contacts", body)
        case .v2: return ("PUT", IntercomAPI.contactPath(update.lead.id ?? ""), body)
        }
    }

    /// Sends an update: 1.x `POST /contacts` naming the lead in the body, 2.x
    /// `PUT /contacts/{id}` with only the changed fields. Answers the whole lead as
    /// Intercom stored it.
    public func update(_ update: LeadUpdate) async throws(IntercomError) -> IntercomResponse<Contact> {
        let call: (method: String, path: String, body: JSONObject)
        do {
            call = try request(for: update)
        } catch {
            throw IntercomError(kind: .invalidRequest, detail: error.description)
        }
        return try await contact(from: send(method: HTTPMethod(rawValue: call.method), path: call.path, body: JSONText.serialize(.object(call.body))))
    }

    static func contactPath(_ id: String) -> String {
        "/contacts/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? id)
    }

    /// An authenticated `GET /me`: succeeds when the API answers and accepts the token.
    /// The app it names is kept, so ``app()`` costs no second request.
    public func probe() async throws(IntercomError) -> RateLimitInfo {
        let raw = try await send(method: .GET, path: "/me", body: nil)
        if let app = IntercomAPI.app(from: raw.body) { knownApp.withLock { $0 = app } }
        return raw.rateLimit
    }

    /// The app (workspace) the token belongs to: `app.id_code` of `GET /me`, asked once
    /// per process and kept.
    public func app() async throws(IntercomError) -> IntercomApp {
        if let known = knownApp.withLock({ $0 }) { return known }
        let raw = try await send(method: .GET, path: "/me", body: nil)
        guard let app = IntercomAPI.app(from: raw.body) else {
            throw IntercomError(
                kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit,
                detail: "GET /me did not name the app (no app.id_code)")
        }
        knownApp.withLock { $0 = app }
        return app
    }

    /// The app `GET /me` named, if it was asked already.
    public var cachedApp: IntercomApp? { knownApp.withLock { $0 } }

    static func app(from body: [UInt8]) -> IntercomApp? {
        guard let object = (try? JSONText.parse(body))?.objectValue, let app = object["app"]?.objectValue,
            let id = app["id_code"]?.stringValue, !id.isEmpty
        else { return nil }
        return IntercomApp(id: id, name: app["name"]?.stringValue)
    }

    struct RawResponse {
        var status: Int
        var body: [UInt8]
        var rateLimit: RateLimitInfo
        var requestID: String?
    }

    private func contact(from raw: RawResponse) throws(IntercomError) -> IntercomResponse<Contact> {
        do {
            let contact = try Contact(jsonBytes: raw.body)
            return IntercomResponse(value: contact, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
        } catch {
            throw IntercomError(
                kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit,
                detail: error.description
            )
        }
    }

    func send(method: HTTPMethod, path: String, body: String?) async throws(IntercomError) -> RawResponse {
        let url = configuration.endpoint.baseURL + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        request.headers.add(name: "Intercom-Version", value: configuration.apiVersion.description)
        request.headers.add(name: "User-Agent", value: "leadsh/0.1")

        let clock = ContinuousClock()
        let started = clock.now
        var exchange = HTTPExchange(
            method: method.rawValue, url: url,
            requestHeaders: request.headers.map { ($0.name, $0.name.lowercased() == "authorization" ? "Bearer [redacted]" : $0.value) },
            requestBody: body, status: nil, responseHeaders: [], responseBody: nil, error: nil, duration: .zero
        )
        exchange.proxy = route.proxy?.description
        defer {
            if let observer = configuration.observer {
                exchange.duration = clock.now - started
                observer(exchange)
            }
        }

        let response: HTTPClientResponse
        let bytes: [UInt8]
        do {
            let timeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout.nanoseconds))
            response = try await http.execute(request, timeout: timeout)
            exchange.status = Int(response.status.code)
            exchange.responseHeaders = response.headers.map { ($0.name, $0.value) }
            do {
                var buffer = try await response.body.collect(upTo: IntercomAPI.maxBody)
                bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                throw IntercomAPI.classify(error, afterResponse: true, route: route)
            }
        } catch let error as IntercomError {
            exchange.error = error.description
            throw error
        } catch {
            var classified = IntercomAPI.classify(error, afterResponse: false, route: route)
            if TransportFailure.isCertificateRejected(error) {
                // Untrusted or expired: the error does not say which; the certificate does.
                classified = await TransportFailure.certificateProblem(route, timeout: configuration.connectTimeout)
            } else if let refusal = error as? HTTPClientError, refusal == .invalidProxyResponse {
                // Refused by the proxy: the error does not carry the status; asking again does.
                classified = await TransportFailure.proxyProblem(route, timeout: configuration.connectTimeout)
            }
            exchange.error = classified.description
            throw classified
        }
        exchange.responseBody = String(decoding: bytes, as: UTF8.self)

        let status = Int(response.status.code)
        let rateLimit = IntercomAPI.rateLimit(from: response.headers)
        var requestID = response.headers.first(name: "X-Request-Id")
        if (200..<300).contains(status) {
            return RawResponse(status: status, body: bytes, rateLimit: rateLimit, requestID: requestID)
        }

        var items: [IntercomErrorItem] = []
        if let parsed = try? JSONText.parse(bytes), let object = parsed.objectValue {
            requestID = object["request_id"]?.stringValue ?? requestID
            for entry in object["errors"]?.arrayValue ?? [] {
                guard let entry = entry.objectValue else { continue }
                items.append(
                    IntercomErrorItem(
                        code: entry["code"]?.stringValue ?? "unknown",
                        message: entry["message"]?.stringValue ?? "",
                        field: entry["field"]?.stringValue
                    )
                )
            }
        }
        let detail = items.isEmpty ? (response.status.reasonPhrase) : ""
        var error = IntercomError(
            kind: .http, status: status, errors: items, requestID: requestID, rateLimit: rateLimit, detail: detail
        )
        if status == 410, let link = response.headers.first(name: "Link") {
            // `Link: </contacts/ID>; rel="..."` (or a full URL) names the contact it was merged into.
            var target = Substring(link)
            if let open = target.firstIndex(of: "<"), let close = target[open...].firstIndex(of: ">") {
                target = target[target.index(after: open)..<close]
            }
            error.mergedInto = String(target)
        }
        throw error
    }

    static func rateLimit(from headers: HTTPHeaders) -> RateLimitInfo {
        var info = RateLimitInfo()
        info.limit = headers.first(name: "X-RateLimit-Limit").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        info.remaining = headers.first(name: "X-RateLimit-Remaining").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        info.reset = headers.first(name: "X-RateLimit-Reset").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        if let retry = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(retry), seconds.isFinite, seconds >= 0 {
                info.retryAfter = seconds
            } else if let date = IntercomAPI.httpDate(retry) {
                info.retryAfter = max(0, date.timeIntervalSinceNow)
            }
        }
        return info
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// Sorts a transport failure into what the replayer must do about it.
    ///
    /// TLS and proxy failures are named in ``TransportFailure``; the rest by their types.
    static func classify(_ error: any Error, afterResponse: Bool, route: Route) -> IntercomError {
        if error is CancellationError {
            return IntercomError(kind: .cancelled, detail: "cancelled")
        }
        if let named = TransportFailure.classify(error, route: route) {
            return named
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout:
                return IntercomError(kind: .timeout, detail: "timed out")
            case .connectTimeout:
                return IntercomError(kind: .unreachable, detail: "connect timed out")
            case .remoteConnectionClosed:
                return IntercomError(kind: afterResponse ? .connectionLost : .unreachable, detail: "connection closed by the server")
            case .cancelled:
                return IntercomError(kind: .cancelled, detail: "cancelled")
            default:
                break
            }
        }
        if afterResponse {
            return IntercomError(kind: .connectionLost, detail: IntercomAPI.describe(error))
        }
        if let connection = error as? NIOConnectionError, let proxy = route.proxy {
            // With a proxy, every connection goes to the proxy.
            let reason = connection.connectionErrors.first.map { IntercomAPI.describe($0.error) } ?? "cannot connect"
            return IntercomError(kind: .unreachable, detail: "cannot reach the proxy \(proxy) (\(reason))")
        }
        if error is NIOConnectionError || error is ChannelError || error is IOError || error is SocketAddressError {
            return IntercomError(kind: .unreachable, detail: IntercomAPI.describe(error))
        }
        return IntercomError(kind: .connectionLost, detail: IntercomAPI.describe(error))
    }

    /// A failure in words, without Swift type names or source paths.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                return "cannot connect to \(error.host):\(error.port) (\(describe(first.error)))"
            }
            if error.dnsAAAAError != nil || error.dnsAError != nil {
                return "cannot resolve \(error.host)"
            }
            return "cannot connect to \(error.host):\(error.port)"
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if error is SocketAddressError {
            return "cannot resolve the host"
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return "connect timed out"
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: return "the connection closed"
            default: return "the connection failed"
            }
        }
        if let error = error as? NIOSSLError, case .uncleanShutdown = error {
            return "the server closed the connection without ending TLS"
        }
        if let error = error as? HTTPClientError {
            // AsyncHTTPClient's own words ("Remote connection closed"), not its type name.
            return error.shortDescription.lowercased()
        }
        return "the connection failed"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension CharacterSet {
    static let urlPathSegmentAllowed: CharacterSet = {
        var set = CharacterSet.urlPathAllowed
        set.remove("/")
        return set
    }()

    static let urlQueryValueAllowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+#")
        return set
    }()
}
