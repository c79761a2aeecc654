import CommandParser
import Foundation
import IntercomClient
import LeadModel
import LineEditor
import Session
import Synchronization

/// The interactive shell: libedit prompt, history, completion, background replay.
enum Interactive {
    static func run(
        shell: Shell, historyFile: HistoryFile, context: ProcessContext, sandbox: Bool, offline: Bool,
        endpoint: Endpoint, hasToken: Bool
    ) async -> Int32 {
        let session = shell.session
        let printer = shell.printer
        let clock = context.clock
        let completionNames = shell.completionNames
        let dialect = session.dialect
        let errors = context.standardError
        let input = context.lineEditor(
            LineEditorRequest(
                historyFile: historyFile,
                completer: { line, _ in
                    let names = completionNames.get()
                    return Completion.candidates(
                        line: line, attributeNames: names, dialect: dialect, leads: session.leadCompletions, tagNames: session.tagCompletions
                    ).candidates
                },
                onHistoryError: { error in
                    errors.write("leadsh: history: \(error)\n")
                }))
        let source = input.source
        shell.interactiveSource = source
        if let printAbove = input.printAbove { printer.noticeSink = printAbove }

        let style = printer.style
        if sandbox {
            printer.plain(
                style.bold("leadsh") + " — " + style.yellow("sandbox") + ": a fake Intercom with sample leads, in memory (API \(session.apiVersion))")
            printer.plain("Nothing here reaches your Intercom workspace; set INTERCOM_TOKEN to use it.")
            printer.plain("Try: load 5811f6bbe6b4704ddfa84ac0   set name \"O'Brien\"   diff   push     (help lists commands)")
        } else {
            printer.plain(
                style.bold("leadsh")
                    + " — \(hasToken ? endpoint.baseURL : "no token: offline edits only")\(offline ? " (offline)" : "") (API \(session.apiVersion)). Type help for commands."
            )
            if hasToken && !offline, let notice = await startCheck(session, printer: printer) {
                printer.plain(style.yellow(printer.presenter.text(notice)))
            }
        }

        await session.setReplayObserver { event in
            if case .rateLimited(let until) = event { printer.notice(.rateLimited(until: until)) }
        }

        // Probe while offline (the session's probe backoff) and send rows whose backoff ended.
        let background = Task.detached {
            while !Task.isCancelled {
                do {
                    try await clock.sleep(seconds: await session.backgroundWait())
                } catch {
                    break
                }
                if let notice = await session.backgroundTick() { printer.notice(notice) }
            }
        }
        defer { background.cancel() }

        while !shell.quitRequested {
            let prompt = printer.presenter.prompt(await session.promptState())
            let styledPrompt = style.enabled ? "\u{1}\u{1B}[1m\u{2}\(prompt)\u{1}\u{1B}[0m\u{2}" : prompt
            let result = await readOnThread(source, prompt: styledPrompt)
            switch result {
            case .endOfInput:
                if await session.hasUnpushedEdits {
                    await shell.run(line: "quit", at: .init(name: nil, line: nil, directory: ".", arguments: nil))
                    if shell.quitRequested { return ExitCode.success }
                    continue
                }
                return ExitCode.success
            case .interrupted:
                continue
            case .line(let line):
                if shell.mayRecord(line) { source.recordHistory(line) }
                await shell.run(line: line, at: .init(name: nil, line: nil, directory: ".", arguments: nil))
            }
        }
        return ExitCode.success
    }

    /// Asks the API once before the prompt (``Session/checkAtStart()``) and returns what the banner
    /// adds: why it is offline, or the setting that refused. A refused port or a failed lookup
    /// answers at once; a check still waiting after a second goes on behind the prompt and
    /// prints its line above it when it ends.
    private static func startCheck(_ session: Session, printer: Printer) async -> Notice? {
        let early: Notice?? = await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task {
                let notice = await session.checkAtStart()
                if !once.resume(.some(notice)), let notice { printer.notice(notice) }
            }
            Task {
                try? await Task.sleep(for: .seconds(1))
                _ = once.resume(nil)
            }
        }
        return early ?? nil
    }

    /// Runs libedit's blocking `readline()` on its own thread so background replay goes on.
    private static func readOnThread(_ source: any LineSource, prompt: String) async -> LineReadResult {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: source.readLine(prompt: prompt))
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}

/// A continuation resumed by whichever of two tasks comes first.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = Mutex(continuation) }

    /// Resumes with `value` if nothing did yet; false when too late.
    func resume(_ value: Value) -> Bool {
        guard
            let continuation = continuation.withLock({ c -> CheckedContinuation<Value, Never>? in
                defer { c = nil }
                return c
            })
        else { return false }
        continuation.resume(returning: value)
        return true
    }
}
