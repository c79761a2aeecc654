import Foundation

/// Where the Intercom API lives, checked so the token never travels unencrypted.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// Scheme, host and port, without a trailing slash: `https://api.intercom.io`.
    public let baseURL: String
    public let host: String
    public let isLoopback: Bool
    /// The port requests go to: the URL's, else 443 for https and 80 for http.
    public let port: Int

    /// Intercom's regional API hosts.
    public enum Region: String, Sendable, CaseIterable {
        case us, eu, au

        public var baseURL: String { "https://" + host }

        /// The region's API host.
        public var host: String {
            switch self {
            case .us: return "api.intercom.io"
            case .eu: return "api.eu.intercom.io"
            case .au: return "api.au.intercom.io"
            }
        }

        /// The region's endpoint, as `Endpoint(baseURL)` makes it, without parsing a URL
        /// (Foundation's URL parser costs over a million instructions the first time).
        public var endpoint: Endpoint { Endpoint(baseURL: baseURL, host: host, isLoopback: false, port: 443) }
    }

    public static let intercom = Region.us.endpoint

    private init(baseURL: String, host: String, isLoopback: Bool, port: Int) {
        self.baseURL = baseURL
        self.host = host
        self.isLoopback = isLoopback
        self.port = port
    }

    /// Checks a base URL.
    ///
    /// - Throws: `EndpointError` for anything but `https://`, or `http://` to a
    ///   loopback host (127.0.0.0/8, `::1`, `localhost`).
    public init(_ text: String) throws(EndpointError) {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw EndpointError(url: text, reason: "it is not a URL; expected something like https://api.intercom.io")
        }
        guard components.query == nil, components.fragment == nil else {
            throw EndpointError(url: text, reason: "a base URL cannot carry a query or fragment")
        }
        guard components.user == nil, components.password == nil else {
            throw EndpointError(url: text, reason: "a base URL cannot carry credentials; use INTERCOM_TOKEN")
        }
        let loopback = Endpoint.isLoopbackHost(host)
        switch scheme {
        case "https":
            break
        case "http":
            guard loopback else {
                throw EndpointError(
                    url: text,
                    reason:
                        "plain http:// would send the token unencrypted to \(host); use https:// (http:// is allowed only for loopback hosts such as 127.0.0.1 or localhost)"
                )
            }
        default:
            throw EndpointError(url: text, reason: "the scheme \(scheme):// is not supported; use https://")
        }
        self.baseURL = trimmed
        self.host = host
        self.isLoopback = loopback
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
    }

    public var description: String { baseURL }

    /// True for 127.0.0.0/8, `::1` and `localhost`.
    public static func isLoopbackHost(_ rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in UInt8(part) != nil }
    }
}

/// A base URL that leadsh refuses.
public struct EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "refusing base URL \(url): \(reason)" }
}
