import AsyncHTTPClient
import Foundation
import NIOSSL

/// A setting for the network path that leadsh refuses at start (exit 2).
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A PEM bundle of CA certificates trusted on top of the system's roots (`--ca-file`, `SSL_CERT_FILE`).
///
/// Verification is never turned off: the bundle only adds roots. Making one only checks the
/// file (it exists, can be read, and has a `BEGIN CERTIFICATE` line); the certificates are
/// parsed when the first HTTPS client is built (``certificates()``), so a start that makes no
/// call (`-c quit`, `--offline`) never parses the 100-odd roots of a system bundle.
public struct TrustBundle: Sendable {
    /// The file it is read from, for messages.
    public let path: String

    /// The line every PEM certificate starts with.
    static let beginMarker = Array("-----BEGIN CERTIFICATE-----".utf8)

    /// Checks that the file at `path` exists, can be read, and has a PEM certificate's first line.
    ///
    /// - Throws: `TransportError` when the file is missing, unreadable, or holds no
    ///   `-----BEGIN CERTIFICATE-----` line.
    public init(path: String) throws(TransportError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TransportError("the CA file \(path) does not exist")
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR, let found = TrustBundle.hasBeginMarker(path: path) else {
            throw TransportError("cannot read the CA file \(path)")
        }
        guard found else {
            throw TransportError("the CA file \(path) holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)")
        }
        self.path = path
    }

    /// Whether the file has a `-----BEGIN CERTIFICATE-----` line, reading only up to the first;
    /// nil when it cannot be opened or read.
    static func hasBeginMarker(path: String) -> Bool? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let marker = beginMarker
        var window: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return false }
            // The last marker.count - 1 bytes of the previous chunk, then this one: a marker
            // split between two reads is still found.
            window.append(contentsOf: chunk[..<count])
            if TrustBundle.contains(window, marker) { return true }
            window.removeFirst(max(0, window.count - (marker.count - 1)))
        }
    }

    /// Whether `bytes` contains `needle` (not empty).
    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count, let first = needle.first else { return false }
        var start = 0
        let last = bytes.count - needle.count
        while start <= last {
            guard let at = bytes[start...last].firstIndex(of: first) else { return false }
            if bytes[at..<(at + needle.count)].elementsEqual(needle) { return true }
            start = at + 1
        }
        return false
    }

    /// Parses every certificate in the file.
    ///
    /// - Throws: `TransportError` naming the file when it cannot be read any more or a
    ///   certificate in it cannot be parsed.
    func certificates() throws(TransportError) -> [NIOSSLCertificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TransportError("cannot read the CA file \(path)")
        }
        let certificates = (try? NIOSSLCertificate.fromPEMBytes(Array(data))) ?? []
        guard !certificates.isEmpty else {
            throw TransportError(
                "the CA file \(path) holds no certificate leadsh can read (a -----BEGIN CERTIFICATE----- block is damaged); fix or replace it, or pass another with --ca-file"
            )
        }
        return certificates
    }

    /// How many certificates the bundle holds (parses the file).
    public var count: Int {
        get throws(TransportError) { try certificates().count }
    }
}

