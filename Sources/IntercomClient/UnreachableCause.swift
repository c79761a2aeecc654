import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

extension HTTPTransport {
    /// Why a call found the API unreachable, in a few words with the address it tried (the
    /// proxy's, when there is one): `connection refused by api.intercom.io:443`.
    static func unreachableCause(_ error: any Error, route: Route) -> String {
        let target = route.proxy.map { "the proxy \($0.address)" } ?? route.address
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                return cause(of: first.error, target: target)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "DNS lookup failed for \(target)"
            }
            return "no connection to \(target)"
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "no answer from \(target) (connect timed out)"
            case .deadlineExceeded, .readTimeout: return "no answer in time from \(target)"
            case .remoteConnectionClosed: return "connection closed by \(target)"
            default: return "no connection to \(target)"
            }
        }
        if error is SocketAddressError { return "DNS lookup failed for \(target)" }
        return cause(of: error, target: target)
    }

    private static func cause(of error: any Error, target: String) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused by \(target)"
            case ENETUNREACH, EHOSTUNREACH: return "no route to \(target)"
            case ETIMEDOUT: return "no answer from \(target) (connect timed out)"
            case ECONNRESET: return "connection reset by \(target)"
            default: return "\(String(cString: strerror(error.errnoCode)).lowercased()): \(target)"
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "no answer from \(target) (connect timed out)"
        }
        if error is SocketAddressError { return "DNS lookup failed for \(target)" }
        return "no connection to \(target)"
    }
}
