import Foundation
import LeadModel

/// Terminal styling; every method returns its input unchanged when colour is off.
struct Style: Sendable {
    var enabled: Bool

    static let plain = Style(enabled: false)

    private func wrap(_ code: String, _ text: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { wrap("1", text) }
    func red(_ text: String) -> String { wrap("31", text) }
    func green(_ text: String) -> String { wrap("32", text) }
    func yellow(_ text: String) -> String { wrap("33", text) }
    func dim(_ text: String) -> String { wrap("2", text) }
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

/// How people read values and times.
enum Words {
    /// How long ago, for people: `12s`, `5m`, `3h`, `2d`.
    static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }

    /// A value as users see it: JSON literals, so `9` and `"9"` differ visibly.
    static func value(_ value: JSONValue?) -> String {
        guard let value else { return "(absent)" }
        return JSONText.serialize(value)
    }

    /// A field's value: a time field's Unix seconds with the UTC date beside them
    /// (`1764583200 (2025-12-01 10:00:00 UTC)`), anything else as ``value(_:)``.
    static func value(_ value: JSONValue?, of key: FieldKey) -> String {
        if case .standard(let name) = key, case .integer(let seconds)? = value, StandardField.isTimeField(name) {
            return TimeValue.display(seconds)
        }
        return Words.value(value)
    }

    /// Text cut to `limit` characters with `…`, for table cells.
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// A Unix time as the local wall-clock time people read in notices: `14:05:09`.
    static func clockTime(_ unix: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: unix))
    }

    /// `1 update stays` / `2 updates stay`.
    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
