import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

/// The lines of a program's stderr that say something.
private func lines(_ text: String) -> [Substring] {
    text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
}

@Suite("Workspaces: a journal bound to one app")
struct AppBindingTests {
    static let appA = "appaaaa1"
    static let appB = "appbbbb2"

    /// Two fakes with the same leads and different apps (and tokens).
    static func withTwoApps(_ body: (FakeIntercom, FakeIntercom, TempDirectory) async throws -> Void) async throws {
        let home = TempDirectory("leadsh-apps")
        try await withFakeIntercom(FakeIntercomConfiguration(token: "token-a", appID: appA, appName: "Staging")) { a in
            try await withFakeIntercom(FakeIntercomConfiguration(token: "token-b", appID: appB, appName: "Production")) { b in
                try await body(a, b, home)
            }
        }
    }

    @Test("an update queued against app A is not sent with app B's token: exit 2, one line, nothing sent, still pending; A then delivers it")
    func crossWorkspaceReplayIsRefused() async throws {
        try await Self.withTwoApps { a, b, home in
            let journal = home.file("journal.sqlite")
            let envA = leadshEnvironment(home: home.path, token: "token-a")
            let envB = leadshEnvironment(home: home.path, token: "token-b")

            // Online against A once: the journal learns its app.
            let first = try await leadsh(
                ["--base-url", a.baseURL, "--journal", journal, "-c", "load \(obrien)", "-c", "set name First", "-c", "push"], environment: envA)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("sent"))
            #expect(Journal.peekAppID(path: journal) == Self.appA)

            // Offline against A: queued, recorded as A's.
            let queued = try await leadsh(
                ["--base-url", a.baseURL, "--journal", journal, "--offline", "-c", "load \(obrien)", "-c", "set name Second", "-c", "push"],
                environment: envA)
            #expect(queued.status == 0, "\(queued.stderr)")
            #expect(queued.stdout.contains("queued"))

            // B's token and base URL: refused before anything is sent.
            let wrong = try await leadsh(["--base-url", b.baseURL, "--journal", journal, "sync"], environment: envB)
            #expect(wrong.status == 2, "\(wrong.stdout) \(wrong.stderr)")
            let said = lines(wrong.stderr)
            #expect(said.count == 1, "one line: \(wrong.stderr)")
            #expect(wrong.stderr.contains(Self.appA) && wrong.stderr.contains(Self.appB), "\(wrong.stderr)")
            #expect(wrong.stderr.contains("--journal") || wrong.stderr.contains("-w "), "it says what to use instead: \(wrong.stderr)")
            #expect(!b.requests.contains { $0.isUpdate }, "B received no update")
            #expect(!b.requests.contains { $0.path.hasPrefix("/contacts") }, "B was not even read")
            #expect(b.lead(id: obrien)?.name != "Second")

            let pending = try await leadsh(["--journal", journal, "queue", "--json"], environment: envA)
            guard case .array(let rows) = try JSONText.parse(pending.stdout) else {
                Issue.record("not an array")
                return
            }
            #expect(rows.count == 1)
            #expect(rows.first?["state"] == "pending")
            #expect(rows.first?["attempts"] == .integer(0), "a refusal is not an attempt")

            // A script with B's token stops at its load: nothing of B's is read into A's journal, exit 2.
            let push = try await leadsh(
                ["--base-url", b.baseURL, "--journal", journal, "-c", "load \(obrien)", "-c", "set phone 555", "-c", "push"], environment: envB)
            #expect(push.status == 2, "\(push.stderr)")
            #expect(push.stderr.contains("nothing was loaded"), "\(push.stderr)")
            #expect(!b.requests.contains { $0.isUpdate })

            // The right app delivers it.
            let right = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "sync"], environment: envA)
            #expect(right.status == 0, "\(right.stderr)")
            #expect(a.lead(id: obrien)?.name == "Second")
            #expect(a.lead(id: obrien)?.phone != "555", "the refused script journaled nothing")
            #expect(!b.requests.contains { $0.isUpdate })
        }
    }

    @Test("a journal that only loaded from app A (nothing sent yet) is bound to A: B's sync sends nothing, and B's load reads nothing into it")
    func loadBindsTheJournal() async throws {
        try await Self.withTwoApps { a, b, home in
            let journal = home.file("journal.sqlite")
            let envA = leadshEnvironment(home: home.path, token: "token-a")
            let envB = leadshEnvironment(home: home.path, token: "token-b")
            // The issue's case: a lead loaded online, then edited offline; nothing was ever sent.
            let load = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "-c", "load \(obrien)"], environment: envA)
            #expect(load.status == 0, "\(load.stderr)")
            #expect(Journal.peekAppID(path: journal) == Self.appA, "the first authenticated answer binds the journal")
            let queued = try await leadsh(
                ["--base-url", a.baseURL, "--journal", journal, "--offline", "-c", "load \(obrien)", "-c", "set name Staged", "-c", "push"],
                environment: envA)
            #expect(queued.status == 0, "\(queued.stderr)")

            let wrong = try await leadsh(["--base-url", b.baseURL, "--journal", journal, "sync"], environment: envB)
            #expect(wrong.status == 2, "\(wrong.stdout) \(wrong.stderr)")
            #expect(wrong.stderr.contains(Self.appA) && wrong.stderr.contains(Self.appB), "\(wrong.stderr)")
            #expect(!b.requests.contains { $0.isUpdate }, "B received no update")

            let readFromB = try await leadsh(["--base-url", b.baseURL, "--journal", journal, "-c", "load \(obrien)"], environment: envB)
            #expect(readFromB.status == 2, "\(readFromB.stderr)")
            #expect(readFromB.stderr.contains("nothing was loaded"), "\(readFromB.stderr)")
            #expect(!b.requests.contains { $0.path.hasPrefix("/contacts") }, "B was not read")

            let right = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "sync"], environment: envA)
            #expect(right.status == 0, "\(right.stderr)")
            #expect(a.lead(id: obrien)?.name == "Staged")
        }
    }

    @Test("with workspaces, the refusal names the workspace whose journal belongs to the token's app; leadsh workspaces lists apps and pending counts")
    func refusalNamesTheWorkspace() async throws {
        try await Self.withTwoApps { a, b, home in
            let config = home.write(
                "config.toml",
                """
                default = "staging"

                [workspaces.staging]
                base_url = "\(a.baseURL)"
                token_env = "TOKEN_A"

                [workspaces.prod]
                base_url = "\(b.baseURL)"
                token_env = "TOKEN_B"
                """)
            let env = leadshEnvironment(home: home.path, extra: ["TOKEN_A": "token-a", "TOKEN_B": "token-b", "LEADSH_CONFIG": config])
            let staging = try await leadsh(["-c", "load \(obrien)", "-c", "set name S1", "-c", "push"], environment: env)
            #expect(staging.status == 0, "\(staging.stderr)")
            let prod = try await leadsh(["-w", "prod", "-c", "load \(obrien)", "-c", "set name P1", "-c", "push"], environment: env)
            #expect(prod.status == 0, "\(prod.stderr)")
            #expect(a.lead(id: obrien)?.name == "S1" && b.lead(id: obrien)?.name == "P1")
            let queued = try await leadsh(["--offline", "-c", "load \(obrien)", "-c", "set name S2", "-c", "push"], environment: env)
            #expect(queued.status == 0, "\(queued.stderr)")

            // Staging's journal with prod's token and URL (flags and INTERCOM_TOKEN win over the section).
            var mixed = env
            mixed["INTERCOM_TOKEN"] = "token-b"
            let wrong = try await leadsh(["sync", "--base-url", b.baseURL], environment: mixed)
            #expect(wrong.status == 2, "\(wrong.stderr)")
            #expect(lines(wrong.stderr).count == 1, "\(wrong.stderr)")
            #expect(wrong.stderr.contains("use -w prod"), "\(wrong.stderr)")
            #expect(wrong.stderr.contains(Self.appA) && wrong.stderr.contains(Self.appB))
            #expect(b.lead(id: obrien)?.name == "P1", "nothing reached prod")

            let listed = try await leadsh(["workspaces"], environment: env)
            #expect(listed.stdout.range(of: #"\* staging\s+1\s+appaaaa1"#, options: .regularExpression) != nil, "\(listed.stdout)")
            #expect(listed.stdout.range(of: #"  prod\s+0\s+appbbbb2"#, options: .regularExpression) != nil, "\(listed.stdout)")

            let right = try await leadsh(["sync"], environment: env)
            #expect(right.status == 0, "\(right.stderr)")
            #expect(a.lead(id: obrien)?.name == "S2")
        }
    }

    @Test("status shows the journal's app; the app is asked once per process")
    func statusShowsApp() async throws {
        try await Self.withTwoApps { a, _, home in
            let journal = home.file("journal.sqlite")
            let env = leadshEnvironment(home: home.path, token: "token-a")
            let result = try await leadsh(
                [
                    "--base-url", a.baseURL, "--journal", journal, "-c", "load \(obrien)", "-c", "set name X", "-c", "push",
                    "-c", "set name Y", "-c", "push", "-c", "status",
                ], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("app         \(Self.appA) (Staging)"), "\(result.stdout)")
            #expect(a.requests.filter { $0.path == "/me" }.count == 1)
        }
    }

    @Test("a journal never bound (offline from the start) is bound at its first connection, before the first send")
    func boundAtFirstConnection() async throws {
        try await Self.withTwoApps { a, b, home in
            let journal = home.file("journal.sqlite")
            let envA = leadshEnvironment(home: home.path, token: "token-a")
            let envB = leadshEnvironment(home: home.path, token: "token-b")
            _ = try await leadsh(["--base-url", a.baseURL, "--journal", home.file("cache.sqlite"), "-c", "load \(obrien)"], environment: envA)
            #expect(Journal.peekAppID(path: journal) == nil)
            // Offline from the start: nothing is known, so the first sync binds the journal to A.
            let offline = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "--offline", "-c", "status"], environment: envA)
            #expect(offline.stdout.contains("not known yet"), "\(offline.stdout)")
            let sync = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "-c", "online"], environment: envA)
            #expect(sync.status == 0, "\(sync.stderr)")
            // Then B is refused, even with nothing queued from A yet.
            _ = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "--offline", "-c", "status"], environment: envA)
            let wrong = try await leadsh(["--base-url", b.baseURL, "--journal", journal, "-c", "sync"], environment: envB)
            // Nothing pending: nothing to refuse, and nothing sent.
            #expect(!b.requests.contains { $0.isUpdate })
            _ = wrong
        }
    }

    @Test("the sandbox has its own app: a real journal refuses to replay into it")
    func sandboxHasItsOwnApp() async throws {
        try await Self.withTwoApps { a, _, home in
            let journal = home.file("journal.sqlite")
            let env = leadshEnvironment(home: home.path, token: "token-a")
            _ = try await leadsh(["--base-url", a.baseURL, "--journal", journal, "-c", "load \(obrien)", "-c", "set name X", "-c", "push"], environment: env)
            _ = try await leadsh(
                ["--base-url", a.baseURL, "--journal", journal, "--offline", "-c", "load \(obrien)", "-c", "set name Y", "-c", "push"], environment: env)
            let sandbox = try await leadsh(["--sandbox", "--journal", journal, "-c", "sync"], environment: leadshEnvironment(home: home.path))
            #expect(sandbox.status == 2, "\(sandbox.stderr)")
            #expect(sandbox.stderr.contains("leadsh-sandbox") && sandbox.stderr.contains(Self.appA), "\(sandbox.stderr)")
        }
    }
}

