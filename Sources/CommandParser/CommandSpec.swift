public import LeadModel

/// One command of the shell as help, completion, suggestions and usage errors describe it.
public struct CommandSpec: Sendable, Hashable {
    public let name: String
    /// Other spellings that run the same command (`exit` and `\q` for `quit`).
    public let aliases: [String]
    /// The arguments, as in `attr NAME VALUE` (no `usage:` prefix).
    public let usage: String
    public let summary: String
    public let example: String
    /// More lines for `help NAME`, or nil.
    public let details: String?
    let verb: Verb

    /// Every command, in the order `help` lists them.
    public static let all: [CommandSpec] = [
        .init(
            .load, usage: "load ID | load user_id=UID | load external_id=UID | load email=EMAIL | load found",
            summary: "fetch a lead and make it current (offline: the cached copy, with its age)",
            example: "load 5811f6bbe6b4704ddfa84ac0",
            details:
                "`load id=ID` is the same as `load ID`; `external_id=` (2.x's name) and `user_id=` (1.x's) are the same. Under 2.x, external_id is found with a search: one match loads it, several are listed. A lead loaded by email cannot be updated: Intercom identifies a lead for update only by id or user_id. `load found` selects every lead the last `find` listed: set, attr, unset and unattr then change each of them, diff sums the changes up per field, and push journals one update per lead."
        ),
        .init(
            .show, usage: "show [FIELD | --all]",
            summary: "show the current lead's fields that have a value, or one field, with pending edits marked",
            example: "show custom_attributes.plan",
            details:
                "Empty fields are left out and nested objects summed up on one line (location, tags, companies); custom attributes come last, with their types. `show --all` lists every field as Intercom sent it. FIELD is a standard field, a custom attribute name, or custom_attributes.NAME."
        ),
        .init(
            .set, usage: "set FIELD VALUE",
            summary: "change a standard field: name, email, phone, last_seen_user_agent, unsubscribed_from_emails, ...",
            example: "set name \"O'Brien\"",
            details:
                "Text fields take VALUE as typed; unsubscribed_from_emails takes true or false; time fields (last_request_at, last_seen_at, ...) take Unix seconds, ISO 8601 (2026-12-01, 2026-12-01T10:00:00Z, 2026-12-01T10:00:00+02:00) or now. Custom attributes use `attr`."
        ),
        .init(
            .find, usage: "find CONDITION... [--limit N]",
            summary: "find leads by any field, custom attribute or tag (2.x), list them and cache them; `load found` selects them",
            example: "find plan=trial signed_up_at<2026-06-01",
            details:
                "A CONDITION is FIELD OPERATOR VALUE in one word: = != < > <= >= ~ (contains) !~ ^ (starts with) $ (ends with); several are ANDed. An unquoted comma list is any of its values (plan=gold,silver; with != none of them); a quoted condition is never split or expanded ('email$@acme.com', 'plan=a,b'). FIELD is a standard field, a custom attribute, custom_attributes.NAME, tag (tag=vip) or role (lead by default; role=user, role=any). Values are typed as set and attr type them; times take ISO 8601 or Unix seconds. 2.x searches every page (--limit N stops early); 1.x takes only email= or user_id=. Offline, the cached leads are matched, and it says so. `load found` makes the leads found the selection."
        ),
        .init(
            .leads, usage: "leads [FILTER] [--json]",
            summary: "list the cached leads: id, name, email, cache age and unsent updates",
            example: "leads brien",
            details: "FILTER keeps the leads whose name or email contains it, in any case. --json prints one array."),
        .init(
            .attributes, usage: "attributes",
            summary: "list the workspace's custom attributes with their types (reads them again when online)",
            example: "attributes",
            details:
                "Under 2.x a custom attribute must exist before `attr` sets it; the list is kept in the journal and read again on `load` when older than an hour."
        ),
        .init(
            .attr, usage: "attr NAME VALUE",
            summary: "set a custom attribute; VALUE is typed: true/false, integer, decimal, null, \"quoted\" string, bare word string",
            example: "attr seats 9",
            details: """
                `attr seats 9` sends the integer 9, `attr seats "9"` the string "9". Numbers follow JSON: 007, +5, .5 and nan stay strings.
                  A bare value starting with { or [ is refused (Intercom takes flat values only); quote it to send it as text.
                """),
        .init(.unset, usage: "unset FIELD", summary: "clear a standard field (sends null)", example: "unset phone"),
        .init(.unattr, usage: "unattr NAME", summary: "clear a custom attribute (sends null)", example: "unattr plan"),
        .init(
            .edit, usage: "edit", summary: "edit the lead's fields and custom attributes in $VISUAL or $EDITOR (default vi)",
            example: "edit",
            details: """
                One NAME = VALUE line each, VALUE read as `set` and `attr` read it (9 an integer, '9' the text 9; quote text with spaces), its type in a comment. On save each changed line runs as the `set`, `attr`, `unset` or `unattr` it stands for: `diff` shows the edits, `push` journals them.
                  `NAME =` with nothing after it clears the field; a deleted line changes nothing; a new line sets that custom attribute. A line with an error reopens the editor with `# error:` above it; quit without saving, or empty the file, to change nothing. Only on a terminal, and for one lead.
                """),
        .init(
            .tag, usage: "tag NAME...", summary: "add tags to the lead, or to each lead of the selection; `push` journals them",
            example: "tag vip trial",
            details:
                "An edit like `set`: `diff` shows it, `push` journals it after the lead's other edits, `discard` forgets it. Tagging is idempotent. Under 2.x the tag's id is found (or the tag created) when it is sent. Tab completes the workspace's tags."
        ),
        .init(
            .untag, usage: "untag NAME...", summary: "remove tags from the lead, or from each lead of the selection; `push` journals it",
            example: "untag trial",
            details: "A tag and an untag of the same name, both unsent, become the later one: a lead that had the tag before still loses it."),
        .init(.tags, usage: "tags", summary: "list the lead's tags, unsent ones marked", example: "tags"),
        .init(
            .note, usage: "note TEXT", summary: "add a note for the team to the lead: journaled at once, no `push` needed",
            example: "note \"Called, wants a demo\"",
            details:
                "Sent exactly once. When a send's outcome is unknown (the answer cut, a timeout, a crash), leadsh lists the lead's notes before sending it again and does not send one that landed. It recognises its own note by its text as a person reads it (Intercom stores it as HTML, <p>TEXT</p>), its author, and its time."
        ),
        .init(.notes, usage: "notes", summary: "list the lead's notes (online), and its unsent ones", example: "notes"),
        .init(
            .merge, usage: "merge into ID | merge into external_id=X [--dry-run]",
            summary: "merge the loaded lead into a user: journaled at once, asks first on a terminal",
            example: "merge into 5811f80ae6b4704ddfa84ae7",
            details:
                "2.x POST /contacts/merge, 1.x POST /contacts/convert. Once it is delivered, the lead's unsent updates, tags and notes go to the user, each in its place; a moved update takes the user's values as its base, so the move alone makes no conflict. A merge whose outcome is unknown is checked before it is sent again: the lead gone and the user there means it landed. It cannot be reverted."
        ),
        .init(.diff, usage: "diff", summary: "show pending edits against the loaded lead, old -> new", example: "diff"),
        .init(
            .push, usage: "push [--dry-run]",
            summary: "write the edits as one update to the journal, then deliver it unless offline",
            example: "push --dry-run",
            details: "--dry-run shows the exact request body and the before/after values, and sends and journals nothing."),
        .init(.discard, usage: "discard", summary: "drop pending edits", example: "discard"),
        .init(
            .queue, usage: "queue [--all] [N]",
            summary: "list journal entries: sequence, lead, changed fields, state, attempts, last error",
            example: "queue --all 50",
            details:
                "Without --all, updates already sent are left out. Lists the first N rows (a screenful on a terminal, else 1000) and how many more there are; --json lists them all."
        ),
        .init(
            .sync, usage: "sync [--blind]", summary: "replay pending updates now", example: "sync",
            details: "--blind sends without re-reading the leads first, so conflicts are not detected."),
        .init(.retry, usage: "retry SEQ", summary: "requeue a failed update", example: "retry 12"),
        .init(.drop, usage: "drop SEQ", summary: "abandon a failed update", example: "drop 12"),
        .init(.conflicts, usage: "conflicts", summary: "show updates in conflict, as three-way diffs", example: "conflicts"),
        .init(
            .resolve, usage: "resolve SEQ mine|theirs",
            summary: "settle a conflict: send your values (mine) or keep Intercom's (theirs)",
            example: "resolve 12 mine"),
        .init(
            .importFile, usage: "import FILE [--dry-run] [--on-error stop|continue]",
            summary: "journal one update per row of a CSV file; safe to run again",
            example: "import leads.csv --dry-run",
            details: """
                The header names the lead by id or user_id (external_id in 2.x); every other column is a standard field or custom_attributes.NAME, with an optional :string, :integer, :decimal or :boolean suffix (zip:string).
                  An empty cell changes nothing. A custom attribute's cell reads as `attr` reads a value: 9 an integer, 9.0 a decimal, true/false, null, else a string; a cell holding "9" (\"\"\"9\"\"\" in the file) is the string 9.
                  A bad row is reported as FILE:LINE and journals nothing; --on-error stop (the default in scripts) ends the import there, continue goes on. Rows already imported are counted, not journaled again.
                """),
        .init(
            .export, usage: "export FILE [COLUMN...] [--filter TEXT]",
            summary: "write the selection (or the cached leads) as CSV; importing it back sends only the cells changed",
            example: "export leads.csv name email custom_attributes.plan",
            details: """
                Writes the leads `load found` selected, else the cached leads (--filter TEXT keeps those `leads TEXT` lists), in file mode 0600. Columns: id@EXPORT (the lead's id; keep this header), user_id or external_id, then COLUMN... as an import header names them, by default name, email and every custom attribute the leads have.
                  Importing the file back compares each cell with what was exported, as typed values (TRUE is true, 1.50 is 1.5): an unchanged cell sends nothing, an emptied one clears the field, a changed one is checked against Intercom at replay and becomes a conflict if Intercom's value changed since the export.
                """),
        .init(
            .revert, usage: "revert SEQ | revert SEQ..SEQ",
            summary: "queue the inverse of a sent update (a range: newest first)",
            example: "revert 12",
            details:
                "Each field goes back to the value it had before the update. A field someone changed in Intercom since is not overwritten: it shows as a conflict."
        ),
        .init(.offline, usage: "offline", summary: "work offline: pushes wait in the journal", example: "offline"),
        .init(.online, usage: "online", summary: "go back online and replay what waits", example: "online"),
        .init(.status, usage: "status", summary: "show the mode, reachability and pending count", example: "status"),
        .init(
            .history, usage: "history [N] [--as-script]",
            summary: "list the commands of this session (the last N)",
            example: "history 20",
            details: "--as-script prints them as a script that replays the session."),
        .init(
            .source, usage: "source FILE [ARGS...]", summary: "run the commands of a script file", example: "source retag.leadsh gold",
            details:
                "A relative FILE is found next to the running script. ARGS are the sourced script's $1, $2, ...; it stops at its first failing command unless leadsh runs with --on-error continue."
        ),
        .init(
            .help, usage: "help [COMMAND]", summary: "list the commands, or show one command's usage and example",
            example: "help attr"),
        .init(
            .quit, aliases: ["exit", "\\q"], usage: "quit", summary: "leave the shell (warns once about unpushed edits)",
            example: "quit"),
    ]

