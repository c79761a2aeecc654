import Foundation
import IntercomClient
import Journal
import LeadModel

/// Where a setting came from: a flag, an environment variable, a line of the config file, or the default.
struct Origin: Sendable, CustomStringConvertible {
    let description: String

    static func flag(_ name: String) -> Origin { Origin(description: "flag \(name)") }
    static func environment(_ name: String) -> Origin { Origin(description: "environment \(name)") }
    static func config(_ file: ConfigFile, line: Int) -> Origin { Origin(description: "\(file.path):\(line)") }
    static let builtIn = Origin(description: "default")
}

/// A setting's value and where it came from.
struct Sourced<Value: Sendable>: Sendable {
    var value: Value
    var origin: Origin
}

/// Where the token comes from; the token itself is read only when needed and never shown.
enum TokenSource: Sendable {
    case file(String)
    case command(String)
    case environment(String)
    case none

    /// How `leadsh config` shows it: never the token.
    var shown: String {
        switch self {
        case .file(let path): return "set (token_file \(path))"
        case .command: return "set (token_command)"
        case .environment(let name): return "set (\(name))"
        case .none: return "not set"
        }
    }
}

/// Every setting of a run, resolved: flags, then `LEADSH_*` environment variables, then
/// the workspace's section of the config file, then the built-in defaults.
///
/// Without a config file the workspace is `default` and every path is what it was
/// before workspaces existed.
struct WorkspaceSettings: Sendable {
    var config: ConfigFile?
    /// Where the config file was looked for (shown by `leadsh config` even when absent).
    var configPath: Sourced<String>
    var workspace: Sourced<String>
    var endpoint: Sourced<Endpoint>
    var token: Sourced<TokenSource>
    var apiVersion: Sourced<APIVersion>
    /// The journal (the sandbox's own path is chosen at start-up).
    var journal: Sourced<String>
    var history: Sourced<String>
    var timeout: Sourced<Double>
    /// Days a sent or dropped update is kept (0: every update is kept): the section's `retention`.
    var retention = Sourced(value: Journal.defaultRetentionDays, origin: .builtIn)

