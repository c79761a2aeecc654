import CommandParser
import Foundation
import LeadModel
import LineEditor
import Session
import Synchronization

/// Runs lines through the parser and the session: the same loop for a terminal, a script and `-c`.
final class Shell: @unchecked Sendable {
    let session: Session
    let printer: Printer
    let dryRun: Bool
    let continueOnError: Bool
    /// Commands that changed something, for `history --as-script`.
    private(set) var scriptLines: [String] = []
    /// The persistent history (interactive only).
    let historyFile: HistoryFile?
    var interactiveSource: (any LineSource)?
    private var quitWarned = false
    private(set) var quitRequested = false
    private var sourceDepth = 0
    /// An import's progress line, cleared when each command ends.
    var progress: ImportProgress?
    /// Attribute names of the current lead, for completion from libedit's thread.
    let completionNames = CompletionNames()

    /// The environment `${NAME}` in a script expands from (the token's variables never).
    let environment: [String: String]

    init(session: Session, printer: Printer, dryRun: Bool, continueOnError: Bool, historyFile: HistoryFile?, environment: [String: String]) {
        self.session = session
        self.environment = environment
        self.printer = printer
        self.dryRun = dryRun
        self.continueOnError = continueOnError
        self.historyFile = historyFile
    }

    /// Where a line came from, for `FILE:LINE:` messages.
    struct Location {
        var name: String?
        var line: Int?
        /// The folder `source` resolves relative paths against.
        var directory: String
        /// `$1`, `$2`, … for a script; nil disables expansion.
        var arguments: [String]?
    }

    /// Runs one line. Returns false when it failed.
    @discardableResult
    func run(line: String, at location: Location) async -> Bool {
        // Bytes that are not UTF-8 were read as U+FFFD; running the line would send mangled text.
        if line.unicodeScalars.contains("\u{FFFD}") {
            report(
                CommandFailure(.invalidUTF8, "the line is not valid UTF-8 text (unreadable bytes show as U+FFFD); nothing was run. Save the script as UTF-8"),
                location: location.name, line: location.line)
            return false
        }
        // A token pasted or written into a line: refused before it can be parsed, echoed,
        // journaled or sent.
        if let secret = printer.secret, !secret.isEmpty, line.containsSecret(secret) {
            report(
                CommandFailure(.tokenInLine, "this line holds your Intercom token, so it was not run: the token is never journaled, sent as data or printed"),
                location: location.name, line: location.line)
            return false
        }
        let command: Command?
        var askedForSecret: String?
        do {
            let expand: ((String) -> String?)? = location.arguments.map { args in
                { name in
                    if let n = Int(name) { return n >= 1 && n <= args.count ? args[n - 1] : nil }
                    // The token never enters a command: it would be journaled and sent as a value.
                    if Shell.secretVariables.contains(name) {
                        askedForSecret = name
                        return nil
                    }
                    return self.environment[name]
                }
            }
            command = try CommandParser.parse(line, expand: expand, dialect: session.dialect)
        } catch {
            let message = askedForSecret.map { "$\($0) is never expanded in commands: the token must not reach the journal, the history or Intercom" }
            let code = askedForSecret == nil ? FailureCode(rawValue: error.code) ?? .invalidCommand : .secretVariable
            report(CommandFailure(code, message ?? error.description), location: location.name, line: location.line)
            return false
        }
        guard let command else { return true }
        return await run(command, at: location)
    }