@Suite("Workspaces: the config file")
struct ConfigFileTests {
    /// Writes `config.toml` into a fresh home and runs `leadsh ARGS` with it.
    static func run(_ config: String, _ arguments: [String], home: TempDirectory = TempDirectory("leadsh-config"), extra: [String: String] = [:]) async throws
        -> ProcessResult
    {
        let path = home.write("config.toml", config)
        return try await leadsh(["--config", path] + arguments, environment: leadshEnvironment(home: home.path, extra: extra))
    }

    @Test(
        "a config file that is not valid TOML, has an unknown key, a wrong type, or both region and base_url is refused with its line, exit 2",
        arguments: [
            ("default = \"prod\"\n[workspaces.prod]\nregion = \"eu\n", 3, "not valid TOML"),
            ("[workspaces.prod]\nregion = \"eu\"\ntoken = \"secret\"\n", 3, "unknown key token"),
            ("default = \"prod\"\n\n[workspaces.prod]\ntimeout = \"ten\"\n", 4, "timeout must be a number"),
            ("[workspaces.prod]\napi_version = 1.4\n", 2, "api_version must be a string"),
            ("[workspaces.prod]\nbase_url = \"https://example.com\"\nregion = \"eu\"\n", 3, "both region and base_url"),
            ("colour = true\n", 1, "unknown key colour"),
            ("default = \"nope\"\n[workspaces.prod]\nregion = \"eu\"\n", 1, "no [workspaces.nope] section"),
            ("[workspaces.prod]\nregion = \"mars\"\n", 2, "unknown region mars"),
            ("[workspaces.prod]\ntoken_file = \"a\"\ntoken_command = \"b\"\n", 3, "names both token_file and token_command"),
        ])
    func refusals(config: String, line: Int, message: String) async throws {
        let result = try await Self.run(config, ["-w", "prod", "config"])
        #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("config.toml:\(line): "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(lines(result.stderr).count == 1, "\(result.stderr)")
    }

