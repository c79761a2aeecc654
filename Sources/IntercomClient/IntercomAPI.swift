import AsyncHTTPClient
import Foundation
import LeadModel
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Intercom's lead calls over HTTP: view a lead, update a lead, probe reachability.
///
/// A refused connection fails in milliseconds as `.unreachable` (the pool does
/// not retry connecting until the deadline). The HTTP client and its event loop
/// start with the first call, so commands that never reach the API pay nothing.
/// Call `shutdown()` when done.
public final class IntercomAPI: Sendable {
    public let configuration: IntercomConfiguration
    /// What carries the calls: HTTP by default, or what the caller gave.
    let transport: any IntercomTransport
    /// The rate-limit hold every call waits for and every answer feeds.
    public let rateHold = RateHold()
    /// Why the last call found the API unreachable (nil once an answer came): ``IntercomError/cause``.
    let lastUnreachable = Mutex<String?>(nil)
    /// The token's app, once `GET /me` named it: asked once per process.
    private let knownApp = Mutex<IntercomApp?>(nil)
    /// Responses larger than this are refused.
    static let maxBody = 8 << 20

    /// Keeps the configuration; builds nothing. Over HTTP (``HTTPTransport``) unless
    /// `transport` is given: the TLS settings, the CA certificates and the HTTP client come
    /// with the first call.
    public init(configuration: IntercomConfiguration, transport: (any IntercomTransport)? = nil) {
        self.configuration = configuration
        self.transport = transport ?? HTTPTransport(configuration: configuration)
    }

    /// Closes connections. Call once, when done with the client.
    public func shutdown() async {
        await transport.shutdown()
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
            } catch  where error.status == 404 {
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
            throw IntercomError(
                kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "expected a list of data attributes")
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
        let admin = object["id"]?.stringValue ?? object["id"]?.integerValue.map(String.init)
        return IntercomApp(id: id, name: app["name"]?.stringValue, adminID: admin)
    }

    struct RawResponse {
        var status: Int
        var body: [UInt8]
        var rateLimit: RateLimitInfo
        var requestID: String?
    }

    func contact(from raw: RawResponse) throws(IntercomError) -> IntercomResponse<Contact> {
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
}
