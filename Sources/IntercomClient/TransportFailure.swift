import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Where a call goes: the API's host and port, and the proxy and extra trust on the way.
struct Route: Sendable {
    var host: String
    var port: Int
    var proxy: ProxySetting?
    var trust: TrustBundle?

    init(endpoint: Endpoint, proxy: ProxySetting?, trust: TrustBundle?) {
        var host = endpoint.host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        port = endpoint.port
        self.proxy = proxy
        self.trust = trust
    }

    var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Names TLS and proxy failures: one line each, saying what happened and what to do.
///
/// These are settings to change, not a flaky network: the replayer stops at the first
/// one and keeps every update pending (``IntercomError/Kind/tls``, ``IntercomError/Kind/proxy``).
enum TransportFailure {
    /// BoringSSL's reason codes (`SSL_R_*` in `ssl.h`) that leadsh names.
    enum Reason {
        static let certificateVerifyFailed: UInt32 = 125
        static let noSharedCipher: UInt32 = 184
        static let unsupportedProtocol: UInt32 = 240
        static let wrongVersionNumber: UInt32 = 247
        static let noSharedGroup: UInt32 = 266
        static let alertHandshakeFailure: UInt32 = 1040
        static let alertProtocolVersion: UInt32 = 1070
        static let alertCertificateRequired: UInt32 = 1116
    }
    static let libSSL: UInt32 = 16

    /// The `SSL_R_*` reasons in a handshake failure.
    ///
    /// `BoringSSLInternalError` keeps its packed error code private; its description starts
    /// with that code in decimal (`Error: 268435581 error:…`), which is read here as a number,
    /// library and reason (`ERR_GET_LIB`, `ERR_GET_REASON`), never matched as words.
    static func reasons(_ stack: NIOBoringSSLErrorStack) -> [UInt32] {
        stack.compactMap { item in
            let text = item.description
            guard text.hasPrefix("Error: "), let packed = UInt32(text.dropFirst(7).prefix(while: \.isNumber)) else { return nil }
            guard (packed >> 24) & 0xff == libSSL else { return nil }
            return packed & 0xfff
        }
    }

    /// Whether `error` is a certificate that failed verification (untrusted, expired, not yet valid).
    static func isCertificateRejected(_ error: any Error) -> Bool {
        guard case .handshakeFailed(let boring)? = error as? NIOSSLError else { return false }
        switch boring {
        case .sslError(let stack), .unknownError(let stack):
            return reasons(stack).contains(Reason.certificateVerifyFailed)
        default:
            return false
        }
    }

