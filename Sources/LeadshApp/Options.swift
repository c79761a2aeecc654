import ArgumentParser

/// The command-line options. Options may stand before or after the `sync`/`queue` subcommand.
struct LeadshOptions: ParsableArguments {
    static let configuration = CommandConfiguration(commandName: "leadsh")

    @Option(name: .customLong("base-url"), help: "Intercom API base URL (https://, or http:// to a loopback host; default $LEADSH_BASE_URL, else Intercom's US host).")
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
        help: "The Intercom-Version every request carries: 1.0-1.4 (the 1.x dialect) or 2.7 and later 2.x (default $LEADSH_API_VERSION, else 1.4).")
    var apiVersion: String?

    @Option(name: .customLong("ca-file"), help: "Also trust the CA certificates in this PEM file (default $SSL_CERT_FILE); the system's roots stay trusted.")
    var caFile: String?

    @Option(help: "Send https:// calls through this HTTP proxy, http://[user:password@]host:port (default $HTTPS_PROXY; $NO_PROXY bypasses it; \"\" for none).")
    var proxy: String?

    @Option(help: "Seconds to wait for an answer from the API.")
    var timeout: Double = 30

    @Flag(help: "Start offline: pushes are journaled, nothing is sent.")
    var offline = false

    @Flag(help: "Print one JSON document per command result.")
    var json = false

    @Option(name: .customLong("on-error"), help: "In scripts: stop (default) or continue after a failing command.")
    var onError: String = "stop"

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

/// Splits argv into the mode and the options, so options may come before or after `sync`/`queue`.
enum ArgumentSplitter {
    /// Options that take a value, so their value is not mistaken for the script or subcommand.
    static let valued: Set<String> = [
        "--base-url", "--region", "--token-file", "--journal", "--history", "--api-version", "--intercom-version", "--timeout",
        "--on-error", "--wait", "--limit", "-c", "--ca-file", "--proxy",
    ]

    /// Returns the subcommand (if the first positional word is `sync` or `queue`), the
    /// option words, and the script words (the first positional and all after it).
    static func split(_ arguments: [String]) -> (subcommand: String?, options: [String], script: [String]) {
        var options: [String] = []
        var index = 0
        var subcommand: String?
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" {
                return (subcommand, options, Array(arguments[(index + 1)...]))
            }
            if word.hasPrefix("-") && word != "-" {
                options.append(word)
                if valued.contains(word), index + 1 < arguments.count {
                    options.append(arguments[index + 1])
                    index += 1
                }
                index += 1
                continue
            }
            if subcommand == nil, word == "sync" || word == "queue" {
                subcommand = word
                index += 1
                continue
            }
            // The script and its arguments: everything from here on belongs to the script.
            return (subcommand, options, Array(arguments[index...]))
        }
        return (subcommand, options, [])
    }
}