    static func resolve(options: GlobalOptions, environment: [String: String]) throws(StartupError) -> WorkspaceSettings {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let home = env("HOME") ?? NSHomeDirectory()

        // The config file: --config, $LEADSH_CONFIG, else $XDG_CONFIG_HOME/leadsh/config.toml when it exists.
        let configPath: Sourced<String>
        var config: ConfigFile?
        if let path = options.config {
            configPath = Sourced(value: path, origin: .flag("--config"))
            config = try ConfigFile.load(path: expandTilde(path, home: home))
        } else if let path = env("LEADSH_CONFIG") {
            configPath = Sourced(value: path, origin: .environment("LEADSH_CONFIG"))
            config = try ConfigFile.load(path: expandTilde(path, home: home))
        } else {
            let path = (env("XDG_CONFIG_HOME") ?? home + "/.config") + "/leadsh/config.toml"
            configPath = Sourced(value: path, origin: .builtIn)
            if FileManager.default.fileExists(atPath: path) { config = try ConfigFile.load(path: path) }
        }

        // The workspace: -w, $LEADSH_WORKSPACE, the file's default, else `default`.
        let workspace: Sourced<String>
        if let name = options.workspace {
            workspace = Sourced(value: name, origin: .flag("--workspace"))
        } else if let name = env("LEADSH_WORKSPACE") {
            workspace = Sourced(value: name, origin: .environment("LEADSH_WORKSPACE"))
        } else if let config, let chosen = config.defaultWorkspace {
            workspace = Sourced(value: chosen.text, origin: .config(config, line: chosen.line))
        } else {
            workspace = Sourced(value: "default", origin: .builtIn)
        }
        let section = config?.workspace(named: workspace.value)
        if section == nil, workspace.value != "default" {
            guard let config else {
                throw .usage("no config file (\(configPath.value)) to define workspace \(workspace.value); see `leadsh --help`")
            }
            let names = config.workspaces.map(\.name).joined(separator: ", ")
            throw .usage("no workspace \(workspace.value) in \(config.path) (it has: \(names.isEmpty ? "none" : names))")
        }
        guard ConfigFile.isValidName(workspace.value) else {
            throw .usage("workspace name \(workspace.value) may hold only letters, digits, - and _")
        }
        func fromFile(_ key: String) -> (String, Origin)? {
            guard let config, let value = section?[key] else { return nil }
            return (value.text, .config(config, line: value.line))
        }
        func problem(_ key: String, _ message: String) -> StartupError {
            if let config, let value = section?[key] { return config.problem(value.line, message) }
            return .usage(message)
        }

        // The API: --base-url / --region, $LEADSH_BASE_URL, the section's base_url / region, else the US host.
        let endpoint: Sourced<Endpoint>
        if options.baseURL != nil, options.region != nil { throw .usage("pass --base-url or --region, not both") }
        if let base = options.baseURL {
            endpoint = Sourced(value: try parseEndpoint(base, problem: { .usage($0) }), origin: .flag("--base-url"))
        } else if let region = options.region {
            endpoint = Sourced(value: try parseRegion(region, problem: { .usage($0) }), origin: .flag("--region"))
        } else if let base = env("LEADSH_BASE_URL") {
            endpoint = Sourced(value: try parseEndpoint(base, problem: { .usage("LEADSH_BASE_URL: " + $0) }), origin: .environment("LEADSH_BASE_URL"))
        } else if let (base, origin) = fromFile("base_url") {
            endpoint = Sourced(value: try parseEndpoint(base, problem: { problem("base_url", $0) }), origin: origin)
        } else if let (region, origin) = fromFile("region") {
            endpoint = Sourced(value: try parseRegion(region, problem: { problem("region", $0) }), origin: origin)
        } else {
            endpoint = Sourced(value: .intercom, origin: .builtIn)
        }

        // The token: --token-file, $INTERCOM_TOKEN, the section's token_file / token_command / token_env.
        let token: Sourced<TokenSource>
        if let path = options.tokenFile {
            token = Sourced(value: .file(path), origin: .flag("--token-file"))
        } else if env("INTERCOM_TOKEN")?.trimmingWhitespaceAndNewlines().isEmpty == false {
            token = Sourced(value: .environment("INTERCOM_TOKEN"), origin: .environment("INTERCOM_TOKEN"))
        } else if let (path, origin) = fromFile("token_file") {
            token = Sourced(value: .file(expandTilde(path, home: home)), origin: origin)
        } else if let (command, origin) = fromFile("token_command") {
            token = Sourced(value: .command(command), origin: origin)
        } else if let (name, origin) = fromFile("token_env") {
            token = Sourced(value: .environment(name), origin: origin)
        } else {
            token = Sourced(value: .none, origin: .builtIn)
        }

        // The API version: --api-version, $LEADSH_API_VERSION, the section's api_version, else 2.14.
        let apiVersion: Sourced<APIVersion>
        if let given = options.apiVersion {
            do { apiVersion = Sourced(value: try APIVersion(given), origin: .flag("--api-version")) } catch {
                throw .usage("--api-version: " + error.description)
            }
        } else if let given = env("LEADSH_API_VERSION") {
            do { apiVersion = Sourced(value: try APIVersion(given), origin: .environment("LEADSH_API_VERSION")) } catch {
                throw .usage("LEADSH_API_VERSION: " + error.description)
            }
        } else if let (given, origin) = fromFile("api_version") {
            do { apiVersion = Sourced(value: try APIVersion(given), origin: origin) } catch {
                throw problem("api_version", "api_version: " + error.description)
            }
        } else {
            apiVersion = Sourced(value: .default, origin: .builtIn)
        }

        // Journal and history: flags, $LEADSH_JOURNAL, the section, else per workspace
        // (`default` keeps the paths leadsh always used).
        let folder = workspace.value == "default" ? "/leadsh/" : "/leadsh/\(workspace.value)/"
        let journal: Sourced<String>
        if let path = options.journal {
            journal = Sourced(value: path, origin: .flag("--journal"))
        } else if let path = env("LEADSH_JOURNAL") {
            journal = Sourced(value: path, origin: .environment("LEADSH_JOURNAL"))
        } else if let (path, origin) = fromFile("journal") {
            journal = Sourced(value: expandTilde(path, home: home), origin: origin)
        } else {
            journal = Sourced(value: (env("XDG_DATA_HOME") ?? home + "/.local/share") + folder + "journal.sqlite", origin: .builtIn)
        }
        let history: Sourced<String>
        if let path = options.history {
            history = Sourced(value: path, origin: .flag("--history"))
        } else if let path = env("LEADSH_HISTORY") {
            history = Sourced(value: path, origin: .environment("LEADSH_HISTORY"))
        } else if let (path, origin) = fromFile("history") {
            history = Sourced(value: expandTilde(path, home: home), origin: origin)
        } else {
            history = Sourced(value: (env("XDG_STATE_HOME") ?? home + "/.local/state") + folder + "history", origin: .builtIn)
        }

        let timeout: Sourced<Double>
        if let seconds = options.timeout {
            timeout = Sourced(value: seconds, origin: .flag("--timeout"))
        } else if let text = env("LEADSH_TIMEOUT") {
            guard let seconds = Double(text) else { throw .usage("LEADSH_TIMEOUT must be a number of seconds, not \(text)") }
            timeout = Sourced(value: seconds, origin: .environment("LEADSH_TIMEOUT"))
        } else if let config, let value = section?["timeout"], let seconds = value.number {
            timeout = Sourced(value: seconds, origin: .config(config, line: value.line))
        } else {
            timeout = Sourced(value: 30, origin: .builtIn)
        }
        guard timeout.value > 0 else {
            if let config, let value = section?["timeout"], options.timeout == nil, env("LEADSH_TIMEOUT") == nil {
                throw config.problem(value.line, "timeout must be positive")
            }
            throw .usage("--timeout must be positive and --wait not negative")
        }

        var settings = WorkspaceSettings(
            config: config, configPath: configPath, workspace: workspace, endpoint: endpoint, token: token,
            apiVersion: apiVersion, journal: journal, history: history, timeout: timeout)
        // Retention: the section's retention in days (0 keeps every update), else 30.
        if let config, let value = section?["retention"] {
            guard let days = value.number, days >= 0, days <= 36_500, days == days.rounded() else {
                throw config.problem(value.line, "retention must be a whole number of days from 0 (keep every update) to 36500, not \(value.text)")
            }
            settings.retention = Sourced(value: Int(days), origin: .config(config, line: value.line))
        }
        return settings
    }