    /// The TLS or proxy failure `error` stands for, or nil when it is neither.
    static func classify(_ error: any Error, route: Route) -> IntercomError? {
        if let error = error as? HTTPClientError {
            switch error {
            case .proxyAuthenticationRequired:
                guard let proxy = route.proxy else { break }
                return IntercomError(
                    kind: .proxy,
                    detail: proxy.hasCredentials
                        ? "proxy: \(proxy) rejected the credentials in the proxy URL (407 Proxy Authentication Required)"
                        : "proxy: \(proxy) asks for credentials (407 Proxy Authentication Required); give them in the proxy URL, http://USER:PASSWORD@\(proxy.address)"
                )
            case .invalidProxyResponse:
                guard let proxy = route.proxy else { break }
                return IntercomError(
                    kind: .proxy,
                    detail:
                        "proxy: \(proxy) refused to open a tunnel to \(route.address) (it answered CONNECT with an error such as 403 or 502); check the proxy's rules, or list \(route.host) in NO_PROXY"
                )
            case .httpProxyHandshakeTimeout:
                let proxy = route.proxy.map(\.description) ?? "the proxy"
                return IntercomError(kind: .timeout, detail: "\(proxy) did not answer CONNECT in time")
            case .tlsHandshakeTimeout:
                return IntercomError(kind: .timeout, detail: "the TLS handshake with \(route.address) did not finish in time")
            default:
                break
            }
            return nil
        }
        if let error = error as? NIOSSLExtraError {
            if error == .failedToValidateHostname || error == .serverHostnameImpossibleToMatch {
                return IntercomError(
                    kind: .tls,
                    detail: "TLS: hostname mismatch: the certificate presented by \(route.address) is not issued for \(route.host); check --base-url"
                        + (route.proxy != nil ? " (or the proxy intercepts TLS)" : ""))
            }
            return IntercomError(kind: .tls, detail: "TLS: the handshake with \(route.address) failed")
        }
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed(let boring):
                return IntercomError(kind: .tls, detail: handshakeMessage(boring, route: route))
            case .noCertificateToValidate:
                return IntercomError(kind: .tls, detail: "TLS: \(route.address) presented no certificate")
            case .unableToValidateCertificate, .cannotMatchULabel, .cannotFindPeerIP:
                return IntercomError(kind: .tls, detail: "TLS: the certificate of \(route.address) could not be checked against \(route.host)")
            default:
                return nil
            }
        }
        return nil
    }

    private static func handshakeMessage(_ boring: BoringSSLError, route: Route) -> String {
        let stack: NIOBoringSSLErrorStack
        switch boring {
        case .sslError(let s), .unknownError(let s): stack = s
        case .syscallError, .zeroReturn:
            return "TLS: the handshake with \(route.address) failed: the server closed the connection"
        default:
            return "TLS: the handshake with \(route.address) failed"
        }
        if stack.contains(.eofDuringHandshake) {
            return "TLS: the handshake with \(route.address) failed: the server closed the connection during the handshake"
        }
        let reasons = reasons(stack)
        if reasons.contains(Reason.certificateVerifyFailed) { return untrusted(route) }
        let why: String
        switch reasons.first {
        case Reason.wrongVersionNumber?:
            why = "the server does not speak TLS on this port"
        case Reason.noSharedCipher?, Reason.noSharedGroup?, Reason.unsupportedProtocol?, Reason.alertHandshakeFailure?,
            Reason.alertProtocolVersion?:
            why = "no TLS version or cipher in common (leadsh needs TLS 1.2 or later)"
        case Reason.alertCertificateRequired?:
            why = "the server asks for a client certificate, which leadsh does not send"
        case let reason?:
            why = "TLS error \(reason)"
        case nil:
            why = "the server broke off the handshake"
        }
        return "TLS: the handshake with \(route.address) failed: \(why)"
    }

    /// The message for a certificate no trusted CA signed.
    static func untrusted(_ route: Route) -> String {
        var text = "TLS: untrusted certificate: \(route.host) presented a certificate that no CA leadsh trusts has signed (self-signed, or from a private CA"
        if route.proxy != nil { text += ", or a proxy that inspects TLS" }
        text += "); "
        if let trust = route.trust {
            text += "the system roots and \(trust.path) do not cover it; pass the CA that issued it with --ca-file PATH"
        } else {
            text += "pass the CA's PEM bundle with --ca-file PATH (or SSL_CERT_FILE)"
        }
        return text
    }

    /// Names a rejected certificate precisely: reads the certificate the server presents
    /// (through the proxy, if any) and checks its dates; otherwise it is untrusted.
    static func certificateProblem(_ route: Route, timeout: Duration) async -> IntercomError {
        let leaf = await CertificateInspector.presentedLeaf(route: route, timeout: timeout)
        let now = time(nil)
        if let leaf {
            if leaf.notValidAfter < now {
                return IntercomError(
                    kind: .tls,
                    detail:
                        "TLS: expired certificate: the certificate of \(route.host) expired on \(utc(leaf.notValidAfter)); the server must renew it (or this machine's clock is wrong)"
                )
            }
            if leaf.notValidBefore > now {
                return IntercomError(
                    kind: .tls,
                    detail: "TLS: the certificate of \(route.host) is not valid before \(utc(leaf.notValidBefore)); check this machine's clock")
            }
        }
        return IntercomError(kind: .tls, detail: untrusted(route))
    }

    /// Names a proxy's refusal by the status it gives (a second `CONNECT`, nothing sent through it).
    static func proxyProblem(_ route: Route, timeout: Duration) async -> IntercomError {
        guard let proxy = route.proxy else { return IntercomError(kind: .proxy, detail: "proxy: the proxy refused the tunnel") }
        let status = await ProxyInspector.connectStatus(route: route, proxy: proxy, timeout: timeout)
        let code = status.flatMap { Int($0.prefix { $0.isNumber }) }
        if code == 407 {
            return classify(HTTPClientError.proxyAuthenticationRequired, route: route) ?? IntercomError(kind: .proxy)
        }
        if code == 401, proxy.hasCredentials {
            return IntercomError(kind: .proxy, detail: "proxy: \(proxy) rejected the credentials in the proxy URL (\(status ?? "401"))")
        }
        guard let status, code.map({ !(200..<300).contains($0) }) ?? false else {
            return classify(HTTPClientError.invalidProxyResponse, route: route) ?? IntercomError(kind: .proxy)
        }
        let printable = String(status.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7f }.map(Character.init))
        return IntercomError(
            kind: .proxy,
            detail:
                "proxy: \(proxy) refused to open a tunnel to \(route.address) (CONNECT answered \(printable)); check the proxy's rules, or list \(route.host) in NO_PROXY"
        )
    }

    private static func utc(_ seconds: time_t) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