    @Test("precedence: flags, then LEADSH_* variables, then the workspace's section, then defaults; leadsh config says where each came from")
    func precedence() async throws {
        let config = """
            default = "staging"

            [workspaces.staging]
            base_url = "http://127.0.0.1:8750"
            api_version = "2.14"
            timeout = 7

            [workspaces.prod]
            region = "eu"
            """
        let fromFile = try await Self.run(config, ["config"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.contains("workspace   staging"), "\(fromFile.stdout)")
        #expect(fromFile.stdout.contains("config.toml:1)"), "the default came from line 1: \(fromFile.stdout)")
        #expect(fromFile.stdout.contains("http://127.0.0.1:8750"))
        #expect(fromFile.stdout.range(of: #"2\.14\s+\(.*config\.toml:5\)"#, options: .regularExpression) != nil, "\(fromFile.stdout)")
        #expect(fromFile.stdout.range(of: #"7s\s+\(.*config\.toml:6\)"#, options: .regularExpression) != nil, "\(fromFile.stdout)")

        let fromEnvironment = try await Self.run(config, ["config"], extra: ["LEADSH_API_VERSION": "1.3", "LEADSH_BASE_URL": "http://127.0.0.1:9"])
        #expect(
            fromEnvironment.stdout.range(of: #"1\.3\s+\(environment LEADSH_API_VERSION\)"#, options: .regularExpression) != nil, "\(fromEnvironment.stdout)")
        #expect(fromEnvironment.stdout.contains("http://127.0.0.1:9 "), "\(fromEnvironment.stdout)")

        let fromFlag = try await Self.run(config, ["--api-version", "1.2", "--timeout", "3", "config"], extra: ["LEADSH_API_VERSION": "1.3"])
        #expect(fromFlag.stdout.range(of: #"1\.2\s+\(flag --api-version\)"#, options: .regularExpression) != nil, "\(fromFlag.stdout)")
        #expect(fromFlag.stdout.range(of: #"3s\s+\(flag --timeout\)"#, options: .regularExpression) != nil, "\(fromFlag.stdout)")

        let other = try await Self.run(config, ["-w", "prod", "config"])
        #expect(other.stdout.contains("https://api.eu.intercom.io"), "\(other.stdout)")
        #expect(other.stdout.range(of: #"2\.14\s+\(default\)"#, options: .regularExpression) != nil, "\(other.stdout)")

        let fromVariable = try await Self.run(config, ["config"], extra: ["LEADSH_WORKSPACE": "prod"])
        #expect(fromVariable.stdout.contains("workspace   prod"), "\(fromVariable.stdout)")

        let unknown = try await Self.run(config, ["-w", "qa", "config"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no workspace qa"), "\(unknown.stderr)")
    }

    @Test("each workspace has its own journal and history under XDG; without a config file the paths are as before")
    func perWorkspacePaths() async throws {
        let home = TempDirectory("leadsh-paths")
        let config = "[workspaces.staging]\nregion = \"eu\"\n"
        let staging = try await Self.run(config, ["-w", "staging", "config"], home: home)
        #expect(staging.stdout.contains(home.path + "/data/leadsh/staging/journal.sqlite"), "\(staging.stdout)")
        #expect(staging.stdout.contains(home.path + "/state/leadsh/staging/history"), "\(staging.stdout)")

        let queued = try await Self.run(config, ["-w", "staging", "-c", "status"], home: home)
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(FileManager.default.fileExists(atPath: home.path + "/data/leadsh/staging/journal.sqlite"))

        let plain = TempDirectory("leadsh-paths")
        let none = try await leadsh(["config"], environment: leadshEnvironment(home: plain.path))
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout.contains("workspace   default"), "\(none.stdout)")
        #expect(none.stdout.contains(plain.path + "/data/leadsh/journal.sqlite"), "\(none.stdout)")
        #expect(none.stdout.contains(plain.path + "/state/leadsh/history"), "\(none.stdout)")

        let xdg = TempDirectory("leadsh-paths")
        try FileManager.default.createDirectory(atPath: xdg.path + "/conf/leadsh", withIntermediateDirectories: true)
        _ = xdg.write("conf/leadsh/config.toml", "default = \"qa\"\n[workspaces.qa]\nregion = \"au\"\n")
        let found = try await leadsh(["config"], environment: leadshEnvironment(home: xdg.path, extra: ["XDG_CONFIG_HOME": xdg.path + "/conf"]))
        #expect(found.stdout.contains("workspace   qa"), "\(found.stdout) \(found.stderr)")
        #expect(found.stdout.contains(xdg.path + "/data/leadsh/qa/journal.sqlite"), "\(found.stdout)")
    }

    @Test("-w NAME uses the section's settings: base URL, token_file and the prompt's name")
    func workspaceSettingsAreUsed() async throws {
        let home = TempDirectory("leadsh-ws")
        try await withFakeIntercom(FakeIntercomConfiguration(token: "staging-token")) { fake in
            let tokenFile = home.write("staging.token", "staging-token\n")
            chmod(tokenFile, 0o600)
            let config = """
                [workspaces.staging]
                base_url = "\(fake.baseURL)"
                token_file = "\(tokenFile)"
                api_version = "2.14"
                """
            let result = try await Self.run(
                config, ["-w", "staging", "-c", "load \(obrien)", "-c", "set name Staged", "-c", "push", "-c", "status"], home: home)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(fake.lead(id: obrien)?.name == "Staged")
            #expect(fake.requests.allSatisfy { $0.header("Intercom-Version") == "2.14" })
            #expect(result.stdout.contains("(staging)"), "\(result.stdout)")

            let shown = try await Self.run(config, ["-w", "staging", "config"], home: home)
            #expect(shown.stdout.contains("set (token_file \(tokenFile))"), "\(shown.stdout)")
            #expect(!shown.stdout.contains("staging-token\n") && !shown.stderr.contains("staging-token\n"))

            let listed = try await Self.run(config, ["-w", "staging", "workspaces"], home: home)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("* staging"), "\(listed.stdout)")
        }
    }

    @Test("leadsh config never prints the token, whichever way it is given")
    func configNeverPrintsToken() async throws {
        let token = "tok_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let home = TempDirectory("leadsh-secret")
        let config = "[workspaces.env]\ntoken_env = \"MY_TOKEN\"\n[workspaces.cmd]\ntoken_command = \"echo \(token)\"\n"
        for (args, extra) in [(["-w", "env"], ["MY_TOKEN": token]), (["-w", "cmd"], [:]), ([], ["INTERCOM_TOKEN": token])] {
            let result = try await Self.run(config, args + ["config"], home: home, extra: extra)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stdout.contains(token) && !result.stderr.contains(token))
            #expect(result.stdout.contains("token       set ("), "\(result.stdout)")
            let json = try await Self.run(config, args + ["config", "--json"], home: home, extra: extra)
            #expect(!json.stdout.contains(token))
        }
    }

    @Test("--version names leadsh's version, the journal schema and the default API version")
    func version() async throws {
        let result = try await leadsh(["--version"], environment: leadshEnvironment(home: TempDirectory().path))
        #expect(result.status == 0)
        #expect(result.stdout.contains("journal schema \(Journal.schemaVersion)"), "\(result.stdout)")
        #expect(result.stdout.contains("default Intercom-Version 2.14"), "\(result.stdout)")
    }
}

@Suite("The command line: subcommands with one shared group of options")
struct SubcommandTests {
    @Test("global options work before and after sync, queue, config and workspaces")
    func optionsEitherSide() async throws {
        let home = TempDirectory("leadsh-cli")
        let env = leadshEnvironment(home: home.path)
        let journal = home.file("j.sqlite")
        for arguments in [["--journal", journal, "config"], ["config", "--journal", journal], ["--json", "queue", "--journal", journal]] {
            let result = try await leadsh(arguments, environment: env)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            if arguments.contains("config") { #expect(result.stdout.contains("\(journal)"), "\(result.stdout)") }
        }
        let queue = try await leadsh(["queue", "--json", "--journal", journal], environment: env)
        #expect(queue.stdout == "[]\n", "\(queue.stdout)")
        let listed = try await leadsh(["workspaces", "--journal", journal], environment: env)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("* default") && listed.stdout.contains(journal), "\(listed.stdout)")
    }

