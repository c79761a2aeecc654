import Foundation
import Journal
import LeadModel
import LeadshApp
import LineEditor
import TestSupport
import Testing

/// Journal retention through the whole app, in process: `leadsh gc`, the workspace's
/// `retention`, `revert` of a pruned update, and the prune at the start of `sync` and of the
/// shell. Time is a clock handed to each run: rows are journaled "40 days ago" by a run whose
/// clock says so.
@Suite("Retention: leadsh gc and the daily prune")
struct GCTests {
    static let today: Double = 1_800_000_000
    static let day: Double = 86_400
    static let other = "5811f7c1e6b4704ddfa84ad2"

    /// leadsh in process with the sandbox's fake (when `--sandbox`), at `time` on a clock whose
    /// waits return at once.
    static func run(_ arguments: [String], home: TempDirectory, at time: Double, stdin: String? = nil) async -> ProcessResult {
        await leadshInProcess(arguments, environment: leadshEnvironment(home: home.path), stdin: stdin, clock: JumpingClock(start: time))
    }

    /// Every row of the journal, as `queue --all --json` lists them.
    static func rows(_ journal: String, home: TempDirectory) async throws -> [JSONValue] {
        let listed = await run(["--journal", journal, "queue", "--all", "--json"], home: home, at: today)
        guard case .array(let rows) = try JSONText.parse(listed.stdout) else {
            Issue.record("queue --json printed no array: \(listed.stdout) \(listed.stderr)")
            return []
        }
        return rows
    }