/// Reads the certificate a server presents, without trusting it and without sending anything over it.
///
/// Used only to name why verification failed: the handshake is always refused.
enum CertificateInspector {
    private final class Captured: Sendable {
        let leaf = Mutex<NIOSSLCertificate?>(nil)
    }

    static func presentedLeaf(route: Route, timeout: Duration) async -> NIOSSLCertificate? {
        let captured = Captured()
        guard let context = try? NIOSSLContext(configuration: .makeClientConfiguration()) else { return nil }
        let serverName: String? = ipAddressBytes(route.host) == nil ? route.host : nil
        let route = route
        let makeTLS: @Sendable () throws -> NIOSSLClientHandler = {
            try NIOSSLClientHandler(
                context: context, serverHostname: serverName,
                customVerificationCallback: { (certificates: [NIOSSLCertificate], promise: EventLoopPromise<NIOSSLVerificationResult>) in
                    captured.leaf.withLock { $0 = certificates.first }
                    promise.succeed(.failed)
                })
        }
        let timeAmount = TimeAmount.nanoseconds(timeout.nanoseconds)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let proxy = route.proxy {
                        try channel.pipeline.syncOperations.addHandler(ConnectTunnel(route: route, proxy: proxy, then: makeTLS))
                    } else {
                        try channel.pipeline.syncOperations.addHandler(makeTLS())
                    }
                }
            }
        do {
            let channel = try await bootstrap.connect(host: route.proxy?.host ?? route.host, port: route.proxy?.port ?? route.port).get()
            channel.eventLoop.scheduleTask(in: timeAmount) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
        } catch {
            return nil
        }
        return captured.leaf.withLock { $0 }
    }
}

/// Asks the proxy for a tunnel once more, to read the status it refuses with
/// (AsyncHTTPClient reports any refusal but 407 without it).
enum ProxyInspector {
    private final class Captured: Sendable {
        let status = Mutex<String?>(nil)
    }

    /// The status line's code and reason, `403 Forbidden`, or nil when none came.
    static func connectStatus(route: Route, proxy: ProxySetting, timeout: Duration) async -> String? {
        let captured = Captured()
        let timeAmount = TimeAmount.nanoseconds(timeout.nanoseconds)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeAmount)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectTunnel(route: route, proxy: proxy, then: nil, onStatus: { line in captured.status.withLock { $0 = line } }))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: proxy.host, port: proxy.port).get()
            channel.eventLoop.scheduleTask(in: timeAmount) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
        } catch {
            return nil
        }
        return captured.status.withLock { $0 }
    }
}

/// Opens a `CONNECT` tunnel through an HTTP proxy, then hands the channel to a TLS handler.
private final class ConnectTunnel: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let route: Route
    private let proxy: ProxySetting
    private let then: (@Sendable () throws -> NIOSSLClientHandler)?
    private let onStatus: @Sendable (String) -> Void
    private var received = ByteBuffer()

    /// - Parameters:
    ///   - then: the TLS handler to add once the tunnel is open; nil closes the channel instead.
    ///   - onStatus: called with the proxy's status, `403 Forbidden`.
    init(
        route: Route, proxy: ProxySetting, then: (@Sendable () throws -> NIOSSLClientHandler)?,
        onStatus: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.route = route
        self.proxy = proxy
        self.then = then
        self.onStatus = onStatus
    }

    func channelActive(context: ChannelHandlerContext) {
        var request = "CONNECT \(route.address) HTTP/1.1\r\nHost: \(route.address)\r\n"
        if let credentials = proxy.basicCredentials {
            request += "Proxy-Authorization: Basic \(credentials)\r\n"
        }
        request += "\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        let text = String(buffer: received)
        guard text.contains("\r\n\r\n") || text.contains("\n\n") else { return }
        // By scalars: "\r\n" is one Character.
        let statusLine = String(String.UnicodeScalarView(text.unicodeScalars.prefix { $0 != "\r" && $0 != "\n" }))
        let parts = statusLine.split(separator: " ", maxSplits: 1)
        if parts.count == 2 { onStatus(String(parts[1].prefix(80))) }
        guard parts.count == 2, parts[1].hasPrefix("2"), let then else {
            context.close(promise: nil)
            return
        }
        do {
            let tls = try then()
            try context.pipeline.syncOperations.addHandler(tls, position: .after(self))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }
}
