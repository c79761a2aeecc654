import AsyncHTTPClient
import Foundation
import LeadModel
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
    /// The clock requests wait on for a rate-limit hold (``RateHold``).
    public var clock: any WallClock = SystemClock()
    /// The longest a request waits for a rate-limit hold before it fails as rate limited
    /// (the replay then waits on its own terms, within `sync --wait`).
    public var maxHoldWait: Double = 60

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
    /// The admin the token acts as (`GET /me`'s own `id`): a note's author.
    public var adminID: String?

    public init(id: String, name: String? = nil, adminID: String? = nil) {
        self.id = id
        self.name = name
        self.adminID = adminID
    }
}

/// A note on a contact, as `GET /contacts/{id}/notes` (2.x) or `GET /notes` (1.x) lists it.
public struct IntercomNote: Sendable, Hashable {
    public var id: String
    /// As Intercom stores it: HTML (`<p>TEXT</p>`).
    public var body: String
    public var createdAt: Int64?
    public var authorID: String?

    public init(id: String, body: String, createdAt: Int64?, authorID: String?) {
        self.id = id
        self.body = body
        self.createdAt = createdAt
        self.authorID = authorID
    }

    init?(json: JSONObject) {
        guard let id = json["id"]?.stringValue ?? json["id"]?.integerValue.map(String.init) else { return nil }
        self.id = id
        body = json["body"]?.stringValue ?? ""
        createdAt = json["created_at"]?.integerValue
        let author = json["author"]?.objectValue
        authorID = author?["id"]?.stringValue ?? author?["id"]?.integerValue.map(String.init)
    }

    /// The note's text as a person reads it: tags removed, the five entities HTML escapes
    /// decoded, runs of white space made one space. leadsh recognises its own note by this.
    public var text: String { IntercomNote.plainText(body) }

    /// `<p>Called &amp; left a message</p>` → `Called & left a message`.
    public static func plainText(_ html: String) -> String {
        var out = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
                out.append(" ")
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                out.append(character)
            }
        }
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: character)
        }
        return out.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
    }
}
