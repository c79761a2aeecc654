import LeadModel

/// Turns command lines into `Command`s, with one-line errors that say what to do.
public enum CommandParser {
    /// Parses one line; nil for a blank or comment-only line.
    ///
    /// `expand` is passed to `Tokenizer.split`. A line starting with `\q` quits,
    /// as in psql, though a backslash elsewhere escapes the next character.
    /// `dialect` decides which standard fields `set` and `unset` take.
    public static func parse(
        _ line: String, expand: ((String) -> String?)? = nil, dialect: Dialect = .v1
    ) throws(ParseError) -> Command? {
        var rest = Substring(line)
        while let first = rest.utf8.first, Scanner.isSeparator(first) { rest = rest.dropFirst() }
        if rest.hasPrefix("\\q") {
            let after = rest.dropFirst(2)
            if after.utf8.first.map(Scanner.isSeparator) ?? true {
                return try parse(words: [Word("\\q")] + Tokenizer.split(String(after), expand: expand), dialect: dialect)
            }
        }
        return try parse(words: Tokenizer.split(line, expand: expand), dialect: dialect)
    }

    /// Parses words already split; nil when there are none.
    public static func parse(words: [Word], dialect: Dialect = .v1) throws(ParseError) -> Command? {
        guard let first = words.first else { return nil }
        guard let spec = CommandSpec.named(first.text) else {
            let suggestion = nearest(to: first.text, among: commandNames)
            let hint = suggestion.map { "; did you mean \(Display.quoted($0))?" } ?? ""
            throw ParseError(
                "unknown command \(Display.quoted(first.text))\(hint) (type help for the list)", suggestion: suggestion,
                code: "unknown_command")
        }
        var arguments = Arguments(given: first.text, spec: spec, words: Array(words.dropFirst()), dialect: dialect)
        return try arguments.parse()
    }

    /// The candidate nearest to `word`, ignoring case, or nil when none is close.
    ///
    /// An exact match wins, then the one candidate that `word` (2 characters or
    /// more) begins, then the smallest optimal-string-alignment (Damerau) distance
    /// within 1 for words of up to 3 characters, 2 up to 6, and 3 beyond. Words
    /// over 64 characters get no suggestion.
    public static func nearest(to word: String, among candidates: [String]) -> String? {
        nearest(to: word, among: candidates.map(SuggestionCandidate.init))
    }

    static func nearest(to word: String, among candidates: [SuggestionCandidate]) -> String? {
        guard !word.isEmpty, word.utf8.count <= 256 else { return nil }
        let typed = word.lowercased()
        let typedScalars = EditDistance.scalars(typed)
        guard typedScalars.count <= 64 else { return nil }
        if let exact = candidates.first(where: { $0.lowered == typed }) { return exact.name }
        if typedScalars.count >= 2 {
            var starting: [String] = []
            for candidate in candidates where candidate.lowered.hasPrefix(typed) { starting.append(candidate.name) }
            if starting.count == 1 { return starting[0] }
        }
        let limit = typedScalars.count <= 3 ? 1 : typedScalars.count <= 6 ? 2 : 3
        var best: (name: String, distance: Int)?
        for candidate in candidates where abs(candidate.scalars.count - typedScalars.count) <= limit {
            let distance = EditDistance.optimalStringAlignment(typedScalars, candidate.scalars)
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate.name, distance) }
        }
        return best?.name
    }

    /// Every command name and alias, for suggestions.
    static let commandNames: [SuggestionCandidate] = CommandSpec.all.flatMap { [$0.name] + $0.aliases }
        .map(SuggestionCandidate.init)
    /// The fields `set` and `unset` accept in a dialect, for suggestions.
    static func writableFieldNames(_ dialect: Dialect) -> [SuggestionCandidate] {
        dialect == .v1 ? writableV1 : writableV2
    }

    private static let writableV1 = StandardField.writableNames(in: .v1).map(SuggestionCandidate.init)
    private static let writableV2 = StandardField.writableNames(in: .v2).map(SuggestionCandidate.init)
}

/// A name offered as a suggestion, lowercased once.
struct SuggestionCandidate: Sendable {
    let name: String
    let lowered: String
    let scalars: [UInt32]

    init(_ name: String) {
        self.name = name
        lowered = name.lowercased()
        scalars = EditDistance.scalars(lowered)
    }
}

/// The arguments of one command, checked against its spec.
struct Arguments {
    /// The command word as typed, used in messages.
    let given: String
    let spec: CommandSpec
    var words: [Word]
    /// Which standard fields `set` and `unset` take.
    let dialect: Dialect

    /// The commands that take no arguments, by verb.
    static let bareCommands: [Verb: Command] = [
        .attributes: .attributes, .diff: .diff, .discard: .discard, .conflicts: .conflicts, .offline: .offline,
        .online: .online, .status: .status, .quit: .quit, .edit: .edit, .tags: .tags, .notes: .notes,
    ]

