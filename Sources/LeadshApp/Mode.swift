import ArgumentParser
import CommandParser

/// What a run of leadsh does: the one value every path through ``Leadsh/run(_:)`` switches on.
///
/// The command line is read into a mode once (by ``QuickArguments`` or ArgumentParser);
/// nothing downstream looks at a subcommand's name. Every mode that runs commands goes
/// through the same ``Shell`` executor and ``Printer``.
enum Mode: Equatable, Sendable {
    /// The interactive shell on a terminal; lines piped to stdin when stdin is not one.
    case shell
    /// `-c COMMAND`, one or more.
    case commands([String])
    /// A script file (`-` for stdin) and its arguments (`$1`, `$2`, …).
    case script(path: String, arguments: [String])
    /// `leadsh sync`: replay the journal and exit.
    case sync
    /// `leadsh queue`: list the journal and exit.
    case queue
    /// `leadsh gc`: prune sent and dropped updates older than the retention, and exit.
    case gc
    /// `leadsh import FILE`: the shell's `import` as the one command.
    case importFile(path: String)
    /// `leadsh config`: the resolved settings.
    case config
    /// `leadsh workspaces`: the configured workspaces.
    case workspaces

    /// The mode of a run with `-c` commands `commands` and the words after the options.
    static func run(commands: [String], words: [String]) -> Mode {
        if !commands.isEmpty { return .commands(commands) }
        if let path = words.first { return .script(path: path, arguments: Array(words.dropFirst())) }
        return .shell
    }
}

/// `--on-error`: what a script does after a failing command.
typealias OnError = ImportErrorPolicy

extension ImportErrorPolicy: ExpressibleByArgument {}
