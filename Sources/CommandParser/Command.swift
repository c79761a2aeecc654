public import LeadModel

/// How `load` names a lead.
public enum LoadTarget: Sendable, Hashable {
    case id(String)
    case userID(String)
    /// Parsed so the session can explain why it refuses: Intercom cannot identify a lead for update by email.
    case email(String)
    /// `load found`: every lead the last `find` listed becomes the selection.
    case found
}

/// Which side wins a conflict: `mine` sends the local values, `theirs` keeps Intercom's.
public enum Resolution: String, Sendable, Hashable, CaseIterable {
    case mine, theirs
}

/// What an import does with a refused row: stop there, or report it and go on.
public enum ImportErrorPolicy: String, Sendable, Hashable, CaseIterable {
    case stop, `continue`
}

/// One parsed command line, its arguments checked and typed.
public enum Command: Sendable, Hashable {
    case load(LoadTarget)
    /// FIELD as typed: a standard field, a custom attribute name, or `custom_attributes.NAME`.
    /// `show`, `show FIELD`, `show --all` (every field, empty ones too).
    case show(field: String?, all: Bool = false)
    /// A writable standard field, its value typed by the field's kind.
    case set(field: String, value: JSONValue)
    /// A custom attribute name `CustomAttributeRules` accepts, and a flat typed value.
    case attr(name: String, value: JSONValue)
    /// A writable standard field.
    case unset(field: String)
    case unattr(name: String)
    /// Open the loaded lead in `$VISUAL`/`$EDITOR`; the shell runs the edits the file asks for.
    case edit
    /// List the workspace's custom attributes (read again when online).
    case attributes
    case diff
    case push(dryRun: Bool)
    case discard
    /// `limit`: list at most this many rows (the session's page size when nil).
    case queue(all: Bool, limit: Int? = nil)
    /// `blind`: send without re-reading leads for conflicts.
    case sync(blind: Bool)
    case retry(seq: Int64)
    case drop(seq: Int64)
    case conflicts
    case resolve(seq: Int64, Resolution)
    case offline
    case online
    case status
    case history(count: Int?, asScript: Bool)
    case source(path: String, arguments: [String] = [])
    /// A canonical command name (`help exit` gives `quit`), or nil for the list.
    case help(topic: String?)
    case quit
    /// Find leads by conditions (`find plan=gold signed_up_at<2026-06-01`): list them and
    /// cache them; `load found` selects them.
    case find(LeadSearch)
    /// List the cached leads whose name or email contains `filter`; `json` prints one array.
    case leads(filter: String?, json: Bool)
    /// Journal one update per row of a CSV file. `onError` nil: the session's `--on-error`.
    case importFile(path: String, dryRun: Bool, onError: ImportErrorPolicy?)
    /// Queue the inverse of the sent updates `from` through `through` (equal for one), newest first.
    case revert(from: Int64, through: Int64)
    /// Write the selection, or the cached leads whose name or email contains `filter`, as CSV;
    /// `columns` as an import header names them (empty: name, email, every custom attribute).
    case export(path: String, columns: [String], filter: String?)

    /// Add (`add`) or remove tags, on the lead or on each lead of the selection: an edit, journaled by `push`.
    case tag(names: [String], add: Bool)
    /// The lead's tags.
    case tags
    /// A note for the lead, journaled at once.
    case note(String)
    /// The lead's notes.
    case notes
    /// Merge the loaded lead into a user (`id` or `userID`, the external id).
    case merge(into: LeadReference, dryRun: Bool)

    /// The catalogue entry of this command.
    public var spec: CommandSpec { CommandSpec.spec(verb) }

    var verb: Verb {
        switch self {
        case .load: .load
        case .show: .show
        case .set: .set
        case .attr: .attr
        case .unset: .unset
        case .unattr: .unattr
        case .edit: .edit
        case .attributes: .attributes
        case .diff: .diff
        case .push: .push
        case .discard: .discard
        case .queue: .queue
        case .sync: .sync
        case .retry: .retry
        case .drop: .drop
        case .conflicts: .conflicts
        case .resolve: .resolve
        case .offline: .offline
        case .online: .online
        case .status: .status
        case .history: .history
        case .source: .source
        case .help: .help
        case .quit: .quit
        case .find: .find
        case .leads: .leads
        case .importFile: .importFile
        case .revert: .revert
        case .export: .export
        case .tag(_, let add): add ? .tag : .untag
        case .tags: .tags
        case .note: .note
        case .notes: .notes
        case .merge: .merge
        }
    }
}

