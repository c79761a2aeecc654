import FakeIntercom
import Foundation
import TestSupport
import Testing

@Suite("The interactive shell in a real terminal (tmux)", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
struct InteractiveTests {
    func start(_ home: TempDirectory) throws -> TmuxSession {
        try TmuxSession(
            command: [productsDirectory() + "/leadsh"],
            environment: ["HOME": home.path, "XDG_DATA_HOME": home.file("data"), "XDG_STATE_HOME": home.file("state"), "INTERCOM_TOKEN": "", "TERM": "xterm"])
    }

    @Test("sandbox prompt, Tab completion (commands, attributes, tags), Ctrl-C, history recalled across a restart (Up, Ctrl-R), history file 0600")
    func session() async throws {
        let home = TempDirectory("leadsh-tty")
        let terminal = try start(home)
        defer { terminal.close() }
        _ = try await terminal.waitFor("leadsh[sandbox]>")

        terminal.type("lo")
        terminal.press(.tab)
        _ = try await terminal.waitFor("]> load")
        terminal.typeLine("5811f6bbe6b4704ddfa84ac0")
        _ = try await terminal.waitFor("OBrien>")
        terminal.typeLine(#"set name "O'Brien""#)
        _ = try await terminal.waitFor("OBrien*>")
        terminal.type("attr te")
        terminal.press(.tab)
        _ = try await terminal.waitFor("attr team_mates")
        terminal.typeLine("12")
        terminal.typeLine("push")
        _ = try await terminal.waitFor("sent #1")

        terminal.type("half typed")
        terminal.press(.ctrlC)
        _ = try await terminal.waitFor("^C")
        #expect(terminal.isRunning, "Ctrl-C must not kill the shell")
        terminal.typeLine("status")
        _ = try await terminal.waitFor("sent 1")
        // Tab after `untag` completes the workspace's tags.
        terminal.typeLine("tag vip")
        _ = try await terminal.waitFor("+vip for the lead")
        terminal.typeLine("push")
        _ = try await terminal.waitFor("sent #2")
        terminal.type("untag v")
        terminal.press(.tab)
        _ = try await terminal.waitFor("> untag vip")
        terminal.press(.ctrlU)
        terminal.typeLine("quit")
        _ = try await terminal.waitForExit()

        let historyPath = home.file("state/leadsh/history")
        #expect(permissions(of: historyPath) == 0o600)
        let history = try String(contentsOfFile: historyPath, encoding: .utf8)
        #expect(history.contains("push"))
        #expect(!history.contains("half typed"))
        #expect(!history.contains("sandbox-"), "no token in the history")

        let again = try start(home)
        defer { again.close() }
        _ = try await again.waitFor("leadsh[sandbox]>")
        again.press(.up)
        _ = try await again.waitFor("leadsh[sandbox]> quit")
        again.press(.ctrlU)
        // Ctrl-R finds an older command by what it contains; Enter runs it.
        again.press(.ctrlR)
        again.type("set na")
        _ = try await again.waitFor(#"set name "O'Brien""#)
        again.press(.enter)
        _ = try await again.waitFor("no lead loaded")
        again.press(.ctrlD)
        _ = try await again.waitForExit()
    }

    @Test("the prompt names the workspace: leadsh[staging] OBrien>")
    func workspacePrompt() async throws {
        let home = TempDirectory("leadsh-tty")
        try await withFakeIntercom(FakeIntercomConfiguration(token: "staging-token")) { fake in
            let config = home.write("config.toml", "[workspaces.staging]\nbase_url = \"\(fake.baseURL)\"\ntoken_env = \"STAGING_TOKEN\"\n")
            let terminal = try TmuxSession(
                command: [productsDirectory() + "/leadsh", "-w", "staging"],
                environment: [
                    "HOME": home.path, "XDG_DATA_HOME": home.file("data"), "XDG_STATE_HOME": home.file("state"), "INTERCOM_TOKEN": "",
                    "TERM": "xterm", "LEADSH_CONFIG": config, "STAGING_TOKEN": "staging-token",
                ])
            defer { terminal.close() }
            _ = try await terminal.waitFor("leadsh[staging]>")
            terminal.typeLine("load 5811f6bbe6b4704ddfa84ac0")
            _ = try await terminal.waitFor("leadsh[staging] OBrien>")
            terminal.typeLine("offline")
            _ = try await terminal.waitFor("leadsh[staging,offline] OBrien>")
            terminal.press(.ctrlD)
            _ = try await terminal.waitForExit()
            #expect(FileManager.default.fileExists(atPath: home.file("state/leadsh/staging/history")))
        }
    }

    @Test("source in the shell: arguments, the first failure stops the sourced script, history --as-script leaves dry runs out")
    func sourceAndHistory() async throws {
        let home = TempDirectory("leadsh-tty")
        let script = home.write("retag.leadsh", "load 5811f6bbe6b4704ddfa84ac0\nattr plan \"$1\"\npush\nbogus\nattr never 1\n")
        let terminal = try start(home)
        defer { terminal.close() }
        _ = try await terminal.waitFor("leadsh[sandbox]>")
        terminal.typeLine("source \(script) gold")
        _ = try await terminal.waitFor("retag.leadsh:4: unknown command")
        let screen = terminal.capture()
        // Sent by the push, or, when the shell's background replay held the journal at that
        // moment, by that replay.
        #expect(screen.contains("sent #1") || (screen.contains("replay of this journal is under way") && screen.contains("replayed: sent 1")), "\(screen)")
        #expect(!screen.contains("retag.leadsh:5"), "the sourced script stopped at line 4")
        #expect(terminal.isRunning, "a failing sourced script does not end the shell")
        terminal.typeLine("show plan")
        _ = try await terminal.waitFor(#""gold""#)
        terminal.typeLine("attr plan silver")
        terminal.typeLine("push --dry-run")
        _ = try await terminal.waitFor("dry run")
        terminal.typeLine("discard")
        terminal.typeLine("history --as-script")
        let screenWithListing = try await terminal.waitFor("# replays this session's commands")
        let listing = String(screenWithListing[screenWithListing.range(of: "# replays this session's commands")!.upperBound...])
        #expect(listing.contains("attr plan gold\npush"), "the sourced commands, $1 expanded: \(listing)")
        #expect(!listing.contains("push --dry-run"), "\(listing)")
        terminal.press(.ctrlD)
        _ = try await terminal.waitForExit()
    }
}