    mutating func parse() throws(ParseError) -> Command {
        switch spec.verb {
        case .load:
            try expect(["ID"])
            return .load(try loadTarget(words[0]))
        case .show:
            try expect([], optional: ["FIELD"])
            guard let field = words.first else { return .show(field: nil) }
            if !field.quoted, field.text == "--all" { return .show(field: nil, all: true) }
            return .show(field: try name(field.text, what: "a field name"))
        case .set:
            let field = try words.first.map { w throws(ParseError) in try writableField(w.text, clearing: false) }
            try expect(["FIELD", "VALUE"], quoteHint: true)
            return .set(field: field!.name, value: try Literal.fieldValue(words[1], for: field!))
        case .attr:
            let name = try words.first.map { w throws(ParseError) in try attributeName(w.text, clearing: false) }
            try expect(["NAME", "VALUE"], quoteHint: true)
            return .attr(name: name!, value: try Literal.attributeValue(words[1]))
        case .unset:
            let field = try words.first.map { w throws(ParseError) in try writableField(w.text, clearing: true) }
            try expect(["FIELD"])
            return .unset(field: field!.name)
        case .unattr:
            let name = try words.first.map { w throws(ParseError) in try attributeName(w.text, clearing: true) }
            try expect(["NAME"])
            return .unattr(name: name!)
        case .tag, .untag:
            if words.isEmpty { try expect(["NAME"]) }
            let names = try words.map { w throws(ParseError) in try name(w.text, what: "a tag name") }
            return .tag(names: names, add: spec.verb == .tag)
        case .note:
            if words.isEmpty { try expect(["TEXT"]) }
            let text = words.map(\.text).joined(separator: " ").trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { throw usageError("\(given) takes the note's text, e.g. note \"Called, wants a demo\"") }
            return .note(text)
        case .merge:
            let flags = try takeFlags(["--dry-run"])
            try expect(["into", "ID"])
            guard words[0].text.lowercased() == "into" else {
                throw usageError("\(given) reads merge into ID or merge into external_id=X")
            }
            let target = words[1].text
            for prefix in ["external_id=", "user_id="] where target.hasPrefix(prefix) {
                let value = String(target.dropFirst(prefix.count))
                guard !value.isEmpty else { throw usageError("\(prefix) takes the user's external id") }
                return .merge(into: LeadReference(userID: value), dryRun: flags.contains("--dry-run"))
            }
            let id = target.hasPrefix("id=") ? String(target.dropFirst(3)) : target
            return .merge(into: LeadReference(id: try name(id, what: "the user's id")), dryRun: flags.contains("--dry-run"))
        case .attributes, .diff, .discard, .conflicts, .offline, .online, .status, .quit, .edit, .tags, .notes:
            try expect([])
            return Arguments.bareCommands[spec.verb]!
        case .push:
            let flags = try takeFlags(["--dry-run"])
            try expect([])
            return .push(dryRun: flags.contains("--dry-run"))
        case .queue:
            let flags = try takeFlags(["--all"])
            try expect([], optional: ["N"])
            let limit = try words.first.map { w throws(ParseError) in try positive(w.text, what: "N") }
            return .queue(all: flags.contains("--all"), limit: limit.map { Int($0) })
        case .sync:
            let flags = try takeFlags(["--blind"])
            try expect([])
            return .sync(blind: flags.contains("--blind"))
        case .history:
            let flags = try takeFlags(["--as-script"])
            try expect([], optional: ["N"])
            let count = try words.first.map { w throws(ParseError) in try positive(w.text, what: "N") }
            return .history(count: count.map { Int($0) }, asScript: flags.contains("--as-script"))
        case .retry:
            try expect(["SEQ"])
            return .retry(seq: try positive(words[0].text, what: "SEQ"))
        case .drop:
            try expect(["SEQ"])
            return .drop(seq: try positive(words[0].text, what: "SEQ"))
        case .resolve:
            try expect(["SEQ", "mine|theirs"])
            let seq = try positive(words[0].text, what: "SEQ")
            guard let side = Resolution(rawValue: words[1].text.lowercased()) else {
                throw usageError("\(given) takes mine or theirs, not \(Display.quoted(words[1].text))")
            }
            return .resolve(seq: seq, side)
        case .source:
            if words.isEmpty { try expect(["FILE"]) }
            return .source(path: try name(words[0].text, what: "a file name"), arguments: words.dropFirst().map(\.text))
        case .find:
            return .find(try leadSearch())
        case .leads:
            let flags = try takeFlags(["--json"])
            try expect([], optional: ["FILTER"])
            let filter = try words.first.map { w throws(ParseError) in try name(w.text, what: "a filter") }
            return .leads(filter: filter, json: flags.contains("--json"))
        case .importFile:
            let onError = try takeOnError()
            let flags = try takeFlags(["--dry-run"])
            try expect(["FILE"])
            return .importFile(path: try name(words[0].text, what: "a file name"), dryRun: flags.contains("--dry-run"), onError: onError)
        case .revert:
            try expect(["SEQ"])
            return try revertRange(words[0].text)
        case .export:
            var filter: String?
            if let at = words.firstIndex(where: { !$0.quoted && ($0.text == "--filter" || $0.text.hasPrefix("--filter=")) }) {
                let inline = words[at].text.hasPrefix("--filter=") ? String(words[at].text.dropFirst("--filter=".count)) : nil
                guard let text = inline ?? (at + 1 < words.count ? words[at + 1].text : nil), !text.isEmpty else {
                    throw usageError("--filter takes the text a name or email contains")
                }
                filter = text
                words.removeSubrange(at...(inline == nil ? at + 1 : at))
            }
            _ = try takeFlags([])
            if words.isEmpty { try expect(["FILE"]) }
            let columns = try words.dropFirst().map { w throws(ParseError) in try name(w.text, what: "a column name") }
            return .export(path: try name(words[0].text, what: "a file name"), columns: columns, filter: filter)
        case .help:
            try expect([], optional: ["COMMAND"])
            guard let topic = words.first?.text else { return .help(topic: nil) }
            guard let spec = CommandSpec.named(topic) else {
                let suggestion = CommandParser.nearest(
                    to: topic, among: CommandParser.commandNames)
                let hint = suggestion.map { "; did you mean \(Display.quoted($0))?" } ?? ""
                throw ParseError(
                    "no help for \(Display.quoted(topic))\(hint) (type help for the list)", suggestion: suggestion)
            }
            return .help(topic: spec.name)
        }
    }