    /// Runs one typed command: a parsed line, or a mode's own command (`leadsh sync`,
    /// `leadsh import FILE`), with no string round trip. Returns false when it failed.
    @discardableResult
    func run(_ command: Command, at location: Location) async -> Bool {
        if case .quit = command {
            quitRequested = await confirmQuit()
            return true
        }
        quitWarned = false
        do {
            switch command {
            case .history(let count, let asScript):
                try await history(count: count, asScript: asScript)
            case .source(let path, let arguments):
                return await source(path, arguments: arguments, relativeTo: location.directory)
            case .edit:
                return try await editInEditor(at: location)
            case .drop(let seq):
                if let interactive = interactiveSource, interactive.isInteractive {
                    let answer = interactive.readLine(prompt: "drop update #\(seq)? It will not be sent. [y/N] ")
                    guard case .line(let text) = answer, ["y", "yes"].contains(text.lowercased().trimmingCharacters(in: .whitespaces)) else {
                        printer.plain("not dropped")
                        return true
                    }
                }
                return try await execute(command)
            case .merge(let target, let dry):
                if !dry, !dryRun, let interactive = interactiveSource, interactive.isInteractive {
                    let answer = interactive.readLine(
                        prompt: "merge this lead into \(target.label)? The lead is gone afterwards; it cannot be undone. [y/N] ")
                    guard case .line(let text) = answer, ["y", "yes"].contains(text.lowercased().trimmingCharacters(in: .whitespaces)) else {
                        printer.plain("not merged")
                        return true
                    }
                }
                return try await execute(.merge(into: target, dryRun: dry || dryRun))
            case .push(let dry):
                if !dry, !dryRun, let interactive = interactiveSource, interactive.isInteractive, let count = await session.selection?.ids.count,
                    count > Shell.confirmSelectionAbove, await session.hasUnpushedEdits
                {
                    let answer = interactive.readLine(prompt: "push updates to \(count) leads? They are journaled and sent. [y/N] ")
                    guard case .line(let text) = answer, ["y", "yes"].contains(text.lowercased().trimmingCharacters(in: .whitespaces)) else {
                        printer.plain("not pushed (the edits are kept; `push --dry-run` previews them)")
                        return true
                    }
                }
                let complete = try await execute(.push(dryRun: dry || dryRun))
                if dryRun { await session.settleDryRun() }
                return complete
            default:
                guard try await execute(command) else { return false }
            }
            if interactiveSource != nil { completionNames.set(await session.attributeNames()) }
            return true
        } catch {
            report(error, location: location.name, line: location.line)
            return false
        }
    }

    /// Runs a command in the session and prints its result; false when the result could not
    /// be printed in full (the failure is printed already).
    private func execute(_ command: Command) async throws(CommandFailure) -> Bool {
        let session = self.session
        let task = Task { () async throws(CommandFailure) -> Reply in try await session.execute(command) }
        let registration = InterruptSignal.onInterrupt { task.cancel() }
        let result = await task.result
        registration.cancel()
        progress?.clear()
        switch result {
        case .success(let reply):
            lastReply = reply
            // Recorded as parsed, so `$1` and `${NAME}` appear expanded and quoting is canonical.
            if Shell.changesSomething(command) { scriptLines.append(command.description) }
            let complete = printer.result(reply)
            if let failure = reply.failure { throw failure }
            return complete
        case .failure(let failure):
            if task.isCancelled { throw CommandFailure(.cancelled, "cancelled") }
            throw (failure as? CommandFailure) ?? CommandFailure(.internal, "\(failure)")
        }
    }

    /// A `push` to more leads than this asks first on a terminal (a script does not ask).
    static let confirmSelectionAbove = 100

    /// Variables that scripts may not expand.
    static let secretVariables: Set<String> = ["INTERCOM_TOKEN"]

    /// Whether `line` may be kept in the history or printed by `history --as-script`:
    /// not when ``HistoryFile/mayRecord(_:)`` refuses it, nor when it holds the token itself
    /// (pasted at the prompt by mistake, say).
    func mayRecord(_ line: String) -> Bool {
        guard HistoryFile.mayRecord(line) else { return false }
        guard let token = printer.secret, !token.isEmpty else { return true }
        return !line.containsSecret(token)
    }

