import LeadModel

/// Why a line cannot be run: one line for the user, plus the usage or a suggestion when they help.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line that names the problem and what to do; never holds a newline or a control character.
    public var message: String
    /// The command's usage (`attr NAME VALUE`, without a `usage:` prefix) when its arguments were wrong.
    public var usage: String?
    /// The nearest known name when a command, field or option was misspelled.
    public var suggestion: String?
    /// A stable code for scripts: `unknown_command`, or `invalid_command` for everything else.
    public var code: String

    /// An error whose message is made safe to print on one line (control characters become `U+001B`).
    public init(_ message: String, usage: String? = nil, suggestion: String? = nil, code: String = "invalid_command") {
        self.code = code
        self.message = Display.oneLine(message)
        self.usage = usage.map(Display.oneLine)
        self.suggestion = suggestion.map(Display.oneLine)
    }

    /// The message, with the usage appended on the same line when there is one.
    public var description: String {
        guard let usage else { return message }
        return "\(message) (usage: \(usage))"
    }
}

/// Showing user text inside messages: quoted, shortened, control characters named.
enum Display {
    /// The longest piece of user text quoted in a message, in Unicode scalars.
    static let quoteLimit = MessageText.quoteLimit

    /// `"text"` for a message; long text is cut with `…`, unprintable scalars appear as `<U+001B>`.
    static func quoted(_ text: String, limit: Int = quoteLimit) -> String {
        MessageText.quoted(text, limit: limit)
    }

    /// The text with every unprintable scalar replaced by its `U+XXXX` name, so it stays on one line.
    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) { out += scalar.codePointName } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// Control characters (tab included), line and paragraph separators, and bidirectional overrides.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool { MessageText.isUnsafe(scalar) }

    /// A control character other than tab, which names and identifiers may not hold.
    static func firstControlCharacter(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            let v = scalar.value
            return (v < 0x20 && v != 0x09) || (0x7F...0x9F).contains(v)
        }
    }

    /// `1 argument`, `3 arguments`.
    static func count(_ n: Int, _ noun: String) -> String {
        n == 1 ? "1 \(noun)" : "\(n) \(noun)s"
    }
}