    // MARK: Shape

    func usageError(_ message: String, suggestion: String? = nil) -> ParseError {
        ParseError(message, usage: spec.usage, suggestion: suggestion)
    }

    /// Checks the number of positional arguments.
    func expect(_ required: [String], optional: [String] = [], quoteHint: Bool = false) throws(ParseError) {
        let count = words.count
        if count < required.count {
            let missing = required[count...]
            let list = missing.count == 1 ? missing.first! : missing.dropLast().joined(separator: ", ") + " and " + missing.last!
            throw usageError("\(given): missing \(list)")
        }
        let most = required.count + optional.count
        guard count > most else { return }
        if most == 0 {
            let extra = words[0].text
            if extra.hasPrefix("-") && extra.utf8.count > 1 {
                throw usageError("\(given) has no option \(Display.quoted(extra))")
            }
            throw usageError("\(given) takes no arguments")
        }
        var message = "\(given): too many arguments (expected at most \(most), got \(count))"
        if quoteHint { message += "; quote a value that contains spaces" }
        throw usageError(message)
    }

    /// Removes the options from `words`, refusing unknown ones.
    ///
    /// An option is a word starting with `-` that is not a negative number.
    mutating func takeFlags(_ known: [String]) throws(ParseError) -> Set<String> {
        var found: Set<String> = []
        var rest: [Word] = []
        for word in words {
            let text = word.text
            let isOption =
                text.hasPrefix("-") && text.utf8.count > 1
                && !(text.utf8.dropFirst().first.map(Scanner.isDigit) ?? false)
            guard isOption else {
                rest.append(word)
                continue
            }
            guard known.contains(text) else {
                let suggestion = CommandParser.nearest(to: text, among: known)
                let hint = suggestion.map { "; did you mean \($0)?" } ?? ""
                throw usageError("\(given) has no option \(Display.quoted(text))\(hint)", suggestion: suggestion)
            }
            found.insert(text)
        }
        words = rest
        return found
    }

    /// Removes `--on-error stop|continue` (or `--on-error=…`) from `words`.
    mutating func takeOnError() throws(ParseError) -> ImportErrorPolicy? {
        var policy: ImportErrorPolicy?
        var rest: [Word] = []
        var index = 0
        while index < words.count {
            let text = words[index].text
            var value: String?
            if text == "--on-error" {
                guard index + 1 < words.count else { throw usageError("--on-error takes stop or continue") }
                value = words[index + 1].text
                index += 2
            } else if text.hasPrefix("--on-error=") {
                value = String(text.dropFirst("--on-error=".count))
                index += 1
            } else {
                rest.append(words[index])
                index += 1
                continue
            }
            guard let parsed = value.flatMap(ImportErrorPolicy.init(rawValue:)) else {
                throw usageError("--on-error takes stop or continue, not \(Display.quoted(value ?? ""))")
            }
            policy = parsed
        }
        words = rest
        return policy
    }