    /// The journal of the sandbox: its own file, never the workspace's.
    static func sandboxJournalPath(environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return base + "/leadsh/sandbox-journal.sqlite"
    }

    /// Reads the token from where the settings say; nil when none is configured.
    func readToken(environment: [String: String]) async throws(StartupError) -> String? {
        switch token.value {
        case .none:
            return nil
        case .environment(let name):
            guard let value = environment[name]?.trimmingWhitespaceAndNewlines(), !value.isEmpty else {
                throw .usage("the token variable \(name) (token_env, \(token.origin)) is not set or empty")
            }
            return value
        case .file(let path):
            return try WorkspaceSettings.readTokenFile(path)
        case .command(let command):
            return try await TokenCommand.run(command, timeout: .seconds(max(1, Int64(timeout.value.rounded(.up)))), origin: token.origin.description)
        }
    }

    /// Reads a token file that only its owner can read.
    static func readTokenFile(_ path: String) throws(StartupError) -> String {
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
        let token = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        guard !token.isEmpty else { throw .usage("the token file \(path) is empty") }
        guard !token.contains(where: { $0.isNewline || $0 == " " }) else {
            throw .usage("the token file \(path) must hold the token alone on one line")
        }
        return token
    }

    private static func parseEndpoint(_ base: String, problem: (String) -> StartupError) throws(StartupError) -> Endpoint {
        do {
            return try Endpoint(base)
        } catch {
            throw problem(error.description)
        }
    }

    private static func parseRegion(_ region: String, problem: (String) -> StartupError) throws(StartupError) -> Endpoint {
        guard let r = Endpoint.Region(rawValue: region.lowercased()) else {
            throw problem("unknown region \(region); use us, eu or au")
        }
        return r.endpoint
    }

    static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }
}
