/// Splits command lines into words the way a POSIX shell does, and quotes words back.
public enum Tokenizer {
    /// Splits a line into words.
    ///
    /// Single quotes keep everything literally; inside double quotes a backslash
    /// escapes only `\"`, `\\`, `\$`, `\n` (newline) and `\t` (tab), and is kept
    /// before anything else; outside quotes a backslash makes the next character
    /// literal. `#` starts a comment only at the start of a word (`a#b` is one word).
    /// Whitespace is space, tab, CR, LF, VT and FF; a backslash before a newline
    /// joins the lines.
    ///
    /// With `expand`, `$NAME`, `${NAME}`, `$0`…`$9` and `${10}` are replaced in
    /// unquoted and double-quoted text (never inside single quotes; `\$` is a
    /// literal `$`, and so is a `$` not followed by a name). `expand` returns nil
    /// for an unset variable, which is an error. An expansion is never split
    /// into several words, and an unquoted one leaves the word unquoted, so
    /// `attr seats $N` with `N=9` sends the integer 9. Without `expand`, `$` is
    /// an ordinary character.
    ///
    /// - Throws: `ParseError` for an unterminated quote, a trailing backslash,
    ///   a malformed `${…}`, or an unset variable.
    public static func split(_ line: String, expand: ((String) -> String?)? = nil) throws(ParseError) -> [Word] {
        var scanner = Scanner(bytes: Array(line.utf8), expand: expand, lenient: false)
        try scanner.run()
        return scanner.words.map(\.word)
    }

    /// Writes a word so that `split` reads it back as the same word.
    ///
    /// A quoted word always comes back quoted; an unquoted word is written bare
    /// when it can be (`seats`, `9`, `user_id=abc`), otherwise quoted, which
    /// changes nothing for `attr` since such text is a string either way.
    public static func quote(_ word: Word) -> String {
        let text = word.text
        if !word.quoted && canStandBare(text) { return text }
        let scalars = text.unicodeScalars
        if !scalars.contains("'") && !scalars.contains("\n") && !scalars.contains("\t") {
            return "'" + text + "'"
        }
        var out = "\""
        for scalar in scalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "$": out += "\\$"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// True when the text needs no quotes: no whitespace, quote, backslash, `$`, `#` or unprintable character.
    static func canStandBare(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        for scalar in text.unicodeScalars {
            // ASCII without Unicode property look-ups (most words): controls, space and
            // DEL are unsafe or whitespace; printable ASCII is bare unless listed below.
            if scalar.value < 0x80 {
                if scalar.value <= 0x20 || scalar.value == 0x7F { return false }
                switch scalar {
                case "'", "\"", "\\", "$", "#": return false
                default: continue
                }
            }
            switch scalar {
            case "'", "\"", "\\", "$", "#", " ": return false
            default:
                if Display.isUnsafe(scalar) || scalar.properties.isWhitespace { return false }
                if scalar.value >= 0x80 && scalar.properties.generalCategory == .format { return false }
            }
        }
        return true
    }
}

/// A word and the byte offset in the line where it starts.
struct ScannedWord {
    var word: Word
    var start: Int
}

/// The tokenizer's state machine over UTF-8 bytes; all syntax is ASCII, so it never splits a scalar.
///
/// In lenient mode (for completion) it never throws: an open quote or a trailing
/// backslash just ends the line, and `openQuote`/`endsInWord` tell what was left open.
struct Scanner {
    let bytes: [UInt8]
    let expand: ((String) -> String?)?
    let lenient: Bool

    var words: [ScannedWord] = []
    /// The line ended inside a word (the last word in `words` is still being typed).
    var endsInWord = false
    /// The line ended inside a comment.
    var endsInComment = false
    /// The quote character left open at the end of the line (lenient mode only).
    var openQuote: UInt8?

    private var index = 0
    private var current: [UInt8] = []
    private var quoted = false
    /// Whether the word's first character came from unquoted text; nil until something is added.
    private var startsBare: Bool?
    /// Anything (text, quotes or an expansion) made the word exist.
    private var hasSubstance = false
    private var start = 0

    init(bytes: [UInt8], expand: ((String) -> String?)?, lenient: Bool) {
        self.bytes = bytes
        self.expand = expand
        self.lenient = lenient
    }

    private static let backslash = UInt8(ascii: "\\")
    private static let singleQuote = UInt8(ascii: "'")
    private static let doubleQuote = UInt8(ascii: "\"")
    private static let dollar = UInt8(ascii: "$")
    private static let newline = UInt8(ascii: "\n")

    static func isSeparator(_ b: UInt8) -> Bool {
        b == 0x20 || (b >= 0x09 && b <= 0x0D)
    }

    /// Not a separator, quote, backslash, or (when expanding) `$`.
    static func isOrdinary(_ b: UInt8, expanding: Bool) -> Bool {
        if b > 0x27 { return b != backslash && (b != dollar || !expanding) }
        return !(b == 0x20 || (b >= 0x09 && b <= 0x0D) || b == singleQuote || b == doubleQuote || (b == dollar && expanding))
    }

