import Foundation
import Journal
import LeadModel

/// `leadsh config`, `leadsh workspaces`, and the advice in a wrong-app refusal.
enum ConfigReport {
    /// The resolved settings and where each came from; the token only as where it is read from.
    static func render(_ settings: WorkspaceSettings, json: Bool) -> String {
        let rows: [(String, String, Origin)] = [
            ("config", settings.config == nil ? "\(settings.configPath.value) (none)" : settings.configPath.value, settings.configPath.origin),
            ("workspace", settings.workspace.value, settings.workspace.origin),
            ("base_url", settings.endpoint.value.baseURL, settings.endpoint.origin),
            ("token", settings.token.value.shown, settings.token.origin),
            ("api_version", settings.apiVersion.value.description, settings.apiVersion.origin),
            ("journal", settings.journal.value, settings.journal.origin),
            ("history", settings.history.value, settings.history.origin),
            ("timeout", formatSeconds(settings.timeout.value), settings.timeout.origin),
        ]
        if json {
            var object = JSONObject()
            for (key, value, origin) in rows {
                object[key] = .object(JSONObject([("value", .string(value)), ("from", .string(origin.description))]))
            }
            return JSONText.serialize(.object(object)) + "\n"
        }
        let width = rows.map(\.1.count).max() ?? 0
        return rows.map { key, value, origin in
            key.padding(toLength: 12, withPad: " ", startingAt: 0) + value.padding(toLength: width + 2, withPad: " ", startingAt: 0) + "(" + origin.description
                + ")"
        }.joined(separator: "\n") + "\n"
    }

    /// The journal a workspace uses when no flag or variable names one.
    static func journalPath(of workspace: String, in config: ConfigFile?, environment: [String: String]) -> String {
        let home = environment["HOME"] ?? NSHomeDirectory()
        if let path = config?.workspace(named: workspace)?["journal"]?.text {
            return WorkspaceSettings.expandTilde(path, home: home)
        }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return data + (workspace == "default" ? "/leadsh/" : "/leadsh/\(workspace)/") + "journal.sqlite"
    }

    /// `leadsh workspaces`: each configured workspace, its journal, app and pending count.
    static func workspaces(_ settings: WorkspaceSettings, options: GlobalOptions, environment: [String: String], json: Bool) -> String {
        var names = settings.config?.workspaces.map(\.name) ?? []
        if names.isEmpty || !names.contains(settings.workspace.value) { names.insert(settings.workspace.value, at: 0) }
        var rows: [[String]] = []
        var items: [JSONValue] = []
        for name in names {
            let path = name == settings.workspace.value ? settings.journal.value : journalPath(of: name, in: settings.config, environment: environment)
            let pending = Journal.peekUnsentCount(path: path)
            let app = Journal.peekAppID(path: path)
            let current = name == settings.workspace.value
            rows.append([(current ? "* " : "  ") + name, pending.map(String.init) ?? "?", app ?? "-", path])
            items.append(
                .object(
                    JSONObject([
                        ("name", .string(name)), ("current", .bool(current)), ("journal", .string(path)),
                        ("pending", pending.map { .integer(Int64($0)) } ?? .null), ("app", app.map(JSONValue.string) ?? .null),
                    ])))
        }
        if json { return JSONText.serialize(.array(items)) + "\n" }
        let header = ["WORKSPACE", "PENDING", "APP", "JOURNAL"]
        let widths = (0..<header.count).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0) }
                .joined()
        }.joined(separator: "\n") + "\n"
    }

    /// What to use instead when this journal belongs to one app and the token to another:
    /// the workspace whose journal holds the token's app, else a journal of its own.
    static func appAdvice(_ settings: WorkspaceSettings, journalPath: String, environment: [String: String])
        -> @Sendable (String, String) -> String
    {
        let config = settings.config
        let current = settings.workspace.value
        return { journalApp, tokenApp in
            var forToken: String?
            for workspace in config?.workspaces ?? [] where workspace.name != current {
                if Journal.peekAppID(path: ConfigReport.journalPath(of: workspace.name, in: config, environment: environment)) == tokenApp {
                    forToken = workspace.name
                    break
                }
            }
            let instead =
                forToken.map { "use -w \($0) (its journal is app \(tokenApp)'s)" }
                ?? "use a journal of app \(tokenApp)'s own (-w WORKSPACE or --journal PATH)"
            return "\(instead), or send this journal (workspace \(current)) with app \(journalApp)'s token"
        }
    }

    private static func formatSeconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) + "s" : String(value) + "s"
    }
}
