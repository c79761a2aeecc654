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
///
/// ``run(_:)`` is the composition root: it reads the command line into a ``Mode``, resolves
/// the settings, opens the journal, builds the client (real HTTP, or the sandbox's fake in
/// memory) and the ``Session``, and runs the mode through one ``Shell`` and one ``Printer``.
/// Everything it knows of its process comes in through the ``ProcessContext``.
public enum Leadsh {
    /// Runs leadsh in `context`; returns the exit code.
    public static func run(_ context: ProcessContext) async -> Int32 {
        let invocation: Invocation
        switch QuickArguments.parse(context.arguments).map(Parsed.invocation) ?? parseWithArgumentParser(context.arguments, context: context) {
        case .invocation(let parsed): invocation = parsed
        case .exit(let code): return code
        }
        do {
            return try await run(invocation.mode, options: invocation.options, context: context)
        } catch let error as StartupError {
            context.standardError.write("leadsh: \(error.message)\n")
            return error.exitCode
        } catch {
            context.standardError.write("leadsh: \(error)\n")
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
    static func parseWithArgumentParser(_ arguments: [String], context: ProcessContext) -> Parsed {
        let parsed: any ParsableCommand
        do {
            parsed = try LeadshCommand.parseAsRoot(arguments)
        } catch {
            let code = LeadshCommand.exitCode(for: error)
            let message = LeadshCommand.fullMessage(for: error)
            if code == .success {
                context.standardOutput.write(message + "\n")
                return .exit(ExitCode.success)
            }
            context.standardError.write("leadsh: \(message)\n(see leadsh --help)\n")
            return .exit(ExitCode.usage)
        }
        if let invocation = invocation(from: parsed) { return .invocation(invocation) }
        // ArgumentParser's own commands (`help sync`) print and exit.
        do {
            var builtIn = parsed
            try builtIn.run()
            return .exit(ExitCode.success)
        } catch {
            let code = LeadshCommand.exitCode(for: error)
            if code == .success {
                context.standardOutput.write(LeadshCommand.fullMessage(for: error) + "\n")
                return .exit(ExitCode.success)
            }
            context.standardError.write("leadsh: \(LeadshCommand.fullMessage(for: error))\n")
            return .exit(ExitCode.usage)
        }
    }

    /// The invocation a command ArgumentParser parsed stands for; nil for its own (help).
    static func invocation(from parsed: any ParsableCommand) -> Invocation? {
        switch parsed {
        case let command as SyncCommand: return Invocation(options: command.options.values, mode: .sync)
        case let command as QueueCommand: return Invocation(options: command.options.values, mode: .queue)
        case let command as GCCommand: return Invocation(options: command.options.values, mode: .gc)
        case let command as ImportCommand: return Invocation(options: command.options.values, mode: .importFile(path: command.file))
        case let command as ConfigCommand: return Invocation(options: command.options.values, mode: .config)
        case let command as WorkspacesCommand: return Invocation(options: command.options.values, mode: .workspaces)
        case let command as RunCommand:
            return Invocation(options: command.options.values, mode: .run(commands: command.options.c, words: command.scriptWords))
        case let command as LeadshCommand: return Invocation(options: command.options.values, mode: .run(commands: command.options.c, words: []))
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
          leadsh gc [--dry-run]                prune sent and dropped updates older
                                               than the retention (30 days) and exit
          leadsh config                        the settings and where each came from
          leadsh workspaces                    the workspaces and their pending updates

        The token comes from --token-file, INTERCOM_TOKEN, or the workspace's
        token_file, token_command or token_env in the config file
        ($XDG_CONFIG_HOME/leadsh/config.toml; -w NAME picks a workspace).
        Without one, an interactive leadsh starts a sandbox (a fake Intercom
        with sample leads); scripts need --sandbox. Type `help` inside the
        shell for its commands.
        """

    /// The composition root: everything a mode needs, built once, then the mode.
    private static func run(_ requested: Mode, options: GlobalOptions, context: ProcessContext) async throws -> Int32 {
        guard (options.timeout ?? 1) > 0, options.wait >= 0 else {
            throw StartupError.usage("--timeout must be positive and --wait not negative")
        }
        let environment = context.environment
        // Everything that can be refused is checked before anything starts.
        let resolved = try WorkspaceSettings.resolve(options: options, environment: environment)
        switch requested {
        case .config:
            context.standardOutput.write(ConfigReport.render(resolved, json: options.json))
            return ExitCode.success
        case .workspaces:
            context.standardOutput.write(ConfigReport.workspaces(resolved, options: options, environment: environment, json: options.json))
            return ExitCode.success
        case .gc:
            // The journal alone: no token is read, no client is made.
            let path = options.journal ?? (options.sandbox ? WorkspaceSettings.sandboxJournalPath(environment: environment) : resolved.journal.value)
            let journal: Journal
            do {
                journal = try Journal(path: path)
            } catch {
                throw StartupError(message: error.message, exitCode: ExitCode.journal)
            }
            defer { journal.close() }
            return GC.run(journal, retentionDays: resolved.retention.value, dryRun: options.dryRun, json: options.json, context: context)
        default: break
        }
        let terminal = context.terminal
        // The shell without a terminal reads the lines piped to stdin, as a script.
        let mode = requested == .shell && !terminal.stdin ? .script(path: "-", arguments: []) : requested
        let interactive = mode == .shell
        let colour = terminal.stdout && (environment["NO_COLOR"] ?? "").isEmpty && !options.json
        let printer = Printer(json: options.json, style: Style(enabled: colour), out: context.standardOutput, err: context.standardError)

        var endpoint = resolved.endpoint.value
        let apiVersion = resolved.apiVersion.value
        let transport = try Resolved.transport(caFile: options.caFile, proxy: options.proxy, endpoint: endpoint, environment: environment)
        // A script that cannot be read is refused before anything opens.
        var scriptSource: (any LineSource)?
        if case .script(let path, _) = mode {
            do {
                scriptSource = path == "-" ? context.standardInput() : try PlainLineSource(path: path)
            } catch {
                throw StartupError.usage("cannot read the script \(path): \(error)")
            }
        }
        let hasToken: Bool
        if case .none = resolved.token.value { hasToken = false } else { hasToken = true }
        let sandbox = options.sandbox || (interactive && !hasToken && resolved.endpoint.origin.description == Origin.builtIn.description)
        var token = try await resolved.readToken(environment: environment)
        if case .commands(let lines) = mode, Leadsh.quitsFirst(lines, token: token) {
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
        // Retention: the start of `sync` and of the shell prunes, at most once a day.
        if mode == .sync || mode == .shell {
            GC.pruneAtStart(journal, retentionDays: resolved.retention.value, now: context.clock.now(), sink: context.standardError)
        }

        // The sandbox: the fake Intercom's logic in this process, reached through the in-memory
        // transport (no socket, no server); its state lives as long as the process.
        var requestTransport = context.transport
        if sandbox {
            let sandboxToken = "sandbox-" + UUID().uuidString.lowercased()
            let workspace = FakeWorkspace(
                configuration: FakeIntercomConfiguration(token: sandboxToken, recordsRequests: false, appID: Leadsh.sandboxAppID))
            requestTransport = InMemoryTransport(workspace: workspace)
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
            configuration.clock = context.clock
            if !sandbox { (configuration.trust, configuration.proxy) = (transport.trust, transport.proxy) }
            api = IntercomAPI(configuration: configuration, transport: requestTransport)
        }

        let named = resolved.workspace.value != "default"
        var settings = SessionSettings(
            label: sandbox ? "sandbox" : named ? resolved.workspace.value : "online", startOffline: options.offline, coalesce: !options.noCoalesce,
            syncWait: interactive ? 30 : options.wait, blind: options.blind)
        settings.jsonOutput = options.json
        settings.importOnError = options.onError
        settings.apiVersion = apiVersion
        if terminal.stdout { settings.queuePage = max(5, (terminal.rows ?? 24) - 4) }
        settings.appAdvice = ConfigReport.appAdvice(resolved, journalPath: journalPath, environment: environment)
        let session = Session(journal: journal, api: api, settings: settings, clock: context.clock)
        let importProgress = ImportProgress(enabled: terminal.stderr && !options.json, sink: context.standardError)
        await session.setImportObserver { rows in importProgress.draw(rows) }
        await session.setFindObserver { found, total in importProgress.draw(found: found, of: total) }

        // One executor and one presenter for every mode.
        let historyFile = HistoryFile(path: resolved.history.value)
        let shell = Shell(
            session: session, printer: printer, dryRun: options.dryRun, continueOnError: options.onError == .continue,
            historyFile: interactive ? historyFile : nil, environment: environment)
        shell.progress = importProgress
        let noLocation = Shell.Location(name: nil, line: nil, directory: ".", arguments: nil)

        let code: Int32
        switch mode {
        case .shell:
            code = await Interactive.run(
                shell: shell, historyFile: historyFile, context: context, sandbox: sandbox, offline: options.offline,
                endpoint: endpoint, hasToken: token != nil)
        case .sync:
            code = await runSync(shell: shell, options: options, context: context)
        case .queue:
            if let limit = options.limit, limit < 1 {
                shell.report(CommandFailure(.usage, "--limit must be a positive number"), location: nil, line: nil)
                code = shell.worstExit
            } else {
                // False also when the listing broke off (the printer said why).
                let ok = await shell.run(.queue(all: options.all, limit: options.limit), at: noLocation)
                code = ok ? ExitCode.success : max(ExitCode.commandFailed, shell.worstExit)
            }
        case .importFile(let path):
            // The shell's `import`, typed: no `FILE:LINE:` before its messages, the user typed no line.
            let ok = await shell.run(.importFile(path: path, dryRun: options.dryRun, onError: nil), at: noLocation)
            code = await finish(session: session, shell: shell, failures: ok ? 0 : 1, name: "leadsh import")
        case .commands(let lines):
            let result = await shell.runScript(ScriptedLineSource(lines), name: "-c", directory: ".", arguments: nil)
            code = await finish(session: session, shell: shell, failures: result.failures, name: "-c")
        case .script(let path, let arguments):
            // A script file, or lines piped to stdin: the same loop.
            guard let source = scriptSource else { preconditionFailure("a script's source is opened above") }
            let folder = path == "-" ? "." : (path as NSString).deletingLastPathComponent
            let name = path == "-" ? "stdin" : path
            let result = await shell.runScript(source, name: name, directory: folder.isEmpty ? "." : folder, arguments: arguments)
            code = await finish(session: session, shell: shell, failures: result.failures, name: name)
        case .config, .workspaces, .gc:
            code = ExitCode.success
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

    /// Ends a script, `-c` or import run: reports unpushed edits, returns the exit code.
    private static func finish(session: Session, shell: Shell, failures: Int, name: String) async -> Int32 {
        var failures = failures
        if await session.hasForgottenEdits {
            let lead = await session.current?.view.id ?? "the lead"
            shell.report(
                CommandFailure(.unpushedEdits, "\(name): the script ended with unpushed edits to \(lead); they were not journaled (add `push`)"),
                location: nil, line: nil)
            failures += 1
        }
        return ExitCode.afterScript(failures: failures, worst: shell.worstExit, wrongApp: await session.wrongApp != nil)
    }

    /// `leadsh sync`: the shell's `sync`, with progress on a terminal and the exit code of its report.
    private static func runSync(shell: Shell, options: GlobalOptions, context: ProcessContext) async -> Int32 {
        let session = shell.session
        guard session.hasToken else {
            shell.report(CommandFailure(.noToken, "no token: set INTERCOM_TOKEN or pass --sandbox"), location: nil, line: nil)
            return ExitCode.usage
        }
        let progress = Progress(enabled: context.terminal.stderr && !options.json, total: await session.unsentCount(), sink: context.standardError)
        await session.setReplayObserver { event in progress.record(event) }
        let ok = await shell.run(.sync(blind: options.blind), at: Shell.Location(name: nil, line: nil, directory: ".", arguments: nil))
        progress.finish()
        // No report: the replay failed before it ended (another app's token: a setting must
        // change, exit 2; the journal: 3), as the shell reported.
        guard case .synced(let report)? = shell.lastReply?.result else { return ok ? ExitCode.success : shell.worstExit }
        return ExitCode.afterSync(report)
    }
}
