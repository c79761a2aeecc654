import CEditLine
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state libedit's C callbacks reach: they capture nothing, so it is one global.
final class EditorRuntime: Sendable {
    private struct Shared {
        var outputFD: Int32 = STDOUT_FILENO
        var outputIsTerminal = false
        var inputIsTerminal = false
        var completer: EditLineSource.Completer?
        var reading = false
        var prompt = ""
        var startGeneration: UInt64 = 0
        var continueGeneration: UInt64 = 0
        var sawInterrupt = false
        var notices: [String] = []
        /// The print-above key was handed to libedit and its command has not run yet.
        var keyOutstanding = false
        /// Inside a Ctrl-R (or Ctrl-S) search, where any other control key ends the search:
        /// notices wait until it is over.
        var searching = false
        /// Where the last key left an escape sequence (an arrow key is ESC [ A): no key may
        /// be slipped in before it is complete.
        var escape = EscapeState.none
    }

    enum EscapeState {
        case none, afterEscape, inSequence

        func after(_ key: Int32) -> Self {
            switch (self, key) {
            case (_, 0x1B): return .afterEscape
            case (.afterEscape, 0x5B), (.afterEscape, 0x4F): return .inSequence  // "[" or "O"
            case (.inSequence, 0x20..<0x40): return .inSequence  // parameters and intermediates
            default: return .none
            }
        }
    }

    private let shared = Mutex(Shared())
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init() {
        let wake = POSIX.makePipe() ?? (-1, -1)
        wakeRead = wake.read
        wakeWrite = wake.write
    }

    func configure(outputFD: Int32, outputIsTerminal: Bool, inputIsTerminal: Bool, completer: EditLineSource.Completer?) {
        shared.withLock {
            $0.outputFD = outputFD
            $0.outputIsTerminal = outputIsTerminal
            $0.inputIsTerminal = inputIsTerminal
            $0.completer = completer
        }
    }

    // MARK: Reading

    func beginReading(prompt: String) {
        POSIX.drain(wakeRead)
        InterruptSignal.drainReaderWake()
        shared.withLock {
            $0.reading = true
            $0.prompt = prompt
            $0.startGeneration = InterruptSignal.generation
            $0.continueGeneration = InterruptSignal.continueGeneration
            $0.sawInterrupt = false
            $0.keyOutstanding = false
            $0.searching = false
            $0.escape = .none
        }
    }

    /// Ends a read: whether an interrupt cut it short, and notices that still wait.
    func endReading() -> (interrupted: Bool, leftovers: [String]) {
        shared.withLock { state in
            state.reading = false
            let interrupted = state.sawInterrupt || InterruptSignal.generation != state.startGeneration
            defer { state.notices = [] }
            return (interrupted, state.notices)
        }
    }

    /// libedit's next key, as a Unicode scalar value; -1 ends the line (end of input or interrupt).
    func readKey() -> Int32 {
        while true {
            let action: Int32? = shared.withLock { state in
                if InterruptSignal.generation != state.startGeneration {
                    state.sawInterrupt = true
                    return -1
                }
                if InterruptSignal.continueGeneration != state.continueGeneration {
                    // Back from Ctrl-Z: the shell above wrote over the line; draw it again.
                    state.continueGeneration = InterruptSignal.continueGeneration
                    POSIX.writeAll(state.outputFD, Array("\r\u{1B}[K".utf8))
                    rl_forced_update_display()
                }
                if !state.notices.isEmpty && state.inputIsTerminal && !state.searching && state.escape == .none
                    && !POSIX.hasPendingInput(STDIN_FILENO)
                {
                    if !state.keyOutstanding {
                        state.keyOutstanding = true
                        return printAboveKey
                    }
                    // libedit swallowed the key (inside a search, say): print without its help.
                    state.keyOutstanding = false
                    let notices = state.notices
                    state.notices = []
                    let text = "\r\u{1B}[K" + Self.rawModeText(notices)
                    POSIX.writeAll(state.outputFD, Array(text.utf8))
                    rl_forced_update_display()
                }
                return nil
            }
            if let action { return action }

            guard let readiness = POSIX.waitReadable(STDIN_FILENO, wakes: [wakeRead, InterruptSignal.readerWakeFD])
            else { continue }
            if readiness.wakes[0] { POSIX.drain(wakeRead) }
            if readiness.wakes[1] { InterruptSignal.drainReaderWake() }
            if readiness.input, let key = readScalar() {
                shared.withLock {
                    $0.searching = Self.isSearching(after: key, wasSearching: $0.searching)
                    $0.escape = $0.escape.after(key)
                }
                return key
            }
        }
    }

    /// Whether libedit's incremental search is on after `key`: Ctrl-R and Ctrl-S start it;
    /// printable keys, Backspace (DEL, Ctrl-H) and Ctrl-W continue it; other control keys end it.
    static func isSearching(after key: Int32, wasSearching: Bool) -> Bool {
        switch key {
        case 0x12, 0x13: return true
        case 0x08, 0x17, 0x7F: return wasSearching
        case 0..<0x20: return false
        default: return wasSearching
        }
    }

    /// Reads one UTF-8 sequence from stdin: its scalar, -1 at end of input, nil for bytes to skip.
    private func readScalar() -> Int32? {
        guard let lead = readByte() else { return -1 }
        let length: Int
        var value: UInt32
        switch lead {
        case 0x00..<0x80: return Int32(lead)
        case 0xC2..<0xE0: (length, value) = (1, UInt32(lead & 0x1F))
        case 0xE0..<0xF0: (length, value) = (2, UInt32(lead & 0x0F))
        case 0xF0..<0xF5: (length, value) = (3, UInt32(lead & 0x07))
        default: return nil
        }
        for _ in 0..<length {
            guard let next = readByte() else { return -1 }
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        let minimum: UInt32 = [0, 0x80, 0x800, 0x10000][length]
        guard value >= minimum, Unicode.Scalar(value) != nil else { return nil }
        return Int32(value)
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = read(STDIN_FILENO, &byte, 1)
            if count == 1 { return byte }
            if count < 0 && (errno == EINTR || errno == EAGAIN) {
                _ = POSIX.waitReadable(STDIN_FILENO, wakes: [])
                continue
            }
            return nil
        }
    }

