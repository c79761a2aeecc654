import ArgumentParser

/// The global options, one `@OptionGroup` shared by `leadsh` and each subcommand, so an
/// option may stand before or after `sync`, `queue`, `config` or `workspaces`.
struct LeadshOptions: ParsableArguments {
    @Option(
        name: .customLong("base-url"),
        help: "Intercom API base URL (https://, or http:// to a loopback host; default $LEADSH_BASE_URL, else Intercom's US host).")
    var baseURL: String?

    @Option(help: "Intercom region: us, eu or au (sets the base URL).")
    var region: String?

    @Option(name: .customLong("token-file"), help: "Read the token from this file (must not be readable by group or others).")
    var tokenFile: String?

    @Option(help: "Journal file (default $LEADSH_JOURNAL, else $XDG_DATA_HOME/leadsh/journal.sqlite).")
    var journal: String?

    @Option(help: "History file (default $XDG_STATE_HOME/leadsh/history).")
    var history: String?

    @Option(
        name: [.customLong("api-version"), .customLong("intercom-version")],
        help: "The Intercom-Version every request carries: 1.0-1.4 (the 1.x dialect) or 2.7 and later 2.x (default $LEADSH_API_VERSION, else 2.14).")
    var apiVersion: String?

    @Option(help: "Seconds to wait for an answer from the API (default $LEADSH_TIMEOUT, the workspace's timeout, else 30).")
    var timeout: Double?

    @Option(
        name: [.customShort("w"), .long],
        help: "The workspace: a [workspaces.NAME] section of the config file (default $LEADSH_WORKSPACE, else the file's default).")
    var workspace: String?

    @Option(help: "The config file (default $LEADSH_CONFIG, else $XDG_CONFIG_HOME/leadsh/config.toml).")
    var config: String?

    @Option(name: .customLong("ca-file"), help: "Also trust the CA certificates in this PEM file (default $SSL_CERT_FILE); the system's roots stay trusted.")
    var caFile: String?

    @Option(help: "Send https:// calls through this HTTP proxy, http://[user:password@]host:port (default $HTTPS_PROXY; $NO_PROXY bypasses it; \"\" for none).")
    var proxy: String?

    @Flag(help: "Start offline: pushes are journaled, nothing is sent.")
    var offline = false

    @Flag(help: "Print one JSON document per command result.")
    var json = false

    @Option(name: .customLong("on-error"), help: "In scripts: stop (default) or continue after a failing command.")
    var onError: OnError = .stop

    @Flag(help: "Use the embedded fake Intercom, seeded with sample leads.")
    var sandbox = false

    @Flag(help: "Print each HTTP exchange (the token redacted) on stderr.")
    var verbose = false

    @Flag(name: .customLong("no-coalesce"), help: "Journal every push as its own update (no merging into a pending one).")
    var noCoalesce = false

    @Flag(name: .customLong("dry-run"), help: "Show what each push would send; send and journal nothing.")
    var dryRun = false

    @Flag(help: "sync: skip the re-read before sending (last writer wins).")
    var blind = false

    @Option(help: "sync: seconds to wait through backoffs and rate limits.")
    var wait: Double = 120

    @Flag(help: "queue: include sent and dropped updates.")
    var all = false

    @Option(help: "queue: list at most this many rows (default: a screenful on a terminal, else 1000).")
    var limit: Int?

    @Option(name: .short, help: "Run this command and exit (repeatable).")
    var c: [String] = []
}

/// The global options as plain values: what the rest of leadsh reads, whether
/// ArgumentParser (``LeadshOptions``) or ``QuickArguments`` read the command line.
///
/// The fields and defaults are those of ``LeadshOptions``, one for one.
struct GlobalOptions: Equatable {
    var baseURL: String?
    var region: String?
    var tokenFile: String?
    var journal: String?
    var history: String?
    var apiVersion: String?
    var timeout: Double?
    var workspace: String?
    var config: String?
    var caFile: String?
    var proxy: String?
    var offline = false
    var json = false
    var onError: OnError = .stop
    var sandbox = false
    var verbose = false
    var noCoalesce = false
    var dryRun = false
    var blind = false
    var wait: Double = 120
    var all = false
    var limit: Int?
}

extension LeadshOptions {
    /// The parsed values.
    var values: GlobalOptions {
        GlobalOptions(
            baseURL: baseURL, region: region, tokenFile: tokenFile, journal: journal, history: history, apiVersion: apiVersion,
            timeout: timeout, workspace: workspace, config: config, caFile: caFile, proxy: proxy, offline: offline, json: json,
            onError: onError, sandbox: sandbox, verbose: verbose, noCoalesce: noCoalesce, dryRun: dryRun, blind: blind, wait: wait,
            all: all, limit: limit)
    }
}

/// `leadsh`: the shell, a script, or `-c` commands (the hidden default subcommand `run`),
/// or one of the subcommands.
///
/// The root parses the global options wherever they stand; each subcommand's
/// `@OptionGroup` of the same type receives those values.
struct LeadshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadsh",
        abstract: "A shell for editing Intercom leads, online or offline.",
        discussion: Leadsh.moreHelp,
        version: Leadsh.versionText,
        subcommands: [
            RunCommand.self, SyncCommand.self, QueueCommand.self, GCCommand.self, ImportCommand.self, ConfigCommand.self, WorkspacesCommand.self,
        ],
        defaultSubcommand: RunCommand.self)

    @OptionGroup var options: LeadshOptions
}

/// The default: interactive on a terminal, else a script (`SCRIPT ARGS...`, `-` for stdin) or `-c` commands.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the shell, a script or -c commands (the default).", shouldDisplay: false)

    @OptionGroup var options: LeadshOptions

    @Argument(parsing: .allUnrecognized, help: "A script file (or - for stdin) and its arguments ($1, $2, ...).")
    var script: [String] = []

    func validate() throws {
        if let first = script.first, first.hasPrefix("-"), first != "-", first != "--" {
            throw ValidationError("Unknown option '\(first)'")
        }
        if !options.c.isEmpty, let script = scriptWords.first {
            throw ValidationError("pass either -c commands or a script file (\(script)), not both")
        }
    }

    /// The script and its arguments, without a leading `--`.
    var scriptWords: [String] { script.first == "--" ? Array(script.dropFirst()) : script }
}

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Replay the journal and exit (0 done, 2 another app's token, 4 pending, 5 failed or in conflict).")

    @OptionGroup var options: LeadshOptions
}

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "List the journal and exit.")

    @OptionGroup var options: LeadshOptions
}

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract:
            "Prune sent and dropped updates older than the workspace's retention (default 30 days), give their space back, and exit (0; 3 on a journal error). With --dry-run, only say how many and how much."
    )

    @OptionGroup var options: LeadshOptions
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Journal one update per row of a CSV file (with --dry-run, only check it), replay when online, and exit.")

    @OptionGroup var options: LeadshOptions

    @Argument(help: "The CSV file: a header naming id (or user_id / external_id) and the fields, then one row per lead.")
    var file: String
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the resolved settings and where each came from (the token only as where it is read from).")

    @OptionGroup var options: LeadshOptions
}

struct WorkspacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspaces", abstract: "List the configured workspaces, their journals' apps and pending updates.")

    @OptionGroup var options: LeadshOptions
}
