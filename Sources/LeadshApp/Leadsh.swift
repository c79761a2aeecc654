import ArgumentParser
import CommandParser
import FakeIntercomCore
import Foundation
import IntercomClient
import Journal
import LeadModel
import LineEditor
import Replayer
import Session

/// The `leadsh` program: options, start-up, the chosen mode, exit codes.
public enum Leadsh {
    /// Runs leadsh with the given arguments (without the program name); returns the exit code.
    public static func main(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        let invocation: Invocation
        switch QuickArguments.parse(arguments).map(Parsed.invocation) ?? parseWithArgumentParser(arguments) {
        case .invocation(let parsed): invocation = parsed
        case .exit(let code): return code
        }
        do {
            return try await run(
                options: invocation.options, subcommand: invocation.subcommand, scriptWords: invocation.scriptWords, environment: environment)
        } catch let error as StartupError {
            StandardStreams.err("leadsh: \(error.message)\n")
            return error.exitCode
        } catch {
            StandardStreams.err("leadsh: \(error)\n")
            return ExitCode.commandFailed
        }
    }

    /// What a command line asks for: an invocation to run, or an exit code after ArgumentParser
    /// printed help, the version or a usage error.
    enum Parsed {
        case invocation(Invocation)
        case exit(Int32)
    }

