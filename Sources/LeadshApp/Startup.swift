import Foundation
import IntercomClient
import LeadModel
import Session

/// A configuration problem found before anything runs (exit 2), or a journal that cannot be opened (exit 3).
struct StartupError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }

    static func usage(_ message: String) -> StartupError { StartupError(message: message, exitCode: ExitCode.usage) }
}

/// How calls travel, resolved from options and environment (the rest: ``WorkspaceSettings``).
enum Resolved {
    /// How calls travel: the extra CA bundle (`--ca-file`, else `$SSL_CERT_FILE`) and the proxy
    /// (`--proxy`, else `$https_proxy`/`$HTTPS_PROXY`, less `$no_proxy`/`$NO_PROXY`).
    ///
    /// A CA file that is missing or holds no certificate, or a proxy URL leadsh cannot use, is refused (exit 2).
    /// `caFile` and `proxy` are the explicit settings (the options; a config file's values can come in here).
    static func transport(
        caFile: String?, proxy: String?, endpoint: Endpoint, environment: [String: String]
    ) throws(StartupError) -> (trust: TrustBundle?, proxy: ProxySetting?) {
        var trust: TrustBundle?
        let fromEnvironment = environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let path = caFile ?? fromEnvironment {
            do {
                trust = try TrustBundle(path: path)
            } catch {
                throw .usage(caFile == nil ? "SSL_CERT_FILE: \(error.message)" : error.message)
            }
        }
        do {
            return (trust, try ProxySetting.resolve(for: endpoint, flag: proxy, environment: environment))
        } catch {
            throw .usage(error.message)
        }
    }
}