    @Test("an unknown option is refused with exit 2; --generate-completion-script prints a script alone")
    func refusalsAndCompletions() async throws {
        let env = leadshEnvironment(home: TempDirectory("leadsh-cli").path)
        let bogus = try await leadsh(["--bogus", "-c", "status"], environment: env)
        #expect(bogus.status == 2)
        #expect(bogus.stderr.contains("--bogus"), "\(bogus.stderr)")
        for shell in ["bash", "zsh", "fish"] {
            let script = try await leadsh(["--generate-completion-script", shell], environment: env)
            #expect(script.status == 0, "\(script.stderr)")
            #expect(script.stdout.contains("leadsh") && script.stdout.contains("workspaces"), "\(shell)")
            #expect(!script.stdout.contains("MODES:"))
        }
        let help = try await leadsh(["--help"], environment: env)
        #expect(help.status == 0)
        #expect(help.stdout.contains("SUBCOMMANDS") && help.stdout.contains("--workspace"), "\(help.stdout)")
    }
}

@Suite("Workspaces: token_command")
struct TokenCommandTests {
    static func withCommand(_ command: String, timeout: Int = 5, _ body: (ProcessResult, FakeIntercom) async throws -> Void) async throws {
        let home = TempDirectory("leadsh-tokencmd")
        try await withFakeIntercom(FakeIntercomConfiguration(token: "from-command")) { fake in
            let config = """
                [workspaces.w]
                base_url = "\(fake.baseURL)"
                token_command = '\(command)'
                timeout = \(timeout)
                """
            let path = home.write("config.toml", config)
            // The binary: the command is a child of leadsh's process, which the test's own
            // children (Foundation's Process) would otherwise share.
            let result = try await leadshBinary(["--config", path, "-w", "w", "-c", "load \(obrien)"], environment: leadshEnvironment(home: home.path))
            try await body(result, fake)
        }
    }

