import Foundation
import IntercomClient
import LeadModel

/// A configuration problem found before anything runs (exit 2), or a journal that cannot be opened (exit 3).
struct StartupError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }

    static func usage(_ message: String) -> StartupError { StartupError(message: message, exitCode: ExitCodes.usage) }
}

/// The exit codes DESIGN promises.
public enum ExitCodes {
    public static let success: Int32 = 0
    public static let commandFailed: Int32 = 1
    public static let usage: Int32 = 2
    public static let journal: Int32 = 3
    public static let pending: Int32 = 4
    public static let failed: Int32 = 5
}

/// Where things live and how to reach Intercom, resolved from options and environment.
enum Resolved {
    /// The journal: `$LEADSH_JOURNAL` when set (never for the sandbox), else under `$XDG_DATA_HOME/leadsh/`.
    static func defaultJournalPath(environment: [String: String], sandbox: Bool) -> String {
        if !sandbox, let path = environment["LEADSH_JOURNAL"], !path.isEmpty { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return base + "/leadsh/" + (sandbox ? "sandbox-journal.sqlite" : "journal.sqlite")
    }

    static func defaultHistoryPath(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/state"
        return base + "/leadsh/history"
    }

    /// Reads the token from `INTERCOM_TOKEN` or a token file that only its owner can read.
    static func token(options: LeadshOptions, environment: [String: String]) throws(StartupError) -> String? {
        if let path = options.tokenFile {
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw .usage("cannot read the token file \(path): \(String(cString: strerror(errno)))")
            }
            if info.st_mode & 0o077 != 0 {
                throw .usage(
                    "the token file \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`"
                )
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .usage("cannot read the token file \(path)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw .usage("the token file \(path) is empty") }
            guard !token.contains(where: { $0.isNewline || $0 == " " }) else {
                throw .usage("the token file \(path) must hold the token alone on one line")
            }
            return token
        }
        if let token = environment["INTERCOM_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return token
        }
        return nil
    }

    /// The API version: `--api-version`, `$LEADSH_API_VERSION`, else 1.4.
    static func apiVersion(options: LeadshOptions, environment: [String: String]) throws(StartupError) -> APIVersion {
        let given = options.apiVersion ?? environment["LEADSH_API_VERSION"].flatMap { $0.isEmpty ? nil : $0 }
        guard let given else { return .default }
        do {
            return try APIVersion(given)
        } catch {
            let source = options.apiVersion == nil ? "LEADSH_API_VERSION: " : "--api-version: "
            throw .usage(source + error.description)
        }
    }

    /// The API: `--base-url`, `--region`, `$LEADSH_BASE_URL`, else Intercom's US host.
    static func endpoint(options: LeadshOptions, environment: [String: String]) throws(StartupError) -> Endpoint {
        var base = options.baseURL
        if base == nil, options.region == nil, let fromEnvironment = environment["LEADSH_BASE_URL"], !fromEnvironment.isEmpty {
            base = fromEnvironment
        }
        if let base {
            if options.region != nil { throw .usage("pass --base-url or --region, not both") }
            do {
                return try Endpoint(base)
            } catch {
                throw .usage(error.description)
            }
        }
        if let region = options.region {
            guard let r = Endpoint.Region(rawValue: region.lowercased()) else {
                throw .usage("unknown region \(region); use us, eu or au")
            }
            return try! Endpoint(r.baseURL)
        }
        return .intercom
    }

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