    /// Two pushes sent through the sandbox at `time` (each its own row).
    static func sendTwo(_ journal: String, home: TempDirectory, at time: Double) async {
        let sent = await run(
            ["--sandbox", "--journal", journal, "-c", "load \(obrien)", "-c", "set name Old1", "-c", "push", "-c", "set name Old2", "-c", "push"],
            home: home, at: time)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("sent"), "\(sent.stdout)")
    }

    @Test(
        "gc --dry-run prunes nothing; gc prunes old sent rows, keeps the pending one, says rows and bytes; an old import reruns idempotently; revert of a pruned row says so"
    )
    func gcEndToEnd() async throws {
        let home = TempDirectory("leadsh-gc")
        let journal = home.file("journal.sqlite")
        let forty = Self.today - 40 * Self.day
        await Self.sendTwo(journal, home: home, at: forty)
        let csv = home.write("leads.csv", "id,name\n\(obrien),Imported One\n\(Self.other),Imported Two\n")
        let imported = await Self.run(["--sandbox", "--journal", journal, "import", csv], home: home, at: forty)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported 2,"), "\(imported.stdout)")
        let pending = await Self.run(
            ["--sandbox", "--offline", "--journal", journal, "-c", "load \(obrien)", "-c", "set name Pending", "-c", "push"], home: home, at: forty)
        #expect(pending.status == 0, "\(pending.stderr)")
        let before = try await Self.rows(journal, home: home)
        #expect(before.map { $0["state"]?.stringValue ?? "?" } == ["sent", "sent", "sent", "sent", "pending"], "\(before)")

        let dry = await Self.run(["--journal", journal, "gc", "--dry-run"], home: home, at: Self.today)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.hasPrefix("would prune 4 sent and dropped updates older than 30 days and give back about "), "\(dry.stdout)")
        #expect(try await Self.rows(journal, home: home).count == 5, "a dry run prunes nothing")

        let gc = await Self.run(["--journal", journal, "gc"], home: home, at: Self.today)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.hasPrefix("pruned 4 sent and dropped updates older than 30 days; gave back "), "\(gc.stdout)")
        #expect(gc.stdout.contains("(journal now "), "\(gc.stdout)")
        let after = try await Self.rows(journal, home: home)
        #expect(after.map { $0["state"]?.stringValue ?? "?" } == ["pending"], "\(after)")
        #expect(after.first?["seq"] == .integer(5))

        // Nothing older is left: a second gc prunes nothing, and says so in JSON too.
        let again = await Self.run(["--journal", journal, "--json", "gc"], home: home, at: Self.today)
        let document = try JSONText.parse(again.stdout)
        #expect(document["pruned"] == .integer(0), "\(again.stdout)")
        #expect(document["retention_days"] == .integer(30))
        #expect(document["dry_run"] == .bool(false))

        // The old file again, with the journal's rows long gone: nothing journaled twice.
        let rerun = await Self.run(["--sandbox", "--offline", "--journal", journal, "import", csv], home: home, at: Self.today)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("imported 0, 2 rows already imported"), "\(rerun.stdout)")
        #expect(try await Self.rows(journal, home: home).count == 1)

        let revert = await Self.run(["--sandbox", "--journal", journal, "-c", "revert 1"], home: home, at: Self.today)
        #expect(revert.status != 0)
        #expect(revert.stderr.contains("update #1 was pruned (older than the retention of 30 days); it cannot be reverted"), "\(revert.stderr)")
    }

    @Test("the workspace's retention key sets the days (0 keeps everything); a bad value is refused naming its line")
    func retentionKey() async throws {
        let home = TempDirectory("leadsh-gc-retention")
        let journal = home.file("journal.sqlite")
        await Self.sendTwo(journal, home: home, at: Self.today - 40 * Self.day)
        func config(_ retention: String) -> String {
            home.write("config.toml", "default = \"w\"\n[workspaces.w]\njournal = \"\(journal)\"\nretention = \(retention)\n")
        }
        let sixty = await Self.run(["--config", config("60"), "gc"], home: home, at: Self.today)
        #expect(sixty.status == 0, "\(sixty.stderr)")
        #expect(sixty.stdout.hasPrefix("pruned 0 sent and dropped updates older than 60 days"), "\(sixty.stdout)")

        let zero = await Self.run(["--config", config("0"), "gc"], home: home, at: Self.today + 400 * Self.day)
        #expect(zero.status == 0, "\(zero.stderr)")
        #expect(zero.stdout.hasPrefix("retention 0 keeps every update: nothing pruned"), "\(zero.stdout)")
        #expect(try await Self.rows(journal, home: home).count == 2)

        for bad in ["-3", "1.5"] {
            let refused = await Self.run(["--config", config(bad), "gc"], home: home, at: Self.today)
            #expect(refused.status == 2, "\(refused.stdout)")
            #expect(refused.stderr.contains("config.toml:4: retention must be a whole number of days"), "\(refused.stderr)")
        }

        let later = await Self.run(["--config", config("39"), "gc"], home: home, at: Self.today)
        #expect(later.stdout.hasPrefix("pruned 2 sent and dropped updates older than 39 days"), "\(later.stdout)")
        #expect(try await Self.rows(journal, home: home).isEmpty)
    }

    @Test("gc on a file that is not a journal exits 3 and leaves it alone")
    func notAJournal() async throws {
        let home = TempDirectory("leadsh-gc-bad")
        let path = home.write("notes.txt", "not a journal\n")
        let run = await Self.run(["--journal", path, "gc"], home: home, at: Self.today)
        #expect(run.status == 3)
        #expect(run.stderr.contains("is not a leadsh journal"), "\(run.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a journal\n")
    }

    @Test("sync and the shell prune at their start, at most once a day, and say so on stderr")
    func startPrunesOnceADay() async throws {
        let home = TempDirectory("leadsh-gc-start")
        let journal = home.file("journal.sqlite")
        let forty = Self.today - 40 * Self.day
        await Self.sendTwo(journal, home: home, at: forty)

        let sync = await Self.run(["--sandbox", "--journal", journal, "sync"], home: home, at: Self.today)
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("leadsh: pruned 2 sent and dropped updates older than 30 days; gave back "), "\(sync.stderr)")
        #expect(try await Self.rows(journal, home: home).isEmpty)

        // Another old row; an hour later the start does not prune again.
        await Self.sendTwo(journal, home: home, at: forty)
        let soon = await Self.run(["--sandbox", "--journal", journal, "sync"], home: home, at: Self.today + 3_600)
        #expect(soon.status == 0, "\(soon.stderr)")
        #expect(!soon.stderr.contains("pruned"), "\(soon.stderr)")
        #expect(try await Self.rows(journal, home: home).count == 2)

        // A day later the interactive shell's start does.
        let source = ScriptedLineSource(["quit"], isInteractive: true)
        let shell = await leadshInProcess(
            ["--sandbox", "--journal", journal], environment: leadshEnvironment(home: home.path, extra: ["NO_COLOR": "1"]),
            terminal: TerminalCapabilities(stdin: true, stdout: true, stderr: true, rows: 30), lineEditor: { _ in InteractiveInput(source: source) },
            clock: JumpingClock(start: Self.today + Self.day + 1))
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(shell.stderr.contains("leadsh: pruned 2 sent and dropped updates older than 30 days"), "\(shell.stderr)")
        #expect(try await Self.rows(journal, home: home).isEmpty)

        // A script run does not prune.
        await Self.sendTwo(journal, home: home, at: forty)
        let script = await Self.run(["--sandbox", "--journal", journal, "-c", "status"], home: home, at: Self.today + 10 * Self.day)
        #expect(!script.stderr.contains("pruned"), "\(script.stderr)")
        #expect(try await Self.rows(journal, home: home).count == 2)
    }
}
