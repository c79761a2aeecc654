import CEditLine
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lines typed at a terminal, edited with libedit: history, Tab completion, Ctrl-R search.
///
/// Up and Down recall history, Ctrl-R searches it backwards, Tab completes with the
/// `completer`, Ctrl-D on an empty line ends the input, and Ctrl-C abandons the line being
/// typed (``LineReadResult/interrupted``, after echoing `^C` and a newline) without ever
/// killing the process: creating an editor installs ``InterruptSignal``. Key bindings in
/// `~/.editrc` apply, under the program name `leadsh`.
///
/// libedit's readline layer is global state, so create at most one editor at a time.
/// ``readLine(prompt:)`` blocks and must be called from one thread at a time (the shell uses a
/// dedicated thread); ``printAbove(_:)``, ``recordHistory(_:)`` and ``historyEntries`` are safe
/// from any thread.
public final class EditLineSource: LineSource {
    /// Completes the word before the cursor.
    ///
    /// Receives the line up to the cursor and the offset, in characters, where the word being
    /// completed starts; returns the full words that may replace it (only those that extend
    /// what was typed). One candidate is inserted with a space after it; with several, the
    /// common prefix is inserted and a second Tab lists them.
    public typealias Completer = @Sendable (_ line: String, _ wordStart: Int) -> [String]

    private let historyFile: HistoryFile?
    private let onHistoryError: @Sendable (any Error) -> Void
    private let history: Mutex<HistoryState>

    /// An editor that loads `historyFile` (if any) and completes with `completer`.
    ///
    /// - Parameters:
    ///   - historyFile: where history is loaded from and appended to; nil keeps it in memory only.
    ///   - completer: the Tab completion; the default completes nothing (never file names).
    ///   - onHistoryError: told when the history file cannot be read or written; the editor
    ///     carries on without it.
    public init(
        historyFile: HistoryFile?,
        completer: @escaping Completer = { _, _ in [] },
        onHistoryError: @escaping @Sendable (any Error) -> Void = { _ in }
    ) {
        precondition(
            !editorExists.exchange(true, ordering: .sequentiallyConsistent),
            "only one EditLineSource may exist at a time"
        )
        self.historyFile = historyFile
        self.onHistoryError = onHistoryError
        InterruptSignal.install()
        InterruptSignal.installContinueHandler()
        Self.useUTF8Locale()

        let outputFD: Int32 = isatty(STDOUT_FILENO) == 0 && isatty(STDERR_FILENO) != 0 ? STDERR_FILENO : STDOUT_FILENO
        runtime.configure(
            outputFD: outputFD,
            outputIsTerminal: isatty(outputFD) != 0,
            inputIsTerminal: isatty(STDIN_FILENO) != 0,
            completer: completer
        )

        leadsh_rl_set_name(leadsh_program_name())
        leadsh_rl_set_outstream(outputFD == STDERR_FILENO ? leadsh_stderr() : leadsh_stdout())
        leadsh_rl_set_getc_function(readKeyCallback)
        rl_initialize()
        leadsh_rl_set_attempted_completion(completionCallback)
        leadsh_rl_set_basic_word_break_characters(leadsh_word_break_characters())
        leadsh_rl_set_completion_append_character(Int32(UInt8(ascii: " ")))
        _ = rl_parse_and_bind("bind ^R em-inc-search-prev")
        _ = leadsh_rl_add_defun(leadsh_print_above_command_name(), printAboveCallback, printAboveKey)

        var entries: [String] = []
        if let historyFile {
            do {
                entries = try historyFile.load()
            } catch {
                onHistoryError(error)
            }
        }
        clear_history()
        for entry in entries { _ = add_history(entry) }
        self.history = Mutex(HistoryState(entries: entries))
    }

    deinit {
        runtime.configure(outputFD: STDOUT_FILENO, outputIsTerminal: false, inputIsTerminal: false, completer: nil)
        editorExists.store(false, ordering: .sequentiallyConsistent)
    }

    /// True: lines come from a person at a terminal.
    public var isInteractive: Bool { true }