    /// Reads the command line with ArgumentParser: every form, every message.
    static func parseWithArgumentParser(_ arguments: [String]) -> Parsed {
        let parsed: any ParsableCommand
        do {
            parsed = try LeadshCommand.parseAsRoot(arguments)
        } catch {
            let code = LeadshCommand.exitCode(for: error)
            let message = LeadshCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                return .exit(ExitCode.success)
            }
            StandardStreams.err("leadsh: \(message)\n(see leadsh --help)\n")
            return .exit(ExitCode.usage)
        }
        if let invocation = invocation(from: parsed) { return .invocation(invocation) }
        // ArgumentParser's own commands (`--help`, `help sync`) print and exit.
        do {
            var builtIn = parsed
            try builtIn.run()
            return .exit(ExitCode.success)
        } catch {
            let code = LeadshCommand.exitCode(for: error)
            if code == .success {
                print(LeadshCommand.fullMessage(for: error))
                return .exit(ExitCode.success)
            }
            StandardStreams.err("leadsh: \(LeadshCommand.fullMessage(for: error))\n")
            return .exit(ExitCode.usage)
        }
    }

    /// The invocation a command ArgumentParser parsed stands for; nil for its own (help).
    static func invocation(from parsed: any ParsableCommand) -> Invocation? {
        switch parsed {
        case let command as SyncCommand: return Invocation(options: command.options.values, subcommand: "sync", scriptWords: [])
        case let command as QueueCommand: return Invocation(options: command.options.values, subcommand: "queue", scriptWords: [])
        case let command as ImportCommand:
            // `leadsh import FILE` runs the shell's `import` as one `-c` command.
            var importing = command.options.values
            importing.c = [Command.importFile(path: command.file, dryRun: importing.dryRun, onError: nil).description]
            return Invocation(options: importing, subcommand: "import", scriptWords: [])
        case let command as ConfigCommand: return Invocation(options: command.options.values, subcommand: "config", scriptWords: [])
        case let command as WorkspacesCommand: return Invocation(options: command.options.values, subcommand: "workspaces", scriptWords: [])
        case let command as RunCommand: return Invocation(options: command.options.values, subcommand: nil, scriptWords: command.scriptWords)
        case let command as LeadshCommand: return Invocation(options: command.options.values, subcommand: nil, scriptWords: [])
        default: return nil
        }
    }

    /// The sandbox's app: never a real Intercom `id_code` (those have no hyphen), so a
    /// sandbox journal and a real one can never replay into each other.
    static let sandboxAppID = "leadsh-sandbox"
    /// The base URL the sandbox's requests name (`--verbose` shows it): a reserved name that
    /// resolves nowhere, so nothing could ever reach a real host.
    static let sandboxEndpoint = try! Endpoint("https://sandbox.leadsh.invalid")

    /// leadsh's own version.
    public static let version = "0.2.0"

    static var versionText: String {
        "leadsh \(version) (journal schema \(Journal.schemaVersion), default Intercom-Version \(APIVersion.default))"
    }

    static let moreHelp = """
        MODES:
          leadsh [options] [SCRIPT [ARGS...]]  the shell on a terminal; else SCRIPT
                                               (- for stdin)
          leadsh -c 'COMMAND' [-c ...]         run commands and exit
          leadsh sync [--wait S] [--blind]     replay the journal and exit
          leadsh queue [--all] [--json]        list the journal and exit
          leadsh config                        the settings and where each came from
          leadsh workspaces                    the workspaces and their pending updates

        The token comes from --token-file, INTERCOM_TOKEN, or the workspace's
        token_file, token_command or token_env in the config file
        ($XDG_CONFIG_HOME/leadsh/config.toml; -w NAME picks a workspace).
        Without one, an interactive leadsh starts a sandbox (a fake Intercom
        with sample leads); scripts need --sandbox. Type `help` inside the
        shell for its commands.
        """

    private static func run(options: GlobalOptions, subcommand: String?, scriptWords: [String], environment: [String: String]) async throws -> Int32 {
        guard ["stop", "continue"].contains(options.onError) else {
            throw StartupError.usage("--on-error takes stop or continue, not \(options.onError)")
        }
        guard (options.timeout ?? 1) > 0, options.wait >= 0 else {
            throw StartupError.usage("--timeout must be positive and --wait not negative")
        }
        if let subcommand, let extra = scriptWords.first {
            throw StartupError.usage("unexpected argument \(extra) after \(subcommand)")
        }
        if !options.c.isEmpty, let script = scriptWords.first {
            throw StartupError.usage("pass either -c commands or a script file (\(script)), not both")
        }
        // Everything that can be refused is checked before anything starts.
        let resolved = try WorkspaceSettings.resolve(options: options, environment: environment)
        if subcommand == "config" {
            StandardStreams.out(ConfigReport.render(resolved, json: options.json))
            return ExitCode.success
        }
        if subcommand == "workspaces" {
            StandardStreams.out(ConfigReport.workspaces(resolved, options: options, environment: environment, json: options.json))
            return ExitCode.success
        }
        let stdinIsTerminal = isatty(0) == 1
        let interactive = subcommand == nil && options.c.isEmpty && scriptWords.isEmpty && stdinIsTerminal
        let colour = isatty(1) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && !options.json
        let printer = Printer(json: options.json, style: Style(enabled: colour))

        var endpoint = resolved.endpoint.value
        let apiVersion = resolved.apiVersion.value
        let transport = try Resolved.transport(caFile: options.caFile, proxy: options.proxy, endpoint: endpoint, environment: environment)
        let script = try scriptWords.first.map { path in
            do {
                return (path, path == "-" ? PlainLineSource.standardInput() : try PlainLineSource(path: path))
            } catch {
                throw StartupError.usage("cannot read the script \(path): \(error)")
            }
        }
        let hasToken: Bool
        if case .none = resolved.token.value { hasToken = false } else { hasToken = true }
        let sandbox = options.sandbox || (interactive && !hasToken && resolved.endpoint.origin.description == Origin.builtIn.description)
        var token = try await resolved.readToken(environment: environment)
        if subcommand == nil, script == nil, Leadsh.quitsFirst(options.c, token: token) {
            // `-c quit`: no command runs, so nothing is opened, not the journal, nor the HTTP
            // client, nor the sandbox (issue 16: start-up does only what the first command needs).
            return ExitCode.success
        }
        let journalPath = options.journal ?? (sandbox ? WorkspaceSettings.sandboxJournalPath(environment: environment) : resolved.journal.value)
        let journal: Journal
        do {
            journal = try Journal(path: journalPath)
        } catch {
            throw StartupError(message: error.message, exitCode: ExitCode.journal)
        }

        // The sandbox: the fake Intercom's logic in this process, reached through the in-memory
        // transport (no socket, no server); its state lives as long as the process.
        var sandboxTransport: InMemoryTransport?
        if sandbox {
            let sandboxToken = "sandbox-" + UUID().uuidString.lowercased()
            let workspace = FakeWorkspace(
                configuration: FakeIntercomConfiguration(token: sandboxToken, recordsRequests: false, appID: Leadsh.sandboxAppID))
            sandboxTransport = InMemoryTransport(workspace: workspace)
            token = sandboxToken
            endpoint = Leadsh.sandboxEndpoint
        }

        printer.secret = token
        var api: IntercomAPI?
        if let token {
            var observer: (@Sendable (HTTPExchange) -> Void)?
            if options.verbose {
                observer = { exchange in printer.writeErr(exchange.rendered + "\n") }
            }
            var configuration = IntercomConfiguration(
                endpoint: endpoint, token: token, apiVersion: apiVersion,
                requestTimeout: .milliseconds(Int64(resolved.timeout.value * 1000)), observer: observer)
            if !sandbox { (configuration.trust, configuration.proxy) = (transport.trust, transport.proxy) }
            api = IntercomAPI(configuration: configuration, transport: sandboxTransport)
        }

        let named = resolved.workspace.value != "default"
        var settings = SessionSettings(
            label: sandbox ? "sandbox" : named ? resolved.workspace.value : "online", startOffline: options.offline, coalesce: !options.noCoalesce,
            syncWait: interactive ? 30 : options.wait, blind: options.blind)
        settings.jsonOutput = options.json
        settings.importOnError = options.onError == "continue" ? .continue : .stop
        settings.apiVersion = apiVersion
        if isatty(1) == 1 { settings.queuePage = Leadsh.screenRows() }
        settings.appAdvice = ConfigReport.appAdvice(resolved, journalPath: journalPath, environment: environment)
        let clock = SystemClock()
        let session = Session(journal: journal, api: api, settings: settings, clock: clock)
        let importProgress = ImportProgress(enabled: isatty(2) == 1 && !options.json)
        await session.setImportObserver { rows in importProgress.draw(rows) }

        let code: Int32
        if subcommand == "sync" {
            code = await runSync(session: session, options: options, printer: printer)
        } else if subcommand == "queue" {
            code = await runQueue(session: session, all: options.all, limit: options.limit, printer: printer)
        } else if interactive {
            code = await Interactive.run(
                session: session, printer: printer, options: options,
                historyPath: resolved.history.value,
                sandbox: sandbox, endpoint: endpoint, hasToken: token != nil, clock: clock, progress: importProgress)
        } else {
            // -c commands, a script file, or lines piped to stdin: the same loop.
            let shell = Shell(
                session: session, printer: printer, dryRun: options.dryRun, continueOnError: options.onError == "continue",
                historyFile: nil)
            shell.progress = importProgress
            let (name, source, directory, arguments): (String?, any LineSource, String, [String]?)
            if subcommand == "import" {
                // No `-c:1:` before its messages: the user typed no -c.
                (name, source, directory, arguments) = (nil, ScriptedLineSource(options.c), ".", nil)
            } else if !options.c.isEmpty {
                (name, source, directory, arguments) = ("-c", ScriptedLineSource(options.c), ".", nil)
            } else if let (path, file) = script {
                let folder = path == "-" ? "." : (path as NSString).deletingLastPathComponent
                (name, source, directory, arguments) = (path == "-" ? "stdin" : path, file, folder.isEmpty ? "." : folder, Array(scriptWords.dropFirst()))
            } else {
                (name, source, directory, arguments) = ("stdin", PlainLineSource.standardInput(), ".", [])
            }
            let result = await shell.runScript(source, name: name, directory: directory, arguments: arguments)
            code = await finish(session: session, printer: printer, result: result, worstExit: shell.worstExit, name: name ?? "leadsh import")
        }

        await api?.shutdown()
        journal.close()
        return code
    }

    /// Whether the first `-c` command that is not blank or a comment is `quit` (or `exit`,
    /// `\q`), so that nothing after it runs. A line holding the token is not one: the shell
    /// refuses it, and that refusal is the run's outcome.
    static func quitsFirst(_ lines: [String], token: String?) -> Bool {
        for line in lines {
            if let token, !token.isEmpty, line.containsSecret(token) { return false }
            let command: Command?
            do {
                command = try CommandParser.parse(line)
            } catch {
                return false
            }
            guard let command else { continue }
            if case .quit = command { return true }
            return false
        }
        return false
    }

    /// Rows of a table that fit on the terminal with the header and the "more" line.
    static func screenRows() -> Int {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return 20 }
        return max(5, Int(size.ws_row) - 4)
    }

    private static func runQueue(session: Session, all: Bool, limit: Int?, printer: Printer) async -> Int32 {
        if let limit, limit < 1 {
            printer.failure(CommandFailure(.usage, "--limit must be a positive number"), location: nil, line: nil)
            return ExitCode.usage
        }
        do {
            return printer.result(try await session.execute(.queue(all: all, limit: limit))) ? ExitCode.success : ExitCode.commandFailed
        } catch {
            printer.failure(error, location: nil, line: nil)
            return ExitCode.of(error)
        }
    }

    /// Ends a script or `-c` run: reports unpushed edits, returns the exit code.
    private static func finish(session: Session, printer: Printer, result: Shell.ScriptResult, worstExit: Int32, name: String) async -> Int32 {
        var failures = result.failures
        if await session.hasForgottenEdits {
            let lead = await session.current?.view.id ?? "the lead"
            printer.failure(
                CommandFailure(.unpushedEdits, "\(name): the script ended with unpushed edits to \(lead); they were not journaled (add `push`)"),
                location: nil, line: nil)
            failures += 1
        }
        return ExitCode.afterScript(failures: failures, worst: worstExit, wrongApp: await session.wrongApp != nil)
    }

    private static func runSync(session: Session, options: GlobalOptions, printer: Printer) async -> Int32 {
        guard session.hasToken else {
            printer.failure(CommandFailure(.noToken, "no token: set INTERCOM_TOKEN or pass --sandbox"), location: nil, line: nil)
            return ExitCode.usage
        }
        let progress = Progress(enabled: isatty(2) == 1 && !options.json, total: await session.unsentCount())
        await session.setReplayObserver { event in progress.record(event) }
        let reply: Reply
        do {
            reply = try await session.sync(blind: options.blind, wait: options.wait)
        } catch {
            progress.finish()
            printer.failure(error, location: nil, line: nil)
            // Another app's token: a setting must change (exit 2), and nothing was sent.
            return ExitCode.of(error)
        }
        progress.finish()
        printer.result(reply)
        guard case .synced(let report) = reply.result else { return ExitCode.success }
        return ExitCode.afterSync(report)
    }
}

