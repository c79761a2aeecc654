import Foundation
import TOMLKit

/// `config.toml`: named workspaces, each a set of settings, and the one used when none is named.
///
/// The file holds no token: a workspace names where its token comes from (`token_file`,
/// `token_command`, `token_env`). Every refusal names the file and line.
struct ConfigFile: Sendable {
    /// The keys a workspace section may hold.
    static let workspaceKeys: [String: ValueKind] = [
        "base_url": .string, "region": .string, "token_file": .string, "token_command": .string, "token_env": .string,
        "api_version": .string, "journal": .string, "history": .string, "timeout": .number, "retention": .number,
    ]

    enum ValueKind: Sendable {
        case string, number
        var name: String { self == .string ? "a string" : "a number" }
    }

    /// One value as the file gave it, with its line.
    struct Value: Sendable {
        var text: String
        var number: Double?
        var line: Int
    }

    /// A `[workspaces.NAME]` section.
    struct Workspace: Sendable {
        var name: String
        var line: Int
        var values: [String: Value]

        subscript(key: String) -> Value? { values[key] }
    }

    /// The path as given (shown in messages and by `leadsh config`).
    var path: String
    /// `default = "NAME"`, with its line.
    var defaultWorkspace: Value?
    /// Sections in the order of the file.
    var workspaces: [Workspace]

    func workspace(named name: String) -> Workspace? { workspaces.first { $0.name == name } }

    /// `PATH:LINE: message`, the form of every refusal.
    func problem(_ line: Int, _ message: String) -> StartupError {
        .usage("\(path):\(line): \(message)")
    }

    /// Reads and checks a config file.
    static func load(path: String) throws(StartupError) -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("cannot read the config file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses config text; `path` only names it in messages.
    static func parse(_ text: String, path: String) throws(StartupError) -> ConfigFile {
        let locator = LineLocator(text)
        var config = ConfigFile(path: path, defaultWorkspace: nil, workspaces: [])
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw config.problem(max(1, error.source.begin.line), "not valid TOML: \(error.description)")
        } catch {
            throw config.problem(1, "not valid TOML: \(error)")
        }
        for (key, value) in table {
            switch key {
            case "default":
                guard let name = value.string else {
                    throw config.problem(locator.line(ofKey: key, in: nil), "default must be a string (the name of a workspace), not \(describe(value))")
                }
                config.defaultWorkspace = Value(text: name, number: nil, line: locator.line(ofKey: key, in: nil))
            case "workspaces":
                guard let sections = value.table else {
                    throw config.problem(locator.line(ofKey: key, in: nil), "workspaces must be a table of [workspaces.NAME] sections")
                }
                for (name, body) in sections {
                    let line = locator.line(ofSection: name)
                    guard let body = body.table else {
                        throw config.problem(line, "workspaces.\(name) must be a table ([workspaces.\(name)])")
                    }
                    guard isValidName(name) else {
                        throw config.problem(line, "workspace name \"\(name)\" may hold only letters, digits, - and _")
                    }
                    var workspace = Workspace(name: name, line: line, values: [:])
                    for (key, value) in body {
                        let keyLine = locator.line(ofKey: key, in: name)
                        guard let kind = workspaceKeys[key] else {
                            let known = workspaceKeys.keys.sorted().joined(separator: ", ")
                            throw config.problem(keyLine, "unknown key \(key) in [workspaces.\(name)] (known: \(known))")
                        }
                        switch kind {
                        case .string:
                            guard let string = value.string else {
                                throw config.problem(keyLine, "\(key) must be a string, not \(describe(value))")
                            }
                            workspace.values[key] = Value(text: string, number: nil, line: keyLine)
                        case .number:
                            let number = value.int.map(Double.init) ?? value.double
                            guard let number, value.type == .int || value.type == .double else {
                                throw config.problem(keyLine, "\(key) must be a number, not \(describe(value))")
                            }
                            workspace.values[key] = Value(text: String(describing: number), number: number, line: keyLine)
                        }
                    }
                    if let region = workspace["region"], workspace["base_url"] != nil {
                        throw config.problem(region.line, "[workspaces.\(name)] names both region and base_url; keep one")
                    }
                    let tokenKeys = ["token_file", "token_command", "token_env"].filter { workspace[$0] != nil }
                    if tokenKeys.count > 1 {
                        throw config.problem(workspace[tokenKeys[1]]!.line, "[workspaces.\(name)] names both \(tokenKeys[0]) and \(tokenKeys[1]); keep one")
                    }
                    config.workspaces.append(workspace)
                }
            default:
                let line = value.table != nil ? locator.line(ofSection: nil, header: key) : locator.line(ofKey: key, in: nil)
                throw config.problem(line, "unknown key \(key) (the file holds default = \"NAME\" and [workspaces.NAME] sections)")
            }
        }
        config.workspaces.sort { $0.line < $1.line }
        if let chosen = config.defaultWorkspace, chosen.text != "default", config.workspace(named: chosen.text) == nil {
            throw config.problem(chosen.line, "default names workspace \(chosen.text), which has no [workspaces.\(chosen.text)] section")
        }
        return config
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }

    private static func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .table: return "a table"
        case .array: return "an array"
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean"
        case .date, .time, .dateTime: return "a date or time"
        }
    }
}

/// Finds the line of a key or a section header in TOML text, for messages about values
/// the parser accepted (TOMLKit keeps source positions for syntax errors only).
struct LineLocator {
    private let lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The header of a section: `[workspaces.NAME]`, or `[header]` when given.
    private static func headerName(_ line: Substring) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), !trimmed.hasPrefix("[["), let close = trimmed.firstIndex(of: "]") else { return nil }
        return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            .replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "'", with: "")
            .replacingOccurrences(of: " ", with: "")
    }

    func line(ofSection workspace: String?, header: String? = nil) -> Int {
        let wanted = header ?? "workspaces.\(workspace ?? "")"
        for (index, line) in lines.enumerated() where LineLocator.headerName(line) == wanted { return index + 1 }
        // A dotted key or an inline table: the first line that names it.
        let name = workspace ?? header ?? ""
        for (index, line) in lines.enumerated() where line.contains(name) { return index + 1 }
        return 1
    }

    /// The line of `key = …` at the top level (`workspace` nil) or in `[workspaces.NAME]`.
    func line(ofKey key: String, in workspace: String?) -> Int {
        var section: String?
        var fallback: Int?
        for (index, line) in lines.enumerated() {
            if let header = LineLocator.headerName(line) {
                section = header
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let bare = trimmed.replacingOccurrences(of: "\"", with: "")
            let wantedSection = workspace.map { "workspaces.\($0)" }
            if section == wantedSection, LineLocator.assigns(bare, key) { return index + 1 }
            // Dotted keys: `workspaces.NAME.key = …` or `NAME.key = …` in `[workspaces]`.
            if let workspace, fallback == nil,
                LineLocator.assigns(bare, "workspaces.\(workspace).\(key)") || (section == "workspaces" && LineLocator.assigns(bare, "\(workspace).\(key)"))
                    || (section == wantedSection && bare.contains(key))
            {
                fallback = index + 1
            }
        }
        if let fallback { return fallback }
        return workspace.map { line(ofSection: $0) } ?? 1
    }

    private static func assigns(_ line: String, _ key: String) -> Bool {
        guard line.hasPrefix(key) else { return false }
        let rest = line.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
        return rest.hasPrefix("=")
    }
}