    mutating func run() throws(ParseError) {
        var inWord = false
        let n = bytes.count
        while index < n {
            let b = bytes[index]
            if !inWord {
                if Scanner.isSeparator(b) {
                    index += 1
                    continue
                }
                if b == UInt8(ascii: "#") {
                    endsInComment = true
                    return
                }
                inWord = true
                start = index
                current.removeAll(keepingCapacity: true)
                quoted = false
                startsBare = nil
                hasSubstance = false
            }
            switch b {
            case _ where Scanner.isSeparator(b):
                finishWord()
                inWord = false
                index += 1
            case Scanner.backslash:
                if index + 1 < n {
                    if bytes[index + 1] == Scanner.newline {
                        index += 2
                        continue
                    }
                    current.append(bytes[index + 1])
                    quoted = true
                    hasSubstance = true
                    if startsBare == nil { startsBare = false }
                    index += 2
                } else if lenient {
                    index += 1
                } else {
                    throw ParseError("trailing backslash: a line cannot end with \\ (write \\\\ for a backslash)")
                }
            case Scanner.singleQuote:
                quoted = true
                hasSubstance = true
                if startsBare == nil { startsBare = false }
                var j = index + 1
                while j < n, bytes[j] != Scanner.singleQuote { j += 1 }
                if j == n {
                    guard lenient else { throw ParseError("unterminated single quote: close it with '") }
                    current.append(contentsOf: bytes[(index + 1)...])
                    openQuote = Scanner.singleQuote
                    index = n
                } else {
                    current.append(contentsOf: bytes[(index + 1)..<j])
                    index = j + 1
                }
            case Scanner.doubleQuote:
                quoted = true
                hasSubstance = true
                if startsBare == nil { startsBare = false }
                index += 1
                try scanDoubleQuoted()
            case Scanner.dollar where expand != nil:
                try expandVariable()
            default:
                // A run of ordinary bytes at once: keeps multi-megabyte words fast.
                var j = index + 1
                while j < n, Scanner.isOrdinary(bytes[j], expanding: expand != nil) { j += 1 }
                current.append(contentsOf: bytes[index..<j])
                hasSubstance = true
                if startsBare == nil { startsBare = true }
                index = j
            }
        }
        if inWord {
            endsInWord = true
            finishWord()
        }
    }

    private mutating func finishWord() {
        guard hasSubstance else { return }
        let word = Word(String(decoding: current, as: UTF8.self), quoted: quoted, startsBare: startsBare ?? !quoted)
        words.append(ScannedWord(word: word, start: start))
    }

    private mutating func scanDoubleQuoted() throws(ParseError) {
        let n = bytes.count
        while index < n {
            let c = bytes[index]
            if c == Scanner.doubleQuote {
                index += 1
                return
            }
            if c == Scanner.backslash {
                guard index + 1 < n else { break }
                let next = bytes[index + 1]
                switch next {
                case Scanner.doubleQuote, Scanner.backslash, Scanner.dollar: current.append(next)
                case UInt8(ascii: "n"): current.append(Scanner.newline)
                case UInt8(ascii: "t"): current.append(0x09)
                case Scanner.newline: break
                default:
                    current.append(c)
                    current.append(next)
                }
                index += 2
                continue
            }
            if c == Scanner.dollar, expand != nil {
                try expandVariable()
                continue
            }
            var j = index + 1
            while j < n, bytes[j] != Scanner.doubleQuote, bytes[j] != Scanner.backslash, bytes[j] != Scanner.dollar {
                j += 1
            }
            current.append(contentsOf: bytes[index..<j])
            index = j
        }
        guard lenient else { throw ParseError("unterminated double quote: close it with \"") }
        index = n
        openQuote = Scanner.doubleQuote
    }

    /// Expands the `$…` at `index`, or keeps a lone `$` literally.
    private mutating func expandVariable() throws(ParseError) {
        let n = bytes.count
        let after = index + 1
        hasSubstance = true
        if startsBare == nil { startsBare = true }
        guard after < n else {
            current.append(Scanner.dollar)
            index = after
            return
        }
        let next = bytes[after]
        let name: String
        let shown: String
        if next == UInt8(ascii: "{") {
            var j = after + 1
            while j < n, bytes[j] != UInt8(ascii: "}") { j += 1 }
            guard j < n else {
                throw ParseError("unterminated ${: close it with } (write \\$ for a literal $)")
            }
            let inner = bytes[(after + 1)..<j]
            let isNumber = !inner.isEmpty && inner.allSatisfy(Scanner.isDigit)
            let isName = !inner.isEmpty && Scanner.isNameStart(inner.first!) && inner.allSatisfy(Scanner.isNameByte)
            name = String(decoding: inner, as: UTF8.self)
            guard isNumber || isName else {
                throw ParseError(
                    "bad substitution \(Display.quoted("${" + name + "}")): write ${NAME} or ${1} (or \\$ for a literal $)")
            }
            shown = isNumber && inner.count > 1 ? "${\(name)}" : "$\(name)"
            index = j + 1
        } else if Scanner.isDigit(next) {
            name = String(decoding: [next], as: UTF8.self)
            shown = "$" + name
            index = after + 1
        } else if Scanner.isNameStart(next) {
            var j = after + 1
            while j < n, Scanner.isNameByte(bytes[j]) { j += 1 }
            name = String(decoding: bytes[after..<j], as: UTF8.self)
            shown = "$" + name
            index = j
        } else {
            current.append(Scanner.dollar)
            index = after
            return
        }
        guard let value = expand?(name) else {
            let display =
                shown.unicodeScalars.count > Display.quoteLimit
                ? String(String.UnicodeScalarView(shown.unicodeScalars.prefix(Display.quoteLimit))) + "…" : shown
            throw ParseError("\(display) is not set (write \\$ or use single quotes for a literal $)")
        }
        current.append(contentsOf: value.utf8)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isNameStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_")
    }

    static func isNameByte(_ b: UInt8) -> Bool { isNameStart(b) || isDigit(b) }
}