    private static func changesSomething(_ command: Command) -> Bool {
        switch command {
        case .push(let dryRun):
            return !dryRun
        case .load, .set, .attr, .unset, .unattr, .discard, .sync, .retry, .drop, .resolve, .offline, .online, .revert, .tag, .note:
            return true
        case .merge(_, let dryRun):
            return !dryRun
        case .find:
            // `load found` reads what it found.
            return true
        case .importFile(_, let dryRun, _):
            return !dryRun
        default:
            return false
        }
    }

    /// The last command's result (`leadsh sync` reads its report for the exit code).
    private(set) var lastReply: Reply?

    /// The exit code the worst failure so far asks for (0: none), for a script's exit code.
    private(set) var worstExit: Int32 = 0

    /// Prints a failure and remembers its exit code.
    func report(_ failure: CommandFailure, location: String?, line: Int?) {
        worstExit = max(worstExit, ExitCode.of(failure))
        printer.failure(failure, location: location, line: line)
    }

    private func confirmQuit() async -> Bool {
        if await session.hasUnpushedEdits, !quitWarned, interactiveSource?.isInteractive == true {
            quitWarned = true
            printer.warn("there are unpushed edits; `push` or `discard` them, or quit again to drop them")
            return false
        }
        return true
    }

    private func history(count: Int?, asScript: Bool) async throws(CommandFailure) {
        if asScript {
            printer.result(Reply(.script(scriptLines.filter(mayRecord))))
            return
        }
        var entries: [String]
        if let historyFile {
            entries = (try? historyFile.load()) ?? []
        } else {
            entries = scriptLines
        }
        let start = max(0, entries.count - (count ?? 20))
        printer.result(Reply(.history(Array(entries[start...]), firstNumber: start + 1)))
    }

    /// `source FILE`: runs a script's lines here, relative to the current script's folder.
    private func source(_ path: String, arguments: [String], relativeTo directory: String) async -> Bool {
        guard sourceDepth < 16 else {
            report(CommandFailure(.sourceDepth, "source: scripts nested more than 16 deep (a script sourcing itself?)"), location: nil, line: nil)
            return false
        }
        let full = path.hasPrefix("/") ? path : directory + "/" + path
        let file: PlainLineSource
        do {
            file = try PlainLineSource(path: full)
        } catch {
            report(CommandFailure(.cannotRead, "source: \(error)"), location: nil, line: nil)
            return false
        }
        sourceDepth += 1
        defer { sourceDepth -= 1 }
        // Name it as the user would reach it from here: `sub/inner.leadsh:3:`, like psql.
        let name = path.hasPrefix("/") || directory == "." || directory.isEmpty ? path : full
        let result = await runScript(file, name: name, directory: (full as NSString).deletingLastPathComponent, arguments: arguments)
        return result.failures == 0
    }

    struct ScriptResult {
        var failures = 0
        var stopped = false
    }

    /// Runs every line of a non-interactive source, stopping at the first failure unless told to continue.
    /// `name` nil: messages name no location (`leadsh import FILE`, run as one command).
    func runScript(_ source: any LineSource, name: String?, directory: String, arguments: [String]?) async -> ScriptResult {
        var result = ScriptResult()
        var number = 0
        while !quitRequested {
            let read = source.readLine(prompt: "")
            guard case .line(let line) = read else {
                if read == .interrupted {
                    result.stopped = true
                    result.failures += 1
                }
                break
            }
            number += 1
            let ok = await run(line: line, at: Location(name: name, line: name == nil ? nil : number, directory: directory, arguments: arguments))
            if !ok {
                result.failures += 1
                if !continueOnError {
                    result.stopped = true
                    break
                }
            }
        }
        return result
    }
}

/// The current lead's attribute names, read by Tab completion on libedit's thread.
final class CompletionNames: Sendable {
    private let names = Mutex<[String]>([])

    func set(_ new: [String]) { names.withLock { $0 = new } }
    func get() -> [String] { names.withLock { $0 } }
}
