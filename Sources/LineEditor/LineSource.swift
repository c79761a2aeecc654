/// What one attempt to read a line produced.
public enum LineReadResult: Sendable, Equatable {
    /// A line, without its line terminator.
    case line(String)
    /// Ctrl-C abandoned the line being typed; the caller should prompt again.
    case interrupted
    /// No more lines: Ctrl-D on an empty line, or the end of a file or pipe.
    case endOfInput
}

/// Where the shell's lines come from: libedit on a terminal, a file or pipe, or a test.
///
/// The shell loop reads through this protocol and does not care which source it has.
/// ``readLine(prompt:)`` blocks; call it from one thread at a time (a dedicated thread in
/// the shell, so that background work keeps running while a person types).
public protocol LineSource: AnyObject, Sendable {
    /// Reads one line (without its newline).
    ///
    /// Returns ``LineReadResult/interrupted`` when Ctrl-C cancelled the line being typed,
    /// and ``LineReadResult/endOfInput`` at the end of the input.
    func readLine(prompt: String) -> LineReadResult

    /// True when lines come from a person at a terminal.
    var isInteractive: Bool { get }

    /// Records a line the user ran in the history.
    ///
    /// A no-op for non-interactive sources. Lines that ``HistoryFile/mayRecord(_:)``
    /// rejects are never recorded.
    func recordHistory(_ line: String)
}