/// An import's progress on a terminal: one line on stderr, redrawn at most five times a
/// second, cleared when the command ends.
final class ImportProgress: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func draw(_ rows: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        drawn = true
        StandardStreams.err("\r\u{1B}[Kimporting: \(rows) rows read")
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        guard drawn else { return }
        drawn = false
        StandardStreams.err("\r\u{1B}[K")
    }
}

/// Replay progress on a terminal: done/total, rate, ETA; nothing when not a terminal.
final class Progress: @unchecked Sendable {
    private let enabled: Bool
    private let total: Int
    private let lock = NSLock()
    private var done = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var waitNote = ""

    init(enabled: Bool, total: Int) {
        self.enabled = enabled && total > 30
        self.total = total
    }

    func record(_ event: ReplayEvent) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .sent, .failed, .conflict: done += 1
        case .rateLimited(let until), .pacing(let until):
            waitNote = " (waiting for the rate window until \(Words.clockTime(until)))"
        case .retryLater: break
        }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = now
        let elapsed = max(0.001, now.timeIntervalSince(started))
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Int(Double(total - done) / rate) : 0
        StandardStreams.err(String(format: "\r\u{1B}[K%d/%d  %.0f/s  ETA %ds%@", done, total, rate, eta, waitNote))
        if case .sent = event { waitNote = "" }
    }

    func finish() {
        guard enabled else { return }
        StandardStreams.err("\r\u{1B}[K")
    }
}
