import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Carries calls over HTTP with AsyncHTTPClient: sockets, TLS verified against the system's
/// roots plus the CA file, the proxy. The client and its event loop start with the first
/// call, so commands that never reach the API pay nothing.
///
/// A refused connection fails in milliseconds as `.unreachable` (the pool does not retry
/// connecting until the deadline). TLS and proxy failures are named in ``TransportFailure``.
public final class HTTPTransport: IntercomTransport {
    let configuration: IntercomConfiguration
    /// Where calls go, for naming TLS and proxy failures.
    let route: Route
    /// The HTTP client, built by the first call; or why it could not be (a CA file whose
    /// certificates do not parse), kept so later calls fail the same way without reading it again.
    private let client = Mutex<Result<HTTPClient, IntercomError>?>(nil)

    public init(configuration: IntercomConfiguration) {
        self.configuration = configuration
        route = Route(
            endpoint: configuration.endpoint, proxy: configuration.endpoint.isHTTPS ? configuration.proxy : nil,
            trust: configuration.trust)
    }

    /// The HTTP client's settings: no connect retries, the timeouts, no redirects, the extra CA
    /// certificates, the proxy.
    ///
    /// - Throws: `IntercomError` of kind `.tls` naming the CA file when its certificates do not parse.
    func httpConfiguration() throws(IntercomError) -> HTTPClient.Configuration {
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
            do {
                tls.additionalTrustRoots = [.certificates(try trust.certificates())]
            } catch {
                throw IntercomError(kind: .tls, detail: "TLS: \(error.message)")
            }
        }
        httpConfiguration.tlsConfiguration = tls
        if configuration.endpoint.isHTTPS, let proxy = configuration.proxy {
            httpConfiguration.proxy = proxy.configuration
        }
        return httpConfiguration
    }

    /// The HTTP client, built on first use.
    func http() throws(IntercomError) -> HTTPClient {
        let result = client.withLock { client in
            if let client { return client }
            let created = Result { () throws(IntercomError) -> HTTPClient in
                HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: try httpConfiguration())
            }
            client = created
            return created
        }
        return try result.get()
    }

    /// Closes connections. Call once, when done with the client.
    public func shutdown() async {
        let started = client.withLock { $0 }
        if case .success(let started) = started {
            try? await started.shutdown()
        }
    }

    public func exchange(_ request: TransportRequest, timeout: Duration) async throws(IntercomError) -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await http().execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
            let bytes: [UInt8]
            do {
                var buffer = try await response.body.collect(upTo: IntercomAPI.maxBody)
                bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                throw HTTPTransport.classify(error, afterResponse: true, route: route)
            }
            return TransportResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: bytes)
        } catch let error as IntercomError {
            throw error
        } catch {
            if TransportFailure.isCertificateRejected(error) {
                // Untrusted or expired: the error does not say which; the certificate does.
                throw await TransportFailure.certificateProblem(route, timeout: configuration.connectTimeout)
            } else if let refusal = error as? HTTPClientError, refusal == .invalidProxyResponse {
                // Refused by the proxy: the error does not carry the status; asking again does.
                throw await TransportFailure.proxyProblem(route, timeout: configuration.connectTimeout)
            }
            var failure = HTTPTransport.classify(error, afterResponse: false, route: route)
            if failure.isUnreachable { failure.cause = HTTPTransport.unreachableCause(error, route: route) }
            throw failure
        }
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
            return IntercomError(kind: .connectionLost, detail: HTTPTransport.describe(error))
        }
        if let connection = error as? NIOConnectionError, let proxy = route.proxy {
            // With a proxy, every connection goes to the proxy.
            let reason = connection.connectionErrors.first.map { HTTPTransport.describe($0.error) } ?? "cannot connect"
            return IntercomError(kind: .unreachable, detail: "cannot reach the proxy \(proxy) (\(reason))")
        }
        if error is NIOConnectionError || error is ChannelError || error is IOError || error is SocketAddressError {
            return IntercomError(kind: .unreachable, detail: HTTPTransport.describe(error))
        }
        return IntercomError(kind: .connectionLost, detail: HTTPTransport.describe(error))
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