extension Command: CustomStringConvertible {
    /// The command as a line that parses back to the same command, for scripts and history.
    public var description: String {
        func word(_ text: String) -> String { Tokenizer.quote(Word(text)) }
        switch self {
        case .load(.id(let id)): return "load " + word(id)
        case .load(.userID(let uid)): return "load " + word("user_id=" + uid)
        case .load(.email(let email)): return "load " + word("email=" + email)
        case .load(.found): return "load found"
        case .show(let field, let all): return all ? "show --all" : field.map { "show " + word($0) } ?? "show"
        case .set(let field, let value):
            return "set \(word(field)) "
                + Command.literal(value) { text throws(ParseError) in
                    guard let standard = StandardField.named(field) ?? StandardField.named(field, in: .v2) else {
                        return .string(text.text)
                    }
                    return try Literal.fieldValue(text, for: standard)
                }
        case .attr(let name, let value):
            return "attr \(word(name)) "
                + Command.literal(value) { text throws(ParseError) in
                    try Literal.attributeValue(text)
                }
        case .unset(let field): return "unset " + word(field)
        case .unattr(let name): return "unattr " + word(name)
        case .edit: return "edit"
        case .attributes: return "attributes"
        case .diff: return "diff"
        case .push(let dryRun): return dryRun ? "push --dry-run" : "push"
        case .discard: return "discard"
        case .queue(let all, let limit): return (all ? "queue --all" : "queue") + (limit.map { " \($0)" } ?? "")
        case .sync(let blind): return blind ? "sync --blind" : "sync"
        case .retry(let seq): return "retry \(seq)"
        case .drop(let seq): return "drop \(seq)"
        case .conflicts: return "conflicts"
        case .resolve(let seq, let side): return "resolve \(seq) \(side.rawValue)"
        case .offline: return "offline"
        case .online: return "online"
        case .status: return "status"
        case .history(let count, let asScript):
            return (["history"] + [count.map(String.init), asScript ? "--as-script" : nil].compactMap { $0 })
                .joined(separator: " ")
        case .source(let path, let arguments): return (["source", word(path)] + arguments.map(word)).joined(separator: " ")
        case .help(let topic): return topic.map { "help " + word($0) } ?? "help"
        case .quit: return "quit"
        case .find(let search):
            var words = ["find"] + search.conditions.map(Command.condition)
            if search.role != .lead { words.append("role=" + search.role.rawValue) }
            if let limit = search.limit { words.append("--limit \(limit)") }
            return words.joined(separator: " ")
        case .leads(let filter, let json):
            return (["leads"] + [filter.map(word), json ? "--json" : nil].compactMap { $0 }).joined(separator: " ")
        case .importFile(let path, let dryRun, let onError):
            return (["import", word(path)] + [dryRun ? "--dry-run" : nil, onError.map { "--on-error \($0.rawValue)" }].compactMap { $0 })
                .joined(separator: " ")
        case .revert(let from, let through): return from == through ? "revert \(from)" : "revert \(from)..\(through)"
        case .export(let path, let columns, let filter):
            return (["export", word(path)] + columns.map(word) + (filter.map { ["--filter", word($0)] } ?? [])).joined(separator: " ")
        case .tag(let names, let add): return ([add ? "tag" : "untag"] + names.map(word)).joined(separator: " ")
        case .tags: return "tags"
        case .note(let text): return "note " + Tokenizer.quote(Word(text, quoted: true))
        case .notes: return "notes"
        case .merge(let target, let dryRun):
            let word = target.id.map { word($0) } ?? word("external_id=" + (target.userID ?? ""))
            return "merge into " + word + (dryRun ? " --dry-run" : "")
        }
    }

    /// The VALUE of a `set` or `attr` as ``description`` writes it, so that it reads back as the
    /// same value (`9`, `'9'`, `"Liam O'Brien"`); nil for any other command.
    public var valueText: String? {
        let prefix: String
        switch self {
        case .set(let field, _): prefix = "set " + Tokenizer.quote(Word(field)) + " "
        case .attr(let name, _): prefix = "attr " + Tokenizer.quote(Word(name)) + " "
        default: return nil
        }
        return String(description.dropFirst(prefix.count))
    }

    /// A condition as `find` reads it back: bare when it can stand so (a comma list must), else
    /// quoted whole (a quoted condition is neither split at commas nor typed as a number).
    static func condition(_ condition: SearchCondition) -> String {
        let text = condition.description
        let typedAsWritten = condition.values.allSatisfy { value in
            if case .string(let s) = value { return condition.op.isTextual || (try? Literal.attributeValue(Word(s))) == value }
            return true
        }
        if condition.values.count > 1 || (Tokenizer.canStandBare(text) && typedAsWritten && !text.contains(",")) { return text }
        return Tokenizer.quote(Word(text, quoted: true))
    }

    /// A value written bare when it reads back the same way, otherwise quoted.
    private static func literal(_ value: JSONValue, reading: (Word) throws(ParseError) -> JSONValue) -> String {
        switch value {
        case .string(let s):
            let bare = Word(s)
            if Tokenizer.canStandBare(s), (try? reading(bare)) == value { return s }
            return Tokenizer.quote(Word(s, quoted: true))
        case .integer(let i): return String(i)
        case .double(let d): return JSONText.formatDouble(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: return Tokenizer.quote(Word(JSONText.serialize(value), quoted: true))
        }
    }
}