    // MARK: Values

    /// `SEQ` or `SEQ..SEQ` (lower first).
    func revertRange(_ text: String) throws(ParseError) -> Command {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].isEmpty else {
            let seq = try positive(text, what: "SEQ")
            return .revert(from: seq, through: seq)
        }
        let first = try positive(String(parts[0]), what: "SEQ")
        let last = try positive(String(parts[2]), what: "SEQ")
        guard first <= last else {
            throw usageError("\(given): the range \(first)..\(last) is backwards; write the lower number first (\(last)..\(first))")
        }
        return .revert(from: first, through: last)
    }

    func positive(_ text: String, what: String) throws(ParseError) -> Int64 {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 64, bytes.allSatisfy(Scanner.isDigit), let value = Int64(text), value > 0,
            what != "N" || Int(exactly: value) != nil
        else {
            let why = what == "SEQ" ? ", as shown by `queue`" : ""
            throw usageError("\(what) must be a positive number\(why), not \(Display.quoted(text))")
        }
        return value
    }

    func loadTarget(_ word: Word) throws(ParseError) -> LoadTarget {
        let text = word.text
        if text == "found", !word.quoted { return .found }
        guard let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) else { return .id(try Identifier.id(text)) }
        let key = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        switch key {
        case "id": return .id(try Identifier.id(value))
        case "user_id", "external_id": return .userID(try Identifier.other(value, what: key))
        case "email": return .email(try Identifier.other(value, what: "email"))
        default:
            let suggestion = CommandParser.nearest(to: key, among: ["id", "user_id", "external_id", "email"])
            let hint = suggestion.map { " (did you mean \($0)=?)" } ?? ""
            throw usageError(
                "\(given): unknown key \(Display.quoted(key))\(hint); name the lead by ID, user_id=UID (external_id=UID) or email=EMAIL",
                suggestion: suggestion.map { $0 + "=" })
        }
    }

    /// A field, file or topic name: not empty, no control characters.
    func name(_ text: String, what: String) throws(ParseError) -> String {
        if text.isEmpty { throw ParseError("\(what) cannot be empty") }
        if let control = Display.firstControlCharacter(in: text) {
            throw ParseError("\(what) cannot contain control characters (found \(control.codePointName))")
        }
        return text
    }

    /// A standard field `set` or `unset` may change, or an error that says what to use instead.
    func writableField(_ text: String, clearing: Bool) throws(ParseError) -> StandardField {
        _ = try name(text, what: "a field name")
        let attribute = CustomAttributeRules.problem(withName: text) == nil ? text : "NAME"
        let attributeCommand = clearing ? "unattr \(attribute)" : "attr \(attribute) VALUE"
        if let field = StandardField.named(text, in: dialect) {
            if let reason = field.readOnlyReason { throw ParseError("\(field.name) is read-only: \(reason)") }
            return field
        }
        if let why = StandardField.fromOtherDialect(text, in: dialect) {
            let switchHint = dialect == .v2 ? " (or run leadsh with --api-version 1.4)" : ""
            throw ParseError("\(why)\(switchHint)", code: "field_not_in_dialect")
        }
        let prefix = "custom_attributes."
        if text.hasPrefix(prefix) {
            let attribute = Tokenizer.quote(Word(String(text.dropFirst(prefix.count))))
            throw ParseError(
                "\(Display.quoted(text)) is a custom attribute: use `\(clearing ? "unattr \(attribute)" : "attr \(attribute) VALUE")`")
        }
        let suggestion = CommandParser.nearest(to: text, among: CommandParser.writableFieldNames(dialect))
        if let suggestion {
            throw ParseError(
                "unknown field \(Display.quoted(text)); did you mean \(Display.quoted(suggestion))? (for a custom attribute use `\(attributeCommand)`)",
                suggestion: suggestion)
        }
        throw ParseError(
            "unknown field \(Display.quoted(text)); standard fields are \(StandardField.writableNames(in: dialect).joined(separator: ", ")); for a custom attribute use `\(attributeCommand)`"
        )
    }

    /// A custom attribute name `CustomAttributeRules` accepts; `custom_attributes.NAME` is read as NAME.
    func attributeName(_ text: String, clearing: Bool) throws(ParseError) -> String {
        var attribute = text
        let prefix = "custom_attributes."
        if attribute.hasPrefix(prefix) { attribute = String(attribute.dropFirst(prefix.count)) }
        if clearing, let field = StandardField.named(attribute, in: dialect) {
            throw ParseError("\(field.name) is a standard field, not a custom attribute (use `unset \(field.name)`)")
        }
        if let problem = CustomAttributeRules.problem(withName: attribute) { throw ParseError(problem) }
        return attribute
    }
}
