import CommandParser
import Foundation
import LeadModel
import Session
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `edit`: the loaded lead in `$VISUAL` or `$EDITOR`, one `NAME = VALUE` line per field; on save
/// each changed line runs as the `set`, `attr`, `unset` or `unattr` it stands for.
extension Shell {
    /// Opens the editor until the file holds no error, or the user leaves it unchanged or empty;
    /// then runs the file's edits as typed commands. False when one of them failed.
    func editInEditor(at location: Location) async throws(CommandFailure) -> Bool {
        guard let terminal = interactiveSource, terminal.isInteractive else {
            throw CommandFailure(
                .needsTerminal, "edit opens an editor, so it needs a terminal; in a script use set, attr, unset and unattr")
        }
        let lead = try await session.editableLead()
        let editor = try EditFile.editorCommand(environment)
        let file = EditFile(lead: lead, apiVersion: "\(session.apiVersion)")
        let folder = try EditFile.privateFolder(environment)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path =
            folder + "/lead-"
            + String(lead.id.unicodeScalars.filter { $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(Character.init)) + ".txt"

        var written = file.text
        var edits: [EditFile.Edit]
        while true {
            try EditFile.write(written, to: path)
            try await EditFile.run(editor, on: path, environment: environment)
            let saved = try EditFile.read(path)
            if saved == written || saved.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                printer.warn(saved == written ? "edit: the file was not changed; nothing changed" : "edit: the file was emptied; nothing changed")
                return true
            }
            var problems: [EditFile.Problem]
            (edits, problems) = file.read(saved, secret: printer.secret)
            if problems.isEmpty {
                let failures = await session.failures(of: edits.map(\.command))
                problems = failures.sorted { $0.key < $1.key }.map { EditFile.Problem(line: edits[$0.key].line, message: $0.value.message) }
            }
            if problems.isEmpty { break }
            let lines = Set(problems.map(\.line)).count
            printer.warn(
                "edit: \(lines == 1 ? "a line has an error" : "\(lines) lines have errors"); reopening the editor with `# error:` above \(lines == 1 ? "it" : "each") (quit without saving, or empty the file, to change nothing)"
            )
            written = EditFile.annotate(saved, problems: problems)
        }

        guard !edits.isEmpty else {
            printer.warn("edit: no changes")
            return true
        }
        var ok = true
        for edit in edits {
            let line = edit.command.description
            // Kept as if typed: the history recalls it, `history --as-script` replays it.
            if mayRecord(line) { terminal.recordHistory(line) }
            if !(await run(edit.command, at: location)) { ok = false }
        }
        if ok {
            printer.warn("edit: \(edits.count == 1 ? "1 edit" : "\(edits.count) edits") pending; `diff` shows them, `push` journals and sends them")
        }
        return ok
    }
}

/// The file `edit` writes, and how the lines the user saved become commands.
struct EditFile {
    let lead: EditableLead
    /// The text first written.
    let text: String
    /// Each written line's VALUE, as words, by NAME as written: a line that still reads the same changes nothing.
    private let writtenValues: [String: [Word]]

    /// A line that asks for an edit, and the command it stands for.
    struct Edit {
        /// Index of the line in the saved text.
        var line: Int
        var command: Command
    }

    /// Why a line cannot be applied; `line` indexes the saved text.
    struct Problem {
        var line: Int
        var message: String
    }

    static let errorPrefix = "# error: "
    /// How a line names a custom attribute in full (`custom_attributes.plan`).
    static let customPrefix = "custom_attributes."