    @Test("the first line of the command's stdout is the token; arguments are split as a shell would, without one")
    func success() async throws {
        try await Self.withCommand(#"printf "%s\n%s\n" from-command "second line""#) { result, fake in
            #expect(result.status == 0, "\(result.stderr)")
            #expect(fake.requests.allSatisfy { $0.header("Authorization") == "Bearer from-command" })
            #expect(!result.stdout.contains("from-command") && !result.stderr.contains("from-command"))
        }
    }

    @Test("a command that fails: exit 2 with its stderr, nothing sent")
    func failure() async throws {
        try await Self.withCommand(#"sh -c "echo vault is locked >&2; echo from-command; exit 3""#) { result, fake in
            #expect(result.status == 2)
            #expect(result.stderr.contains("vault is locked"), "\(result.stderr)")
            #expect(result.stderr.contains("status 3"), "\(result.stderr)")
            #expect(!result.stderr.contains("from-command"), "never the token")
            #expect(fake.requests.isEmpty)
        }
    }

    @Test("a command that prints nothing, or that cannot be found: exit 2")
    func emptyOrMissing() async throws {
        try await Self.withCommand("true") { result, fake in
            #expect(result.status == 2)
            #expect(result.stderr.contains("printed no token"), "\(result.stderr)")
            #expect(fake.requests.isEmpty)
        }
        try await Self.withCommand("no-such-command-for-leadsh") { result, _ in
            #expect(result.status == 2)
            #expect(result.stderr.contains("could not run"), "\(result.stderr)")
        }
    }

    @Test("a command that outlives the timeout is stopped: exit 2")
    func timeout() async throws {
        try await Self.withCommand("sleep 60", timeout: 1) { result, fake in
            #expect(result.status == 2)
            #expect(result.stderr.contains("did not finish within 1 seconds"), "\(result.stderr)")
            #expect(fake.requests.isEmpty)
        }
    }
}
