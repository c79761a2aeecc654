import Foundation
import TestSupport
import Testing

/// `man`, which renders the installed page; `scripts/install` itself does not need it.
let manProgram = ["/usr/bin/man", "/bin/man"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `scripts/install --debug --skip-build PREFIX` run as a user runs it, into a fresh PREFIX: the
/// debug build that `scripts/test` made before the suite runs, installed as it is. (Not built
/// again: `swift test` holds SwiftPM's lock on .build while the tests run, so a `swift build`
/// started by a test would wait for it forever.)
@Suite("scripts/install", .serialized)
struct InstallTests {
    /// One install for the suite's tests: a few runs of leadsh and python3, about a second.
    static let installed = Task { () async throws -> (folder: TempDirectory, result: ProcessResult) in
        let folder = TempDirectory("leadsh-install")
        // The environment as it is: the script runs leadsh with a home of its own.
        let environment = ProcessInfo.processInfo.environment
        let result = try await runProgram(
            repositoryRoot() + "/scripts/install", ["--debug", "--skip-build", folder.file("prefix")], environment: environment,
            currentDirectory: folder.path, timeout: .seconds(120))
        return (folder, result)
    }

    static func install() async throws -> (prefix: String, result: ProcessResult) {
        let (folder, result) = try await installed.value
        try #require(result.status == 0, "scripts/install --debug --skip-build failed:\n\(result.stdout)\n\(result.stderr)")
        return (folder.file("prefix"), result)
    }

    static let files: [(path: String, mode: Int)] = [
        ("bin/leadsh", 0o755),
        ("share/man/man1/leadsh.1", 0o644),
        ("share/bash-completion/completions/leadsh", 0o644),
        ("share/zsh/site-functions/_leadsh", 0o644),
        ("share/fish/vendor_completions.d/leadsh.fish", 0o644),
        ("share/leadsh/uninstall", 0o755),
    ]

    @Test("it installs the binary, the man page and the completions with their modes, and says so and how to uninstall")
    func installsTheFiles() async throws {
        let (prefix, result) = try await Self.install()
        for (path, mode) in Self.files {
            let file = prefix + "/" + path
            #expect(FileManager.default.fileExists(atPath: file), "\(path) was not installed")
            #expect(permissions(of: file) == mode, "\(path): mode \(String(permissions(of: file), radix: 8))")
            #expect(result.stdout.contains(file), "the report does not name \(file)")
        }
        #expect(result.stdout.contains("debug build"))
        #expect(result.stdout.contains("To uninstall: \(prefix)/share/leadsh/uninstall"))
    }

    @Test("the installed binary answers --version")
    func versionAnswers() async throws {
        let (prefix, _) = try await Self.install()
        let home = TempDirectory()
        let run = try await runProgram(prefix + "/bin/leadsh", ["--version"], environment: leadshEnvironment(home: home.path))
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("leadsh "))
        #expect(run.stdout.contains("journal schema"))
    }

    @Test(
        "man -l renders the page: the options from ArgumentParser, the shell's commands, no warnings",
        .enabled(if: manProgram != nil, "man is missing (apt-get install man-db): the page was not rendered"))
    func manPageRenders() async throws {
        let (prefix, _) = try await Self.install()
        let page = prefix + "/share/man/man1/leadsh.1"
        var environment = ProcessInfo.processInfo.environment
        environment["MANPAGER"] = "cat"
        environment["MANWIDTH"] = "80"
        environment["LANG"] = "C.UTF-8"
        let run = try await runProgram(manProgram!, ["--warnings", "-l", page], environment: environment)
        #expect(run.status == 0, "man -l failed: \(run.stderr)")
        #expect(run.stderr.isEmpty, "man -l warned: \(run.stderr)")
        let text = run.stdout
        for heading in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS", "SHELL COMMANDS", "EXIT STATUS"] {
            #expect(text.contains("\n" + heading + "\n"), "no \(heading) section")
        }
        // ArgumentParser's options, each once under OPTIONS, with their help.
        let options = try #require(text.range(of: "\nOPTIONS\n")).upperBound
        let subcommands = try #require(text.range(of: "\nSUBCOMMANDS\n")).lowerBound
        let optionsSection = text[options..<subcommands]
        for option in ["--base-url URL", "--journal PATH", "--offline", "--on-error stop|continue", "-c COMMAND", "--version"] {
            #expect(optionsSection.contains(option), "OPTIONS lacks \(option)")
        }
        #expect(optionsSection.contains("Start offline: pushes are journaled, nothing is sent."))
        #expect(text.contains("import FILE"))
        // The shell's commands as `help COMMAND` describes them, after the hand-written intro.
        let shell = try #require(text.range(of: "\nSHELL COMMANDS\n")).upperBound
        let shellSection = text[shell...]
        #expect(shellSection.contains("Words split as in a POSIX shell"))
        for usage in ["attr NAME VALUE", "push [--dry-run]", "resolve SEQ mine|theirs", "quit"] {
            #expect(shellSection.contains("\n       " + usage), "SHELL COMMANDS lacks \(usage)")
        }
        #expect(shellSection.contains("Example: attr seats 9"))
        // Nothing wider than the page: no run-on preformatted line.
        let wide = text.split(separator: "\n").filter { $0.count > 80 }
        #expect(wide.isEmpty, "lines wider than 80 columns: \(wide)")
    }

    @Test("the completion scripts name leadsh's options and subcommands")
    func completions() async throws {
        let (prefix, _) = try await Self.install()
        let bash = try #require(contents(of: prefix + "/share/bash-completion/completions/leadsh"))
        for word in ["--base-url", "--journal", "--offline", "--on-error", "sync", "import"] {
            #expect(bash.contains(word), "the bash completion lacks \(word)")
        }
        let zsh = try #require(contents(of: prefix + "/share/zsh/site-functions/_leadsh"))
        #expect(zsh.hasPrefix("#compdef leadsh"))
        #expect(zsh.contains("--journal"))
        let fish = try #require(contents(of: prefix + "/share/fish/vendor_completions.d/leadsh.fish"))
        #expect(fish.contains("-l 'journal'"))
        // bash itself reads the script and registers the completion.
        let check = try await runProgram(
            "/bin/bash", ["-c", "source \"$1\" && complete -p leadsh", "bash", prefix + "/share/bash-completion/completions/leadsh"],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(check.status == 0, "bash could not load the completion: \(check.stderr)")
        #expect(check.stdout.contains("leadsh"))
    }

    @Test("the uninstaller removes every file and the folders the install made, last of the tests")
    func uninstall() async throws {
        let (prefix, _) = try await Self.install()
        // The other tests read the installed files: this one runs on a second install.
        let folder = TempDirectory("leadsh-uninstall")
        let keep = folder.file("prefix/bin")
        try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment
        let second = try await runProgram(
            repositoryRoot() + "/scripts/install", ["--debug", "--skip-build", folder.file("prefix")], environment: environment,
            currentDirectory: folder.path, timeout: .seconds(120))
        try #require(second.status == 0, "scripts/install failed:\n\(second.stderr)")
        let run = try await runProgram(folder.file("prefix/share/leadsh/uninstall"), [], environment: environment)
        #expect(run.status == 0, "uninstall failed: \(run.stderr)")
        #expect(run.stdout.contains("removed leadsh from"))
        // Only the folder that was there before stays, empty.
        let left = FileManager.default.enumerator(atPath: folder.file("prefix"))?.allObjects as? [String] ?? []
        #expect(left == ["bin"], "left behind: \(left)")
        #expect(FileManager.default.fileExists(atPath: prefix + "/bin/leadsh"))
    }
}
