import LeadModel

/// What Tab offers for the word under the cursor.
public enum Completion {
    /// The candidates for the word being typed, and where that word starts.
    ///
    /// Offsets (`cursor`, `wordStart`) count Unicode scalars, as libedit's
    /// completion callback does; `cursor` nil means the end of the line. The
    /// caller replaces the text from `wordStart` to the cursor with a candidate.
    /// Candidates are sorted, start with the word typed so far, and come quoted
    /// when they need it, or when the word was opened with a quote. Completes:
    /// command names and aliases first; then field names after `set`/`unset`
    /// (writable ones) and `show` (all, plus `attributeNames`); `attributeNames`
    /// after `attr`/`unattr`; `true`/`false` for a boolean field's value;
    /// `mine`/`theirs` after `resolve SEQ`; `user_id=`/`email=`/`found` after `load`; after
    /// `find`, `FIELD=` for each searchable field and custom attribute (2.x; 1.x `email=` and
    /// `user_id=`), `tag=`, `role=` and `--limit`; `stop`/`continue` after `import … --on-error`;
    /// command names after `help`; and the options of `push`, `queue`, `sync` and
    /// `history`. Nothing inside a comment.
    ///
    /// `leads` gives cached leads for the word after `load` (ids, `email=` values, or the id
    /// of the one lead whose name starts with the word) and after `find` (`email=` values).
    /// `tagNames` gives the workspace's tags, for `tag`, `untag` and `find tag=`.
    public static func candidates(
        line: String, cursor: Int? = nil, attributeNames: [String], dialect: Dialect = .v1,
        leads: (String) -> [String] = { _ in [] }, tagNames: () -> [String] = { [] }
    ) -> (wordStart: Int, candidates: [String]) {
        let bytes = Array(line.utf8)
        let end = byteOffset(ofScalar: cursor, in: bytes)
        var scanner = Scanner(bytes: Array(bytes[..<end]), expand: nil, lenient: true)
        try? scanner.run()
        let cursorScalar = scalarOffset(ofByte: end, in: bytes)
        guard !scanner.endsInComment else { return (cursorScalar, []) }

        var done = scanner.words
        let partial: String
        let startByte: Int
        if scanner.endsInWord, let last = done.popLast() {
            partial = last.word.text
            startByte = last.start
        } else {
            partial = ""
            startByte = end
        }
        let opening: UInt8? =
            startByte < end && (bytes[startByte] == 0x22 || bytes[startByte] == 0x27)
            ? bytes[startByte] : nil

        let words = done.map(\.word.text)
        var offered: [String]
        var ignoreCase = false
        if words.isEmpty {
            offered = CommandSpec.completableNames
            ignoreCase = true
        } else {
            offered = arguments(for: words, attributeNames: attributeNames, dialect: dialect)
            if let verb = CommandSpec.named(words[0])?.verb {
                if verb == .tag || verb == .untag {
                    offered = tagNames()
                    ignoreCase = true
                } else if verb == .find, partial.hasPrefix("tag=") {
                    offered = tagNames().map { "tag=" + $0 }
                    ignoreCase = true
                } else if verb == .merge, words.count == 1 {
                    offered = ["into"]
                }
            }
        }
        let typed = ignoreCase ? partial.lowercased() : partial
        var matching = Set(offered.filter { (ignoreCase ? $0.lowercased() : $0).hasPrefix(typed) })
        if words.count == 1, let verb = CommandSpec.named(words[0])?.verb, verb == .load || verb == .find {
            matching.formUnion(leads(partial).filter { verb == .load || $0.hasPrefix("email=") })
        }
        let rendered = matching.sorted().map { render($0, opening: opening) }
        return (scalarOffset(ofByte: startByte, in: bytes), rendered)
    }

