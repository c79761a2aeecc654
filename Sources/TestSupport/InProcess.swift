import FakeIntercom
import Foundation
import IntercomClient
import LeadModel
import LeadshApp
import LineEditor
import Synchronization

/// Text written to a ``TextSink``, kept for the test to read.
public final class CapturedText: TextSink {
    private let text = Mutex("")

    public init() {}

    public func write(_ text: String) { self.text.withLock { $0 += text } }

    /// Everything written so far.
    public var value: String { text.withLock { $0 } }
}

/// Runs leadsh in this process, as `leadsh` would run with `arguments` and `environment`:
/// stdout and stderr captured, stdin a pipe holding `stdin` (closed at once when nil), no
/// terminal. The result has the shape of a spawned run's (``ProcessResult``).
///
/// It goes through the same ``Leadsh/run(_:)`` as the binary's `main`; what only a process
/// shows (signals, SIGPIPE, exit on a closed stdout, the spawned binary's start-up) is tested
/// with ``runProduct(_:_:environment:stdin:currentDirectory:timeout:)``.
public func leadshInProcess(
    _ arguments: [String], environment: [String: String], stdin: String? = nil,
    terminal: TerminalCapabilities = .none, lineEditor: (@Sendable (LineEditorRequest) -> InteractiveInput)? = nil,
    transport: (any IntercomTransport)? = nil, clock: any WallClock = SystemClock()
) async -> ProcessResult {
    let out = CapturedText()
    let err = CapturedText()
    let input = StandardInputPipe(stdin ?? "")
    var context = ProcessContext(
        arguments: arguments, environment: environment, standardInput: { input.source() },
        standardOutput: out, standardError: err, terminal: terminal, clock: clock, transport: transport)
    if let lineEditor { context.lineEditor = lineEditor }
    // Its own threads, as a process has: what the app blocks (a pipe's read, SQLite) blocks
    // none of the pool that the tests and their in-process fake run on.
    let status = await withTaskExecutorPreference(DispatchExecutor(label: "leadsh.in-process")) { await Leadsh.run(context) }
    return ProcessResult(status: status, stdout: out.value, stderr: err.value)
}

/// A pipe whose reading end is leadsh's stdin: its bytes written by a thread of its own (so a
/// line longer than the pipe's buffer cannot block the reader), then closed.
private final class StandardInputPipe: Sendable {
    private let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }

    func source() -> any LineSource {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return ScriptedLineSource([]) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let bytes = self.bytes
        Thread {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Foundation.write(writeEnd, $0.baseAddress! + offset, $0.count - offset) }
                if written <= 0 { break }
                offset += written
            }
            close(writeEnd)
        }.start()
        return PlainLineSource(fileDescriptor: readEnd, name: "<stdin>", closesDescriptor: true)
    }
}
