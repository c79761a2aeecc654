import LeadModel

/// What a command produced: text for people, a JSON document for scripts, and notices for stderr.
public struct CommandOutput: Sendable {
    /// Lines for stdout in human mode (may be empty).
    public var text: String
    /// The result as one JSON document, for `--json`.
    public var json: JSONValue
    /// Diagnostics for stderr (warnings, hints), in both modes.
    public var notices: [String]

    public init(text: String = "", json: JSONValue = .object(JSONObject([("ok", .bool(true))])), notices: [String] = []) {
        self.text = text
        self.json = json
        self.notices = notices
    }
}

/// A command that failed: one line that names the problem and what to do.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    /// A stable machine-readable code, such as `unknown_command` or `not_found`.
    public var code: String
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Terminal styling; every method returns its input unchanged when colour is off.
public struct Style: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public static let plain = Style(enabled: false)

    private func wrap(_ code: String, _ text: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func bold(_ text: String) -> String { wrap("1", text) }
    public func dim(_ text: String) -> String { wrap("2", text) }
    public func red(_ text: String) -> String { wrap("31", text) }
    public func green(_ text: String) -> String { wrap("32", text) }
    public func yellow(_ text: String) -> String { wrap("33", text) }
    public func cyan(_ text: String) -> String { wrap("36", text) }
}

/// Lays out rows in aligned columns.
enum Table {
    static func render(header: [String], rows: [[String]], style: Style) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                if i == cells.count - 1 {
                    out += cell
                } else {
                    out += cell + String(repeating: " ", count: widths[i] - cell.count + 2)
                }
            }
            return out
        }
        var lines = [style.bold(line(header))]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}

/// How long ago, for people: `12s`, `5m`, `3h`, `2d`.
func age(_ seconds: Double) -> String {
    let s = max(0, Int(seconds))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" }
    if s < 86_400 { return "\(s / 3600)h" }
    return "\(s / 86_400)d"
}

/// A value as users see it: JSON literals, so `9` and `"9"` differ visibly.
func display(_ value: JSONValue?) -> String {
    guard let value else { return "(absent)" }
    return JSONText.serialize(value)
}
