import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

let tmuxAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")

/// A test whose terminal half needs tmux fails, visibly, where tmux is missing: it never
/// passes having skipped that half (`scripts/bootstrap` installs tmux).
func requireTmux() throws {
    try #require(tmuxAvailable, "tmux is missing (/usr/bin/tmux): scripts/bootstrap installs it")
}

/// Journals `count` updates of the custom attribute `n` directly, spread over `leads`, one row each.
func journalUpdates(_ path: String, count: Int, leads: [String]) throws -> [String: Int64] {
    let journal = try Journal(path: path)
    defer { journal.close() }
    var last: [String: Int64] = [:]
    for n in 0..<count {
        let lead = leads[n % leads.count]
        let update = try LeadUpdate(lead: LeadReference(id: lead), changes: FieldChanges([(.custom("n"), .integer(Int64(n)))]))
        _ = try journal.append(NewUpdate(update: update, base: FieldChanges(), baseUpdatedAt: nil), coalesce: false)
        last[lead] = Int64(n)
    }
    return last
}

extension Rig {
    /// `leadsh` at its prompt in tmux, talking to the rig's fake.
    func interactiveShell() async throws -> TmuxSession {
        let terminal = try TmuxSession(
            command: [productsDirectory() + "/leadsh"] + args + ["--history", home.file("history")], environment: env)
        _ = try await terminal.waitFor("leadsh[online]>")
        return terminal
    }
}

/// The SIGKILL-mid-replay test that lived here is generalized in CrashTests.swift.
@Suite("Replay end to end: reconnects, progress")
struct ReplayEndToEndTests {
    @Test("a replay of many updates shows progress on a terminal and nothing extra through a pipe")
    func progress() async throws {
        try await withRig { rig in
            rig.fake.setDelay(.milliseconds(50))
            _ = try journalUpdates(rig.journal, count: 40, leads: [obrien])
            try requireTmux()
            do {
                let terminal = try TmuxSession(command: [productsDirectory() + "/leadsh"] + rig.args + ["sync"], environment: rig.env)
                defer { terminal.close() }
                try await terminal.waitUntil("progress shows done/40", timeout: .seconds(20)) { $0.contains("/40") && $0.contains("ETA") }
                // 40 sends to one lead go one at a time; a loaded machine has been seen at 3 a second.
                #expect(try await terminal.waitForExit(timeout: .seconds(90)) == 0)
            }
            _ = try journalUpdates(rig.journal, count: 40, leads: [obrien])
            let piped = try await leadsh(rig.args + ["sync"], environment: rig.env)
            #expect(piped.status == 0)
            #expect(!piped.stderr.contains("/40"))
            #expect(!piped.stderr.contains("\r"))
            #expect(piped.stdout.contains("sent 40"))
        }
    }

    @Test(
        "the shell replays by itself when the API answers again, without garbling the typed line; drop asks first; retry resends",
        .enabled(if: tmuxAvailable))
    func reconnectAndDrop() async throws {
        try await withRig { rig in
            let terminal = try await rig.interactiveShell()
            defer { terminal.close() }
            terminal.typeLine("load \(obrien)")
            _ = try await terminal.waitFor("OBrien>")

            await rig.fake.stopListening()
            terminal.typeLine("attr plan offline-made")
            terminal.typeLine("push")
            _ = try await terminal.waitFor("queued (offline), 1 pending #1")
            _ = try await terminal.waitFor("leadsh[offline](1 pending)")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] != "offline-made")

            terminal.type("stat")  // half typed when the notice arrives
            try await rig.fake.resumeListening()
            let screen = try await terminal.waitFor("API reachable again: sent 1", timeout: .seconds(20))
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "offline-made")
            let lastLine = screen.split(separator: "\n").last.map(String.init) ?? ""
            #expect(lastLine.hasSuffix("> stat"), "the prompt and the typed text are redrawn below the notice: \(lastLine)")
            terminal.typeLine("us")
            _ = try await terminal.waitFor("sent 1")

            rig.fake.inject(.status(404, code: "not_found", message: "Contact Not Found"), times: 2)
            terminal.typeLine("attr plan doomed")
            terminal.typeLine("push")
            _ = try await terminal.waitFor("push failed: 404 not_found")
            terminal.typeLine("drop 2")
            _ = try await terminal.waitFor("drop update #2?")
            terminal.typeLine("n")
            _ = try await terminal.waitFor("not dropped")
            terminal.typeLine("drop 2")
            try await terminal.waitUntil("a second confirmation") { $0.components(separatedBy: "drop update #2?").count == 3 }
            terminal.typeLine("y")
            _ = try await terminal.waitFor("update #2 dropped")
            do {
                let journal = try Journal(path: rig.journal)
                defer { journal.close() }
                #expect(try journal.entry(seq: 2)?.state == .dropped)
            }

            rig.fake.clearFaults()
            terminal.typeLine("retry 2")
            _ = try await terminal.waitFor("update #2 requeued; now sent")
            #expect(rig.fake.lead(id: obrien)?.customAttributes["plan"] == "doomed")
            terminal.typeLine("quit")
            _ = try await terminal.waitForExit()

            let journal = try Journal(path: rig.journal)
            defer { journal.close() }
            #expect(try journal.entry(seq: 1)?.state == .sent)
            #expect(try journal.entry(seq: 2)?.state == .sent)
        }
    }

    @Test("Ctrl-C cancels a running command and leaves the shell running", .enabled(if: tmuxAvailable))
    func interruptRunningCommand() async throws {
        try await withRig { rig in
            rig.fake.setDelay(.seconds(30))
            let terminal = try await rig.interactiveShell()
            defer { terminal.close() }
            terminal.typeLine("load \(obrien)")
            try await terminal.waitUntil("the load is in flight") { _ in !rig.fake.requests.isEmpty }
            terminal.press(.ctrlC)
            _ = try await terminal.waitFor("cancelled")
            #expect(terminal.isRunning)
            rig.fake.setDelay(.zero)
            terminal.typeLine("status")
            _ = try await terminal.waitFor("endpoint")
            terminal.typeLine("quit")
            _ = try await terminal.waitForExit()
        }
    }
}