    /// Shows `prompt` and reads one line.
    ///
    /// Wrap invisible parts of the prompt (colour escapes) in `"\u{1}"` … `"\u{2}"` so libedit
    /// measures its width right. An interrupt still pending from before this call (from the
    /// command that just ran) is cleared: it does not cancel the new line, nor the next command.
    /// On ``LineReadResult/endOfInput`` a newline is printed, so what the shell prints next
    /// starts on a fresh line.
    public func readLine(prompt: String) -> LineReadResult {
        for entry in history.withLock({ $0.takeUnsynced() }) { _ = add_history(entry) }
        InterruptSignal.clearPending()

        runtime.beginReading(prompt: prompt)
        let raw = prompt.withCString { readline($0) }
        let (interrupted, leftovers) = runtime.endReading()
        defer { runtime.printDirectly(leftovers) }

        if let raw {
            defer { free(raw) }
            return .line(String(cString: raw))
        }
        if interrupted {
            InterruptSignal.clearPending()
            runtime.emit("^C\n")
            return .interrupted
        }
        runtime.emit("\n")
        return .endOfInput
    }

    /// Adds `line` to the history: libedit's (for Up and Ctrl-R) and the history file.
    ///
    /// Skips lines that ``HistoryFile/mayRecord(_:)`` rejects and a repeat of the previous entry.
    /// libedit sees the line from the next ``readLine(prompt:)`` on.
    public func recordHistory(_ line: String) {
        guard HistoryFile.mayRecord(line) else { return }
        let isNew = history.withLock { $0.record(line) }
        guard isNew, let historyFile else { return }
        do {
            try historyFile.append(line)
        } catch {
            onHistoryError(error)
        }
    }

    /// The history this session knows: the file's entries at start-up, then the lines recorded since.
    public var historyEntries: [String] {
        history.withLock { $0.entries }
    }

    /// Prints `text` (and a newline) above the line being typed, then redraws the prompt and
    /// the partial line, so a background notice does not garble what the person is typing.
    ///
    /// Safe from any thread. When no line is being read, or the output is not a terminal, it
    /// just prints the text. Goes to the editor's output: stdout, or stderr when only stderr
    /// is a terminal.
    public func printAbove(_ text: String) {
        runtime.printAbove(text)
    }

    /// Makes libedit's wide-character conversions UTF-8, whatever the environment's locale.
    private static func useUTF8Locale() {
        _ = setlocale(LC_CTYPE, "")
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) == "UTF-8" { return }
        if setlocale(LC_CTYPE, "C.UTF-8") == nil {
            _ = setlocale(LC_CTYPE, "en_US.UTF-8")
        }
    }
}

private struct HistoryState {
    var entries: [String]
    /// Recorded lines libedit has not been given yet; added on the reading thread.
    var unsynced: [String] = []

    /// Appends `line` unless it repeats the last entry; returns whether it did.
    mutating func record(_ line: String) -> Bool {
        guard entries.last != line else { return false }
        entries.append(line)
        unsynced.append(line)
        return true
    }

    mutating func takeUnsynced() -> [String] {
        defer { unsynced = [] }
        return unsynced
    }
}

// MARK: - Shared with libedit's callbacks

private let editorExists = Atomic<Bool>(false)

/// The key ``EditorRuntime/readKey()`` feeds libedit to run the print-above command (Ctrl-^).
let printAboveKey: Int32 = 0x1E

private let readKeyCallback: leadsh_getc_fn = { _ in runtime.readKey() }

private let printAboveCallback: leadsh_command_fn = { _, _ in
    runtime.printNoticesInsideEditor()
    return 0
}

private let completionCallback: leadsh_attempted_completion_fn = { text, start, _ in
    leadsh_rl_set_attempted_completion_over(1)
    return runtime.complete(word: String(cString: text), wordStart: Int(start))
}

private let runtime = EditorRuntime()

extension StringProtocol {
    func commonPrefix(with other: some StringProtocol) -> String {
        String(zip(self, other).prefix { $0 == $1 }.map(\.0))
    }

    func replacingNewlines() -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    }
}