/// An HTTP proxy that `https://` requests go through with `CONNECT`.
///
/// Its credentials are used for `Proxy-Authorization` and never shown: ``description``
/// prints them as `[redacted]`.
public struct ProxySetting: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    let username: String?
    let password: String?

    /// Parses `http://[user:password@]host[:port]` (the scheme may be left out; the port defaults to 1080, as in curl).
    ///
    /// - Throws: `TransportError` for anything else, such as an `https://` or SOCKS proxy.
    public init(_ text: String) throws(TransportError) {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.contains("://") { trimmed = "http://" + trimmed }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            var host = components.host, !host.isEmpty
        else {
            throw TransportError("the proxy \(ProxySetting.redacting(text)) is not a URL; expected http://host:port")
        }
        guard scheme == "http" else {
            throw TransportError(
                "the proxy \(ProxySetting.redacting(text)) uses \(scheme)://; only http:// proxies are supported (requests still go through them encrypted, with CONNECT)"
            )
        }
        guard components.path.isEmpty, components.query == nil, components.fragment == nil else {
            throw TransportError("the proxy \(ProxySetting.redacting(text)) has a path or query; expected http://host:port")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? 1080
        guard (1...65535).contains(port) else { throw TransportError("the proxy port \(port) is out of range") }
        self.host = host
        self.port = port
        username = components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 }
        password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
    }

    /// Whether the URL carried credentials.
    public var hasCredentials: Bool { username != nil || password != nil }

    /// `http://[redacted]@host:port`: safe to print.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(hasCredentials ? "[redacted]@" : "")\(shownHost):\(port)"
    }

    /// `host:port`, for messages.
    var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var configuration: HTTPClient.Configuration.Proxy {
        let authorization = hasCredentials ? HTTPClient.Authorization.basic(username: username ?? "", password: password ?? "") : nil
        return .server(host: host, port: port, authorization: authorization)
    }

    /// `user:password` in base64, for `Proxy-Authorization: Basic`.
    var basicCredentials: String? {
        hasCredentials ? Data("\(username ?? ""):\(password ?? "")".utf8).base64EncodedString() : nil
    }

    /// The secrets in the URL, for redacting them from anything printed.
    public var secrets: [String] { [password].compactMap { $0 }.filter { !$0.isEmpty } }

    /// A proxy URL as typed, with anything between `//` and `@` redacted: for messages about a URL that did not parse.
    static func redacting(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://")?.upperBound ?? text.startIndex
        guard start <= at else { return text }
        return String(text[..<start]) + "[redacted]" + String(text[at...])
    }

    /// The proxy for requests to `endpoint`, the way curl decides it for `https://` URLs.
    ///
    /// - `flag` (`--proxy`) wins over `https_proxy`, then `HTTPS_PROXY`; an empty value means no proxy.
    /// - `no_proxy`, then `NO_PROXY`, lists hosts that bypass the proxy (see ``NoProxy``).
    /// - Plain `http://` (allowed only to loopback hosts) never goes through a proxy.
    public static func resolve(for endpoint: Endpoint, flag: String?, environment: [String: String]) throws(TransportError) -> ProxySetting? {
        guard endpoint.isHTTPS else { return nil }
        let chosen = flag ?? environment["https_proxy"] ?? environment["HTTPS_PROXY"]
        guard let chosen, !chosen.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let proxy = try ProxySetting(chosen)
        let noProxy = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        if NoProxy(noProxy).bypasses(host: endpoint.host) { return nil }
        return proxy
    }
}

/// `NO_PROXY` as curl reads it: a list of names separated by commas or spaces.
///
/// - `*` alone: every host bypasses the proxy.
/// - A name (`example.com` or `.example.com`): that host and every host under it.
/// - An IP address: that address; with `/bits` (CIDR), every address in that range.
/// - A `:port` after a name is ignored: the entry matches the host on any port.
public struct NoProxy: Sendable {
    let entries: [String]

    public init(_ text: String) {
        entries = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
            .map { $0.lowercased() }
            .filter { !$0.isEmpty }
    }

    public func bypasses(host rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        let hostAddress = ipAddressBytes(host)
        for var entry in entries {
            if entry == "*" { return true }
            if let address = hostAddress {
                if entry.hasPrefix("[") {
                    entry = String(entry.dropFirst())
                    if let close = entry.firstIndex(of: "]") { entry = String(entry[..<close]) }
                }
                let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
                var name = parts.first ?? ""
                if parts.count == 1, ipAddressBytes(name) == nil, let colon = name.lastIndex(of: ":"), !name.contains("::"),
                    name.filter({ $0 == ":" }).count == 1
                {
                    name = String(name[..<colon])  // 127.0.0.1:8080
                }
                guard let network = ipAddressBytes(name), network.count == address.count else { continue }
                let bits = parts.count == 2 ? Int(parts[1]) ?? -1 : network.count * 8
                guard (0...(network.count * 8)).contains(bits) else { continue }
                if prefixMatches(address, network, bits: bits) { return true }
                continue
            }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if entry.hasSuffix(".") { entry.removeLast() }
            if let colon = entry.lastIndex(of: ":") { entry = String(entry[..<colon]) }
            guard !entry.isEmpty else { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }
}

/// The bytes of an IPv4 or IPv6 address in text, or nil for a name.
func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
        return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
}

/// Whether the first `bits` bits of two addresses agree.
func prefixMatches(_ address: [UInt8], _ network: [UInt8], bits: Int) -> Bool {
    var remaining = bits
    for index in address.indices {
        if remaining <= 0 { return true }
        let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
        if address[index] & mask != network[index] & mask { return false }
        remaining -= 8
    }
    return true
}

extension Endpoint {
    /// True for `https://` base URLs.
    public var isHTTPS: Bool { baseURL.lowercased().hasPrefix("https://") }
}