    /// The command with this name or alias, in any case (`LOAD` is `load`).
    public static func named(_ name: String) -> CommandSpec? {
        guard name.utf8.count <= 16 else { return nil }
        return byName[name.lowercased()]
    }

    /// Every name and alias that completion offers for the first word (`\q` left out).
    public static let completableNames: [String] = all.flatMap { [$0.name] + $0.aliases.filter { $0 != "\\q" } }.sorted()

    /// The text of `help`: one aligned line per command.
    public static var overview: String {
        let width = min(all.map(\.usage.count).max() ?? 0, 26)
        var lines = ["commands (help COMMAND for details):"]
        for spec in all {
            let pad = max(1, width - spec.usage.count + 2)
            if spec.usage.count > width {
                lines.append("  \(spec.usage)")
                lines.append("  " + String(repeating: " ", count: width + 2) + spec.summary)
            } else {
                lines.append("  \(spec.usage)" + String(repeating: " ", count: pad) + spec.summary)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `help set` in a dialect: the fields that dialect's `set` takes, and how each reads its value.
    public static func setHelp(in dialect: Dialect) -> String {
        let fields = StandardField.all(in: dialect).filter(\.isWritable)
        let width = fields.map(\.name.count).max() ?? 0
        var lines = [
            "usage: set FIELD VALUE",
            "  change a standard field (API \(dialect)); custom attributes use `attr`",
            "  example: set name \"O'Brien\"",
            "  fields:",
        ]
        let kinds = fields.map(\.kindPhrase)
        let kindWidth = kinds.map(\.count).max() ?? 0
        for (field, kind) in zip(fields, kinds) {
            lines.append("    " + field.name.padding(width) + "  " + kind.padding(kindWidth) + "  " + field.summary)
        }
        return lines.joined(separator: "\n")
    }

    /// The text of `help NAME`: usage, summary, aliases, example and details.
    public var help: String {
        var lines = ["usage: \(usage)", "  \(summary)"]
        if !aliases.isEmpty { lines.append("  also: " + aliases.joined(separator: ", ")) }
        lines.append("  example: \(example)")
        if let details { lines.append("  " + details) }
        return lines.joined(separator: "\n")
    }

    private static let byName: [String: CommandSpec] = {
        var map: [String: CommandSpec] = [:]
        for spec in all {
            map[spec.name] = spec
            for alias in spec.aliases { map[alias] = spec }
        }
        return map
    }()

    static func spec(_ verb: Verb) -> CommandSpec { byVerb[verb]! }

    private static let byVerb: [Verb: CommandSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.verb, $0) })

    private init(
        _ verb: Verb, aliases: [String] = [], usage: String, summary: String, example: String, details: String? = nil
    ) {
        self.verb = verb
        self.name = verb.rawValue
        self.aliases = aliases
        self.usage = usage
        self.summary = summary
        self.example = example
        self.details = details
    }
}

/// The commands, as the parser dispatches on them.
enum Verb: String, Sendable, Hashable, CaseIterable {
    case load, show, set, attr, unset, unattr, edit, attributes, diff, push, discard, queue, sync, retry, drop, conflicts, resolve
    case offline, online, status, history, source, help, quit
    case find, leads, importFile = "import", revert, export
    case tag, untag, tags, note, notes, merge
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
