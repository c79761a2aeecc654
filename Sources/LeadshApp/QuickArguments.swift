/// What leadsh was asked to do: the global options and the mode.
struct Invocation: Equatable {
    var options: GlobalOptions
    var mode: Mode
}

/// Reads the common command lines without ArgumentParser.
///
/// ArgumentParser's first parse of `LeadshCommand` costs about 27 million instructions
/// (its reflection's first protocol-conformance look-ups scan the whole binary), more than
/// everything else a `-c quit` does. The common lines (options, `-c` commands, a script
/// and its arguments) are read here instead, into exactly the ``Invocation`` that
/// ArgumentParser would give. Anything else is declined (nil) and goes to ArgumentParser,
/// which keeps every message and exit code: `-h`, `--help`, `--version`, a subcommand's name
/// or `help` as a word of its own (as an option's value, `-c sync`, it is read here), `--`, `--name=value`, grouped or attached short options, an unknown option, an
/// option given twice (but `-c`), a value that starts with `-`, a number that does not
/// parse, an empty script path.
enum QuickArguments {
    /// The names that ArgumentParser may take as a subcommand where a word stands alone.
    static let subcommandNames: Set<String> = ["run", "sync", "queue", "gc", "import", "config", "workspaces", "help"]

    /// The invocation `arguments` (without the program name) ask for, or nil when
    /// ArgumentParser must read them.
    static func parse(_ arguments: [String]) -> Invocation? {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var commands: [String] = []
        var positionals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.utf8.first == UInt8(ascii: "-") else {
                if argument.isEmpty || subcommandNames.contains(argument) { return nil }
                positionals.append(argument)
                continue
            }
            if flagNames.contains(argument) {
                guard flags.insert(argument).inserted else { return nil }
                continue
            }
            let name: String
            if argument == "-c" {
                name = argument
            } else if let canonical = valueNames[argument] {
                name = canonical
            } else {
                return nil
            }
            guard index < arguments.count else { return nil }
            let value = arguments[index]
            index += 1
            guard value.utf8.first != UInt8(ascii: "-") else { return nil }
            if name == "-c" {
                commands.append(value)
            } else if values.updateValue(value, forKey: name) != nil {
                return nil
            }
        }

        var options = GlobalOptions()
        options.baseURL = values["--base-url"]
        options.region = values["--region"]
        options.tokenFile = values["--token-file"]
        options.journal = values["--journal"]
        options.history = values["--history"]
        options.apiVersion = values["--api-version"]
        options.workspace = values["--workspace"]
        options.config = values["--config"]
        options.caFile = values["--ca-file"]
        options.proxy = values["--proxy"]
        if let text = values["--on-error"] {
            guard let onError = OnError(rawValue: text) else { return nil }
            options.onError = onError
        }
        if let text = values["--timeout"] {
            guard let seconds = Double(text) else { return nil }
            options.timeout = seconds
        }
        if let text = values["--wait"] {
            guard let seconds = Double(text) else { return nil }
            options.wait = seconds
        }
        if let text = values["--limit"] {
            guard let count = Int(text) else { return nil }
            options.limit = count
        }
        options.offline = flags.contains("--offline")
        options.json = flags.contains("--json")
        options.sandbox = flags.contains("--sandbox")
        options.verbose = flags.contains("--verbose")
        options.noCoalesce = flags.contains("--no-coalesce")
        options.dryRun = flags.contains("--dry-run")
        options.blind = flags.contains("--blind")
        options.all = flags.contains("--all")
        // -c and a script together: ArgumentParser refuses it, with its message.
        guard commands.isEmpty || positionals.isEmpty else { return nil }
        return Invocation(options: options, mode: .run(commands: commands, words: positionals))
    }

    /// The options that take a value, each spelling to the one name it is kept under.
    static let valueNames: [String: String] = [
        "--base-url": "--base-url", "--region": "--region", "--token-file": "--token-file", "--journal": "--journal",
        "--history": "--history", "--api-version": "--api-version", "--intercom-version": "--api-version", "--timeout": "--timeout",
        "-w": "--workspace", "--workspace": "--workspace", "--config": "--config", "--ca-file": "--ca-file", "--proxy": "--proxy",
        "--on-error": "--on-error", "--wait": "--wait", "--limit": "--limit",
    ]

    /// The flags.
    static let flagNames: Set<String> = ["--offline", "--json", "--sandbox", "--verbose", "--no-coalesce", "--dry-run", "--blind", "--all"]
}