    /// - Parameter apiVersion: The version the session speaks, for the file's first line.
    init(lead: EditableLead, apiVersion: String) {
        self.lead = lead
        var rows: [(line: String, type: String)] = []
        var values: [String: [Word]] = [:]
        func add(_ item: EditableValue) {
            let name: String
            let valueText: String
            // A nested value (2.x's avatar object) cannot be typed back: its line starts empty
            // and its comment shows it; a value typed there replaces it.
            var value = item.value
            var comment = EditFile.typeComment(item)
            if let nested = value, nested.isNested {
                comment += "; currently " + JSONText.serialize(nested)
                value = nil
            }
            switch item.key {
            case .standard(let field):
                name = field
                valueText = value.flatMap { Command.set(field: field, value: $0).valueText } ?? ""
            case .custom(let attribute):
                // An attribute named like a field of the dialect is written in full, so it reads back as itself.
                name = EditFile.isStandardName(attribute, lead.dialect) ? FieldKey.custom(attribute).description : attribute
                valueText = value.flatMap { Command.attr(name: attribute, value: $0).valueText } ?? ""
            }
            values[name] = (try? Tokenizer.split(valueText)) ?? []
            rows.append((valueText.isEmpty ? "\(name) =" : "\(name) = \(valueText)", comment))
        }
        var out = [
            "# leadsh: lead \(lead.id)\(lead.label.map { " (\(Tokenizer.quote(Word($0))))" } ?? ""), API \(apiVersion). One line per field: NAME = VALUE.",
            "# VALUE reads as `set NAME VALUE` and `attr NAME VALUE` read it: 9 is an integer, '9' the text 9,",
            "# true/false a boolean; quote text with spaces. `NAME =` with nothing after it clears the field.",
            "# A deleted line changes nothing; a new line sets that custom attribute.",
            "# Save and quit: the changes become pending edits (`diff` shows them, `push` sends them).",
            "# Quit without saving, or empty the file, to change nothing.",
            "",
            "# standard fields",
        ]
        for field in lead.fields { add(field) }
        let fieldRows = rows.count
        for attribute in lead.attributes { add(attribute) }
        let width = min(rows.map(\.line.count).max() ?? 0, 40)
        func render(_ row: (line: String, type: String)) -> String {
            row.line + String(repeating: " ", count: max(1, width - row.line.count + 2)) + "# " + row.type
        }
        out += rows[..<fieldRows].map(render)
        out.append("")
        out.append(lead.attributes.isEmpty ? "# custom attributes: none yet (a line NAME = VALUE sets one)" : "# custom attributes")
        out += rows[fieldRows...].map(render)
        text = out.joined(separator: "\n") + "\n"
        writtenValues = values
    }

    /// What a line's comment says the value is.
    static func typeComment(_ item: EditableValue) -> String {
        if let field = item.field {
            guard field.isTime else { return item.type }
            let now = item.value?.integerValue.map { "; currently " + TimeValue.utcText($0) } ?? ""
            return "time: Unix seconds, ISO 8601 (2026-12-01T10:00:00Z) or now" + now
        }
        return item.archived ? "\(item.type), archived: cannot be set" : item.type
    }

    /// Whether a line's NAME is a standard field (`set`/`unset`) rather than a custom attribute
    /// (`attr`/`unattr`): a field of the dialect, or of the other one (so `set` can say what to use).
    static func isStandardName(_ name: String, _ dialect: Dialect) -> Bool {
        !name.hasPrefix(EditFile.customPrefix)
            && (StandardField.named(name, in: dialect) != nil || StandardField.fromOtherDialect(name, in: dialect) != nil)
    }