    // MARK: Printing

    func printAbove(_ text: String) {
        shared.withLock { state in
            if state.reading && state.inputIsTerminal && state.outputIsTerminal {
                state.notices.append(text)
                var byte: UInt8 = 1
                _ = write(wakeWrite, &byte, 1)
            } else {
                POSIX.writeAll(state.outputFD, Array((text + "\n").utf8))
            }
        }
    }

    func printDirectly(_ notices: [String]) {
        guard !notices.isEmpty else { return }
        shared.withLock { state in
            _ = POSIX.writeAll(state.outputFD, Array(notices.map { $0 + "\n" }.joined().utf8))
        }
    }

    func emit(_ text: String) {
        shared.withLock { _ = POSIX.writeAll($0.outputFD, Array(text.utf8)) }
    }

    /// Runs inside libedit (the print-above key's command): clears the prompt and the partial
    /// line, prints the notices, and has libedit draw the line again below them.
    func printNoticesInsideEditor() {
        let (notices, prompt, outputFD) = shared.withLock { state in
            state.keyOutstanding = false
            defer { state.notices = [] }
            return (state.notices, state.prompt, state.outputFD)
        }
        guard !notices.isEmpty else { return }

        // rl_copy_text drops the line's last byte; at the end of the line, count one column for it.
        let point = leadsh_rl_point()
        var beforeCursor = ""
        if let copy = rl_copy_text(0, point + 1) {
            beforeCursor = String(cString: copy)
            free(copy)
            if beforeCursor.utf8.count < point { beforeCursor += " " }
        }
        var rows: Int32 = 0
        var columns: Int32 = 0
        rl_get_screen_size(&rows, &columns)
        let width = Self.displayWidth(Self.visiblePrompt(prompt)) + Self.displayWidth(beforeCursor)
        let rowsAbove = columns > 0 ? width / Int(columns) : 0

        var text = "\r"
        if rowsAbove > 0 { text += "\u{1B}[\(rowsAbove)A" }
        text += "\u{1B}[J" + Self.rawModeText(notices)
        POSIX.writeAll(outputFD, Array(text.utf8))
        rl_forced_update_display()
    }

    /// Notices as lines for a terminal in libedit's raw mode, where a newline alone may not return the carriage.
    private static func rawModeText(_ notices: [String]) -> String {
        notices.map { $0.replacingNewlines() + "\r\n" }.joined()
    }

    /// The prompt without the `\1`…`\2` spans and escape sequences the terminal does not show.
    static func visiblePrompt(_ prompt: String) -> String {
        var result = ""
        var hidden = false
        var escape = false
        for scalar in prompt.unicodeScalars {
            switch scalar {
            case "\u{1}": hidden = true
            case "\u{2}": hidden = false
            case "\u{1B}": escape = true
            default:
                if hidden { continue }
                if escape {
                    if scalar.properties.isAlphabetic { escape = false }
                    continue
                }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Terminal columns `text` takes (`wcwidth`, counting unprintable scalars as zero).
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            sum + max(0, Int(leadsh_wcwidth(Int32(bitPattern: scalar.value))))
        }
    }

    // MARK: Completion

    /// The matches array libedit expects: the common prefix, then the candidates, NULL-terminated.
    ///
    /// `word` is the text libedit will replace, `wordStart` where it starts (in Unicode scalars).
    func complete(word: String, wordStart: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard let completer = shared.withLock({ $0.completer }) else { return nil }
        let beforeWord = Self.lineBeforeWord(scalarCount: max(0, wordStart))
        var seen = Set<String>()
        let candidates = completer(beforeWord + word, beforeWord.count).filter { seen.insert($0).inserted }
        guard !candidates.isEmpty else { return nil }

        let words = candidates.count == 1 ? candidates : [Self.commonPrefix(candidates)] + candidates
        // One spare NULL: libedit reads matches[2] even when matches[1] is NULL.
        let slots = words.count + 2
        guard let raw = malloc(slots * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride) else { return nil }
        let matches = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: slots)
        for (index, word) in words.enumerated() { matches[index] = strdup(word) }
        matches[words.count] = nil
        matches[words.count + 1] = nil
        return matches
    }

    /// The first `scalarCount` scalars of the line being edited.
    ///
    /// libedit's `rl_copy_text` never returns the line's last byte (it passes the length,
    /// not length + 1, to `strlcpy`), and `rl_line_buffer` can dangle once a line passed
    /// about 1 KiB. When the part wanted is the whole line, its missing last character can
    /// only be a word break (the word after it is empty); it is taken to be a space.
    private static func lineBeforeWord(scalarCount: Int) -> String {
        guard scalarCount > 0, let copy = rl_copy_text(0, Int32.max) else { return "" }
        let scalars = Array(String(cString: copy).unicodeScalars)
        free(copy)
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars.prefix(scalarCount))
        if scalars.count < scalarCount { result.append(" ") }
        return String(result)
    }

    static func commonPrefix(_ words: [String]) -> String {
        guard let first = words.first else { return "" }
        var prefix = Substring(first)
        for word in words.dropFirst() {
            prefix = prefix.commonPrefix(with: word)[...]
        }
        return String(prefix)
    }
}
