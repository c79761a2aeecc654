import Synchronization

/// Lines from an array: the commands of `leadsh -c`, and tests of the shell loop.
///
/// It records the prompts it was asked to show and, when interactive, the history it was
/// asked to keep (with the same rules as ``EditLineSource``: ``HistoryFile/mayRecord(_:)``,
/// and no immediate repeats).
public final class ScriptedLineSource: LineSource {
    /// True when the source plays a person at a terminal.
    public let isInteractive: Bool
    private let state: Mutex<ScriptState>

    /// A source that returns `lines`, then ``LineReadResult/endOfInput``.
    public convenience init(_ lines: [String], isInteractive: Bool = false) {
        self.init(results: lines.map(LineReadResult.line), isInteractive: isInteractive)
    }

    /// A source that returns `results` in order (interrupts included), then ``LineReadResult/endOfInput``.
    public init(results: [LineReadResult], isInteractive: Bool = false) {
        self.isInteractive = isInteractive
        self.state = Mutex(ScriptState(results: results))
    }

    public func readLine(prompt: String) -> LineReadResult {
        state.withLock { state in
            state.prompts.append(prompt)
            guard state.next < state.results.count else { return .endOfInput }
            defer { state.next += 1 }
            return state.results[state.next]
        }
    }

    public func recordHistory(_ line: String) {
        guard isInteractive, HistoryFile.mayRecord(line) else { return }
        state.withLock { state in
            if state.history.last != line { state.history.append(line) }
        }
    }

    /// Adds lines to the end of the script.
    public func append(_ lines: String...) {
        state.withLock { $0.results += lines.map(LineReadResult.line) }
    }

    /// The prompts passed to ``readLine(prompt:)``, in order.
    public var prompts: [String] {
        state.withLock { $0.prompts }
    }

    /// The lines recorded with ``recordHistory(_:)`` and kept.
    public var history: [String] {
        state.withLock { $0.history }
    }

    /// How many scripted results have not been read yet.
    public var remaining: Int {
        state.withLock { $0.results.count - $0.next }
    }
}

private struct ScriptState {
    var results: [LineReadResult]
    var next = 0
    var prompts: [String] = []
    var history: [String] = []
}