    /// What may follow `words` (the command and the arguments already typed).
    private static func arguments(for words: [String], attributeNames: [String], dialect: Dialect) -> [String] {
        guard let spec = CommandSpec.named(words[0]) else { return [] }
        let arguments = Array(words.dropFirst())
        let position = arguments.count
        func flags(_ all: [String]) -> [String] { all.filter { !arguments.contains($0) } }
        switch spec.verb {
        case .load:
            return position == 0 ? [dialect == .v1 ? "user_id=" : "external_id=", "email=", "found"] : []
        case .set:
            if position == 0 { return StandardField.writableNames(in: dialect) }
            if position == 1, StandardField.named(arguments[0], in: dialect)?.kind == .boolean { return ["true", "false"] }
            return []
        case .unset:
            return position == 0 ? StandardField.writableNames(in: dialect) : []
        case .show:
            return position == 0 ? ["--all"] + StandardField.all(in: dialect).map(\.name) + attributeNames : []
        case .attr:
            if position == 0 { return attributeNames }
            return position == 1 ? ["true", "false", "null"] : []
        case .unattr:
            return position == 0 ? attributeNames : []
        case .resolve:
            return position == 1 ? Resolution.allCases.map(\.rawValue) : []
        case .help:
            return position == 0 ? CommandSpec.completableNames : []
        case .find:
            if arguments.last == "--limit" { return [] }
            // A field and `=` (the commonest operator; any other replaces it).
            guard dialect == .v2 else { return position == 0 ? ["email=", "user_id="] : [] }
            let searchable = StandardField.all(in: .v2).map(\.name).filter { !Completion.unsearchable.contains($0) }
            return flags(["--limit"]) + (searchable + attributeNames + ["tag", "role"]).map { $0 + "=" }
        case .leads: return flags(["--json"])
        case .importFile:
            if arguments.last == "--on-error" { return ImportErrorPolicy.allCases.map(\.rawValue) }
            return position == 0 ? [] : flags(["--dry-run", "--on-error"])
        case .export:
            if position == 0 || arguments.last == "--filter" { return [] }
            return flags(["--filter"]) + StandardField.writableNames(in: dialect) + attributeNames.map { "custom_attributes." + $0 }
        case .push: return flags(["--dry-run"])
        case .queue: return flags(["--all"])
        case .sync: return flags(["--blind"])
        case .history: return flags(["--as-script"])
        case .merge: return position == 2 ? flags(["--dry-run"]) : []
        case .attributes, .diff, .discard, .retry, .drop, .conflicts, .offline, .online, .status, .source, .quit, .revert, .edit, .tag,
            .untag, .tags, .note, .notes:
            return []
        }
    }

    /// 2.x contact fields `find` cannot search (lists and objects).
    static let unsearchable: Set<String> = ["type", "location", "social_profiles", "companies", "tags", "notes", "custom_attributes", "workspace_id"]

    /// A candidate as it should be inserted: bare when it can be, in the user's quote when one is open.
    private static func render(_ candidate: String, opening: UInt8?) -> String {
        guard let opening else { return Tokenizer.quote(Word(candidate)) }
        if opening == 0x27, !candidate.unicodeScalars.contains("'") { return "'" + candidate + "'" }
        let quoted = Tokenizer.quote(Word(candidate, quoted: true))
        if quoted.hasPrefix("\"") { return quoted }
        var out = "\""
        for scalar in candidate.unicodeScalars {
            switch scalar {
            case "\"", "\\", "$":
                out += "\\"
                out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The byte offset of the `scalar`-th scalar, clamped to the line.
    private static func byteOffset(ofScalar scalar: Int?, in bytes: [UInt8]) -> Int {
        guard let scalar else { return bytes.count }
        guard scalar > 0 else { return 0 }
        var seen = 0
        for (offset, byte) in bytes.enumerated() where byte & 0xC0 != 0x80 {
            if seen == scalar { return offset }
            seen += 1
        }
        return bytes.count
    }

    private static func scalarOffset(ofByte byte: Int, in bytes: [UInt8]) -> Int {
        var count = 0
        for b in bytes[..<byte] where b & 0xC0 != 0x80 { count += 1 }
        return count
    }
}
