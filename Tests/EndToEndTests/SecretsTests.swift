import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

/// The token never leaks: not into the journal (or its WAL), the history, any output, or a
/// world-readable file; and it is never sent over plain HTTP to another host.
@Suite("Secrets: the token stays secret")
struct SecretsTests {
    /// A token no other test or sample uses, so finding its bytes anywhere means a leak.
    static func makeToken() -> String { "tok_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    /// A rig whose fake accepts `token`.
    static func withSecretRig<T>(token: String, _ body: (Rig) async throws -> T) async throws -> T {
        let home = TempDirectory("leadsh-secrets")
        return try await withFakeIntercom(FakeIntercomConfiguration(token: token)) { fake in
            try await body(Rig(home: home, fake: fake))
        }
    }

    /// Every regular file under `folder`, with its contents.
    static func files(under folder: String) -> [(String, Data)] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [(String, Data)] = []
        for case let name as String in walker {
            let path = folder + "/" + name
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            {
                found.append((path, data))
            }
        }
        return found
    }

    @Test("a full session (interactive, script, --verbose, sync with errors) leaves the token in no file and no output")
    func tokenNeverLeaks() async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            var outputs: [(String, String)] = []
            let history = rig.home.file("state/leadsh/history")

            // Interactive, in a terminal: edits, a push, the queue, the history, and the token
            // pasted at the prompt by accident. A missing tmux fails here, never passes.
            try requireTmux()
            do {
                let terminal = try TmuxSession(
                    command: [productsDirectory() + "/leadsh"] + rig.args + ["--history", history, "--verbose"], environment: rig.env)
                defer { terminal.close() }
                _ = try await terminal.waitFor("leadsh[online]>")
                terminal.typeLine("load \(obrien)")
                _ = try await terminal.waitFor("OBrien>")
                terminal.typeLine("attr plan interactive")
                terminal.typeLine("push")
                _ = try await terminal.waitFor("sent #1")
                terminal.typeLine(token)
                _ = try await terminal.waitFor("this line holds your Intercom token")
                terminal.typeLine("export INTERCOM_TOKEN=\(token)")
                terminal.typeLine("queue --all")
                terminal.typeLine("history")
                _ = try await terminal.waitFor("queue --all")
                terminal.typeLine("history --as-script")
                let screen = try await terminal.waitFor("# replays this session's commands")
                let printed = screen.components(separatedBy: "# replays this session's commands").last ?? ""
                #expect(printed.contains("attr plan interactive"), "\(printed)")
                #expect(!printed.contains(token), "history --as-script prints the token: \(printed)")
                // While the shell runs its journal is open: the WAL and shared memory exist now.
                for (path, data) in Self.files(under: rig.home.path) {
                    #expect(!containsBytes(data, token), "token found in \(path) while the shell runs")
                }
                terminal.typeLine("quit")
                _ = try await terminal.waitForExit()
            }

            // A script with --verbose: every HTTP exchange printed, the token redacted.
            let script = rig.home.write("edit.leadsh", "load \(obrien)\nattr plan scripted\npush\nqueue --all\nstatus\nhistory\nhistory --as-script\n")
            let scripted = try await leadsh(rig.args + ["--verbose", script], environment: rig.env)
            #expect(scripted.status == 0, "\(scripted.stderr)")
            #expect(scripted.stderr.contains("Authorization: Bearer [redacted]"))
            #expect(scripted.stdout.contains("attr plan scripted"), "history --as-script replays the session")
            outputs.append(("script stdout", scripted.stdout))
            outputs.append(("script stderr", scripted.stderr))