    /// The edits the saved text asks for, in line order, or why its lines cannot be applied.
    func read(_ saved: String, secret: String?) -> (edits: [Edit], problems: [Problem]) {
        var edits: [Edit] = []
        var problems: [Problem] = []
        var seen: [FieldKey: Int] = [:]
        let current = lead.values
        for (index, raw) in EditFile.lines(saved).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func problem(_ message: String) { problems.append(Problem(line: index, message: message)) }
            if line.unicodeScalars.contains("\u{FFFD}") {
                problem("the line is not valid UTF-8 text (unreadable bytes show as U+FFFD); save the file as UTF-8")
                continue
            }
            if let secret, !secret.isEmpty, line.containsSecret(secret) {
                problem("this line holds your Intercom token, which is never sent as data; remove it")
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                problem("a line is NAME = VALUE or a # comment, and this one has no =")
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                problem("the line has no NAME before =")
                continue
            }
            let words: [Word]
            do {
                words = try Tokenizer.split(String(line[line.index(after: equals)...]))
            } catch {
                problem(error.description)
                continue
            }
            let standard = EditFile.isStandardName(name, lead.dialect)
            let key: FieldKey = standard ? .standard(name) : FieldKey(path: name.hasPrefix(EditFile.customPrefix) ? name : EditFile.customPrefix + name)
            if let first = seen[key] {
                problem("\(name) is on line \(first + 1) too; keep one line per field")
                continue
            }
            seen[key] = index
            if writtenValues[name] == words { continue }
            // The command the line stands for, parsed as if typed, so it is checked the same way.
            let verb = words.isEmpty ? (standard ? "unset" : "unattr") : (standard ? "set" : "attr")
            let command: Command
            do {
                guard let parsed = try CommandParser.parse(words: [Word(verb), Word(name)] + words, dialect: lead.dialect) else { continue }
                command = parsed
            } catch {
                problem(error.description)
                continue
            }
            // A value the lead already has needs no command (a value quoted differently, say).
            if EditFile.value(of: command) == (current[key] ?? .null) { continue }
            edits.append(Edit(line: index, command: command))
        }
        return (edits, problems)
    }

    /// The value an edit command sets (null for `unset` and `unattr`).
    static func value(of command: Command) -> JSONValue? {
        switch command {
        case .set(_, let value), .attr(_, let value): return value
        case .unset, .unattr: return .null
        default: return nil
        }
    }

    /// The saved text with the last round's `# error:` lines taken out and one put above each
    /// line that has a problem; the user's own lines are kept as they are.
    static func annotate(_ saved: String, problems: [Problem]) -> String {
        let byLine = Dictionary(grouping: problems, by: \.line)
        var out: [String] = []
        for (index, line) in lines(saved).enumerated() {
            if line.hasPrefix(errorPrefix) { continue }
            for problem in byLine[index] ?? [] { out.append(errorPrefix + problem.message) }
            out.append(line)
        }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    /// The lines of a file, a CR before each newline dropped.
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
    }

    // MARK: The editor and its file

    /// The editor as words: `$VISUAL`, then `$EDITOR`, then `vi`, split as a shell splits them
    /// (`EDITOR="code --wait"`); which variable named it, for messages.
    static func editorCommand(_ environment: [String: String]) throws(CommandFailure) -> (words: [String], origin: String) {
        for variable in ["VISUAL", "EDITOR"] {
            guard let value = environment[variable], !value.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let words: [String]
            do {
                words = try Tokenizer.split(value).map(\.text)
            } catch {
                throw CommandFailure(.editor, "$\(variable) cannot be read as a command (\(error.message)); set it to an editor such as vi or \"code --wait\"")
            }
            guard !words.isEmpty else { continue }
            return (words, "$" + variable)
        }
        return (["vi"], "the default, as neither $VISUAL nor $EDITOR is set")
    }

    /// Runs the editor on `path` with the terminal handed over (stdin, stdout and stderr are
    /// leadsh's own), in the shell's environment without the token's variables.
    static func run(_ editor: (words: [String], origin: String), on path: String, environment: [String: String]) async throws(CommandFailure) {
        let program = editor.words[0]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment where !Shell.secretVariables.contains(name) {
            if let key = Environment.Key(rawValue: name) { variables[key] = value }
        }
        let status: TerminationStatus
        do {
            status = try await Subprocess.run(
                executable, arguments: Arguments(Array(editor.words.dropFirst()) + [path]), environment: .custom(variables),
                input: .currentStandardInput, output: .currentStandardOutput, error: .currentStandardError
            ).terminationStatus
        } catch {
            throw CommandFailure(
                .editor, "could not start the editor `\(program)` (\(editor.origin)): \(error); set $VISUAL or $EDITOR to an installed editor. Nothing changed")
        }
        switch status {
        case .exited(0): return
        case .exited(let code):
            throw CommandFailure(.editor, "the editor `\(program)` exited with status \(code); nothing changed")
        case .signaled(let signal):
            throw CommandFailure(.editor, "the editor `\(program)` was killed by signal \(signal); nothing changed")
        }
    }

    /// A new folder only this user can enter (mode 0700), under `$TMPDIR` or `/tmp`.
    static func privateFolder(_ environment: [String: String]) throws(CommandFailure) -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/leadsh-edit.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else {
            throw CommandFailure(
                .editor, "edit cannot make a folder for its file in \(base): \(String(cString: strerror(errno))); set $TMPDIR to a writable folder")
        }
        return String(cString: template)
    }

    /// Writes the file, mode 0600.
    static func write(_ text: String, to path: String) throws(CommandFailure) {
        do {
            let descriptor = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
            try descriptor.closeAfter { _ = try descriptor.writeAll(Array(text.utf8)) }
        } catch {
            throw CommandFailure(.editor, "edit cannot write its file \(path): \(error); nothing changed")
        }
    }

    /// The file as the editor left it.
    static func read(_ path: String) throws(CommandFailure) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(.editor, "edit cannot read its file back (\(path) is gone or unreadable); nothing changed")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension JSONValue {
    /// An array or an object: a value no `set` or `attr` can type.
    fileprivate var isNested: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }
}
