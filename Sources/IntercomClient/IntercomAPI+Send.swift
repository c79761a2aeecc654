import AsyncHTTPClient
import Foundation
import LeadModel
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Sending one request: the HTTP exchange, its classification, and the `--verbose` record.
extension IntercomAPI {
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
            response = try await http().execute(request, timeout: timeout)
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
