import FakeIntercom
import Foundation
import Journal
import LeadshApp
import LineEditor
import TestSupport
import Testing

/// The interactive shell's own behaviour, in process: the whole app on a terminal (as its
/// `ProcessContext` says), with a scripted line source in place of libedit. What only
/// libedit's rendering shows (completion menus, Ctrl-C, a line redrawn under a notice) is in
/// `InteractiveTests` and `ReplayEndToEndTests`, in tmux.
@Suite("The interactive shell in process (a scripted line source)")
struct InteractiveInProcessTests {
    /// A terminal on all three streams.
    static let terminal = TerminalCapabilities(stdin: true, stdout: true, stderr: true, rows: 30)

    /// Runs the interactive shell over `lines` (then end of input, as Ctrl-D).
    static func shell(
        _ lines: [String], arguments: [String], environment: [String: String]
    ) async -> (result: ProcessResult, source: ScriptedLineSource) {
        let source = ScriptedLineSource(lines, isInteractive: true)
        let result = await leadshInProcess(
            arguments, environment: environment.merging(["NO_COLOR": "1"]) { $1 }, terminal: terminal,
            lineEditor: { _ in InteractiveInput(source: source) })
        return (result, source)
    }

    @Test("without a token the shell starts the sandbox in memory; the prompt names the lead and marks unpushed edits")
    func sandboxAndPrompt() async throws {
        let home = TempDirectory("leadsh-interactive")
        let (result, source) = await Self.shell(
            ["load \(obrien)", "set name \"O'Brien\"", "push", "quit"], arguments: [], environment: leadshEnvironment(home: home.path))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("sandbox"), "\(result.stdout)")
        #expect(result.stdout.contains("in memory"), "\(result.stdout)")
        #expect(
            source.prompts == ["leadsh[sandbox]> ", "leadsh[sandbox] OBrien> ", "leadsh[sandbox] OBrien*> ", "leadsh[sandbox] O'Brien> "],
            "the lead's name, starred while an edit is unpushed: \(source.prompts)")
        #expect(source.history == ["load \(obrien)", "set name \"O'Brien\"", "push", "quit"])
    }

    @Test("quit with unpushed edits warns once and stays; a second quit, or Ctrl-D twice, leaves")
    func quitWarnsOnce() async throws {
        try await withRig { rig in
            let (result, source) = await Self.shell(["load \(obrien)", "set name Unpushed", "quit", "quit"], arguments: rig.args, environment: rig.env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("there are unpushed edits; `push` or `discard` them, or quit again to drop them"), "\(result.stderr)")
            #expect(source.prompts.count == 4, "the shell asked for a line after the first quit: \(source.prompts)")
            #expect(rig.fake.lead(id: obrien)?.name != "Unpushed")

            let (eof, _) = await Self.shell(["load \(obrien)", "set name Unpushed"], arguments: rig.args, environment: rig.env)
            #expect(eof.status == 0)
            #expect(eof.stderr.contains("there are unpushed edits"), "end of input counts as quit: \(eof.stderr)")
        }
    }

    @Test("drop asks first on a terminal: anything but y keeps the update, y drops it")
    func dropAsks() async throws {
        try await withRig { rig in
            let cached = try await rig.run(["load \(obrien)"])
            #expect(cached.status == 0, "\(cached.stderr)")
            let pushed = try await rig.run(["load \(obrien)", "attr plan kept", "push"], extra: ["--offline"])
            #expect(pushed.status == 0, "\(pushed.stderr)")

            let (kept, _) = await Self.shell(["drop 1", "no"], arguments: rig.args + ["--offline"], environment: rig.env)
            #expect(kept.stdout.contains("not dropped"), "\(kept.stdout)")
            #expect(try Journal.entry(rig.journal, seq: 1)?.state == .pending)

            let (dropped, source) = await Self.shell(["drop 1", "y"], arguments: rig.args + ["--offline"], environment: rig.env)
            #expect(dropped.status == 0, "\(dropped.stderr)")
            #expect(source.prompts.contains("drop update #1? It will not be sent. [y/N] "), "\(source.prompts)")
            #expect(try Journal.entry(rig.journal, seq: 1)?.state == .dropped)
        }
    }

    @Test("merge asks first on a terminal: anything but y journals nothing, y journals the merge; --dry-run shows the call and asks nothing")
    func mergeAsks() async throws {
        try await withRig(version: "2.14") { rig in
            _ = try await rig.run(["load \(obrien)"])
            let winston = "5811f80ae6b4704ddfa84ae7"
            let (kept, _) = await Self.shell(["load \(obrien)", "merge into \(winston)", "n"], arguments: rig.args + ["--offline"], environment: rig.env)
            #expect(kept.stdout.contains("not merged"), "\(kept.stdout)")
            #expect(try Journal.entry(rig.journal, seq: 1) == nil, "nothing journaled")

            let (preview, previewSource) = await Self.shell(
                ["load \(obrien)", "merge into \(winston) --dry-run"], arguments: rig.args + ["--offline"], environment: rig.env)
            #expect(preview.stdout.contains("POST /contacts/merge") && preview.stdout.contains(winston), "\(preview.stdout)")
            #expect(!previewSource.prompts.contains { $0.hasPrefix("merge this lead") })

            let (merged, source) = await Self.shell(
                ["load \(obrien)", "merge into \(winston)", "y"], arguments: rig.args + ["--offline"], environment: rig.env)
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(source.prompts.contains { $0.hasPrefix("merge this lead into \(winston)?") }, "\(source.prompts)")
            let row = try #require(try Journal.entry(rig.journal, seq: 1))
            #expect(row.kind == .merge && row.state == .pending)
        }
    }

    @Test("a line holding the token is refused and kept out of the history")
    func tokenLineNotRecorded() async throws {
        try await withRig { rig in
            let token = rig.fake.configuration.token
            let (result, source) = await Self.shell(
                ["load \(obrien)", "set name \(token)", "status"], arguments: rig.args + ["--offline"], environment: rig.env)
            #expect(result.stderr.contains("this line holds your Intercom token"), "\(result.stderr)")
            #expect(!result.stdout.contains(token) && !result.stderr.contains(token))
            #expect(source.history == ["load \(obrien)", "status"], "\(source.history)")
        }
    }
}