            // -c with --json, and with the token from a file.
            let tokenFile = rig.home.file("token")
            FileManager.default.createFile(atPath: tokenFile, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
            let fromFile = try await leadsh(
                rig.args + ["--json", "--verbose", "--token-file", tokenFile, "-c", "load \(obrien)", "-c", "status", "-c", "history --as-script"],
                environment: leadshEnvironment(home: rig.home.path))
            #expect(fromFile.status == 0, "\(fromFile.stderr)")
            outputs.append(("token-file stdout", fromFile.stdout))
            outputs.append(("token-file stderr", fromFile.stderr))

            // A sync that meets errors: 500, 401, 404, a cut response, each printed verbosely.
            let offline = try await rig.run(
                ["load \(obrien)", "attr a 1", "push", "attr b 2", "push", "attr c 3", "push", "attr d 4", "push"],
                extra: ["--offline", "--no-coalesce"])
            #expect(offline.status == 0, "\(offline.stderr)")
            // The 500 leaves the first update backing off (at most 1 s); the second sync waits for it and meets the 401.
            for (fault, wait) in [(Fault.serverError, "0"), (.status(401, code: "unauthorized", message: "Access Token Invalid"), "3")] {
                rig.fake.inject(fault)
                let sync = try await leadsh(rig.args + ["sync", "--verbose", "--blind", "--wait", wait], environment: rig.env)
                #expect(sync.status == 4, "\(sync.stderr)")
                outputs.append(("sync stdout", sync.stdout))
                outputs.append(("sync stderr", sync.stderr))
            }
            rig.fake.clearFaults()
            rig.fake.inject(.status(404, code: "not_found", message: "Contact Not Found"))
            rig.fake.inject(.dropMidResponse)
            let failing = try await leadsh(rig.args + ["sync", "--verbose", "--blind", "--wait", "5"], environment: rig.env)
            #expect(failing.status == 5, "\(failing.stdout)\(failing.stderr)")
            outputs.append(("sync stdout", failing.stdout))
            outputs.append(("sync stderr", failing.stderr))
            let queue = try await leadsh(rig.args + ["queue", "--all", "--json"], environment: rig.env)
            outputs.append(("queue", queue.stdout + queue.stderr))

            for (name, text) in outputs {
                #expect(!text.contains(token), "token printed on \(name)")
            }
            #expect(rig.fake.requests.allSatisfy { $0.header("Authorization") == "Bearer \(token)" }, "every request carried the token, as a header")
            for (path, data) in Self.files(under: rig.home.path) where path != tokenFile {
                #expect(!containsBytes(data, token), "token found in \(path)")
            }
            do {
                let recorded = try String(contentsOfFile: history, encoding: .utf8)
                #expect(recorded.contains("attr plan interactive"), "the history holds the session")
                #expect(!recorded.contains(token), "the pasted token is not recorded in the history")
            }
        }
    }

    @Test("a line holding the token itself is refused before it runs, and no output repeats it")
    func literalTokenRefused() async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            let script = rig.home.write("oops.leadsh", "load \(obrien)\nattr note \"\(token)\"\npush\n")
            let run = try await leadsh(rig.args + ["--on-error", "continue", script], environment: rig.env)
            #expect(run.status == 1)
            #expect(run.stderr.contains("oops.leadsh:2: this line holds your Intercom token"), "\(run.stderr)")
            #expect(run.stderr.contains("oops.leadsh:3: nothing to push"))
            #expect(!run.stdout.contains(token) && !run.stderr.contains(token))
            #expect(rig.posts.isEmpty)
            for (path, data) in Self.files(under: rig.home.path) where path != script {
                #expect(!containsBytes(data, token), "token found in \(path)")
            }
        }
    }

    @Test("the token is found wherever it stands in a line: after a partial match, at the end, beside non-ASCII letters")
    func tokenFoundAnywhereInLine() async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            let lines = [
                "load \(obrien)",
                "attr note \"tok_\(token)\"",  // a first partial match ("tok_"), then the token
                "attr note x\(token)",
                "attr note \"\(token)é\"",
                "attr note \"ü\(token)\"",
                "attr note \"\(token.dropLast())\"",  // all but its last byte: not the token
                "push",
            ]
            let script = rig.home.write("places.leadsh", lines.joined(separator: "\n") + "\n")
            let run = try await leadsh(rig.args + ["--on-error", "continue", script], environment: rig.env)
            for line in 2...5 {
                #expect(run.stderr.contains("places.leadsh:\(line): this line holds your Intercom token"), "line \(line): \(run.stderr)")
            }
            #expect(!run.stderr.contains("places.leadsh:6:"), "\(run.stderr)")
            #expect(!run.stdout.contains(token) && !run.stderr.contains(token))
            #expect(rig.fake.lead(id: obrien)?.customAttributes["note"]?.stringValue == String(token.dropLast()))
        }
    }

    @Test("a script cannot expand $INTERCOM_TOKEN into a command: refused, nothing journaled or sent")
    func tokenVariableNotExpanded() async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            let script = rig.home.write("exfiltrate.leadsh", "load \(obrien)\nattr note \"key: $INTERCOM_TOKEN\"\npush\n")
            let run = try await leadsh(rig.args + [script, "arg"], environment: rig.env)
            #expect(run.status == 1)
            #expect(run.stderr.contains("exfiltrate.leadsh:2: $INTERCOM_TOKEN is never expanded"), "\(run.stderr)")
            #expect(!run.stdout.contains(token) && !run.stderr.contains(token))
            #expect(rig.posts.isEmpty)
            #expect(rig.fake.lead(id: obrien)?.customAttributes["note"] == nil)
            let journal = try Journal(path: rig.journal)
            defer { journal.close() }
            #expect(try journal.entries(all: true).isEmpty)
            // Other variables still expand.
            let home = rig.home.write("home.leadsh", "load \(obrien)\nattr note \"$1\"\npush\n")
            let ok = try await leadsh(rig.args + [home, "hello"], environment: rig.env)
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["note"] == "hello")
        }
    }

    @Test("journal, its WAL, lock, and history are 0600 and their folders 0700, even under umask 000")
    func permissionsUnderUmask000() async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            let journal = rig.home.file("fresh/deeper/journal.sqlite")
            let history = rig.home.file("hist/leadsh/history")
            let command = ([productsDirectory() + "/leadsh", "--base-url", rig.fake.baseURL, "--journal", journal, "--history", history])
                .map(shQuote).joined(separator: " ")
            let script = try await shell("umask 000; exec \(command) -c 'load \(obrien)' -c 'attr plan x' -c push", environment: rig.env)
            #expect(script.status == 0, "\(script.stderr)")
            #expect(permissions(of: journal) == 0o600)
            #expect(permissions(of: journal + ".lock") == 0o600)
            #expect(permissions(of: rig.home.file("fresh")) & 0o077 == 0)
            #expect(permissions(of: rig.home.file("fresh/deeper")) == 0o700)

            // The default locations, created by a fresh leadsh under umask 000.
            let defaults = try await shell(
                "umask 000; exec \(shQuote(productsDirectory() + "/leadsh")) --base-url \(rig.fake.baseURL) -c 'load \(obrien)'", environment: rig.env)
            #expect(defaults.status == 0, "\(defaults.stderr)")
            #expect(permissions(of: rig.home.file("data/leadsh/journal.sqlite")) == 0o600)
            #expect(permissions(of: rig.home.file("data/leadsh")) == 0o700)

            try requireTmux()
            let terminal = try TmuxSession(command: ["/bin/sh", "-c", "umask 000; exec \(command)"], environment: rig.env)
            defer { terminal.close() }
            _ = try await terminal.waitFor("leadsh[online]>")
            terminal.typeLine("load \(obrien)")
            _ = try await terminal.waitFor("OBrien>")
            terminal.typeLine("attr plan y")
            terminal.typeLine("push")
            _ = try await terminal.waitFor("sent #2")
            // The journal is open: its WAL and shared-memory files exist and are private too.
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: journal + suffix) {
                #expect(permissions(of: journal + suffix) == 0o600, "journal\(suffix)")
            }
            #expect(FileManager.default.fileExists(atPath: journal + "-wal"))
            terminal.typeLine("quit")
            _ = try await terminal.waitForExit()
            #expect(permissions(of: history) == 0o600)
            #expect(permissions(of: rig.home.file("hist/leadsh")) == 0o700)
        }
    }

    @Test(
        "a token file readable by group or others is refused (exit 2) with the chmod that fixes it, before any request",
        arguments: [0o640, 0o604, 0o644, 0o660, 0o666, 0o620, 0o602])
    func tokenFileModes(mode: Int) async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            let path = rig.home.file("token")
            FileManager.default.createFile(atPath: path, contents: Data(token.utf8))
            chmod(path, mode_t(mode))
            let env = leadshEnvironment(home: rig.home.path)
            for words in [["-c", "load \(obrien)"], ["sync"], ["-c", "help"]] {
                let refused = try await leadsh(rig.args + ["--token-file", path] + words, environment: env)
                #expect(refused.status == 2, "\(words)")
                #expect(refused.stderr.contains("chmod 600 \(path)"), "\(refused.stderr)")
                #expect(!refused.stderr.contains(token) && !refused.stdout.contains(token))
            }
            #expect(rig.fake.requests.isEmpty, "nothing was sent with a token from an exposed file")
            chmod(path, 0o600)
            let ok = try await leadsh(rig.args + ["--token-file", path, "-c", "load \(obrien)"], environment: env)
            #expect(ok.status == 0, "\(ok.stderr)")
        }
    }

    @Test(
        "plain http:// to anything but loopback is refused at once (exit 2), naming https, and nothing is sent",
        arguments: [
            "http://api.intercom.io", "HTTP://api.intercom.io", "http://10.0.0.1:PORT", "http://192.168.1.2",
            "http://[::2]:PORT", "http://0.0.0.0:PORT", "http://localhost.:PORT", "http://127.1:PORT", "http://2130706433:PORT",
            "http://0x7f000001:PORT", "http://127.0.0.1.nip.io:PORT", "http://localhost.example.com:PORT",
            "http://127.0.0.1@example.com:PORT", "http://[::ffff:7f00:1]:PORT",
        ])
    func plainHTTPRefused(url: String) async throws {
        let token = Self.makeToken()
        try await Self.withSecretRig(token: token) { rig in
            let base = url.replacingOccurrences(of: "PORT", with: String(rig.fake.port))
            for words in [["-c", "load \(obrien)"], ["sync"]] {
                let refused = try await leadsh(["--base-url", base, "--journal", rig.journal] + words, environment: rig.env)
                #expect(refused.status == 2, "\(base) \(words): \(refused.stdout)\(refused.stderr)")
                // Named for https, or (for user@host) for carrying credentials: refused either way.
                #expect(refused.stderr.contains("https://") || refused.stderr.contains("cannot carry credentials"), "\(refused.stderr)")
                #expect(!refused.stderr.contains(token))
            }
            #expect(rig.fake.requests.isEmpty)
        }
    }
}
