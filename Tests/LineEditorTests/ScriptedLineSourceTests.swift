import LineEditor
import Testing

@Suite("ScriptedLineSource")
struct ScriptedLineSourceTests {
    @Test("returns the lines in order, then end of input, and records the prompts")
    func returnsLines() {
        let source = ScriptedLineSource(["load 1", "show"])
        #expect(source.readLine(prompt: "a> ") == .line("load 1"))
        #expect(source.remaining == 1)
        #expect(source.readLine(prompt: "b> ") == .line("show"))
        #expect(source.readLine(prompt: "c> ") == .endOfInput)
        #expect(source.readLine(prompt: "d> ") == .endOfInput)
        #expect(source.prompts == ["a> ", "b> ", "c> ", "d> "])
        #expect(!source.isInteractive)
    }

    @Test("can play interrupts and have lines appended")
    func playsResults() {
        let source = ScriptedLineSource(results: [.line("sync"), .interrupted], isInteractive: true)
        source.append("quit")
        #expect(source.readLine(prompt: "") == .line("sync"))
        #expect(source.readLine(prompt: "") == .interrupted)
        #expect(source.readLine(prompt: "") == .line("quit"))
        #expect(source.readLine(prompt: "") == .endOfInput)
    }

    @Test("keeps history only when interactive, with the history file's rules")
    func recordsHistory() {
        let interactive = ScriptedLineSource([], isInteractive: true)
        for line in ["show", "show", " hidden", "", "set token x", "diff", "show"] {
            interactive.recordHistory(line)
        }
        #expect(interactive.history == ["show", "diff", "show"])

        let script = ScriptedLineSource([])
        script.recordHistory("show")
        #expect(script.history.isEmpty)
    }
}
