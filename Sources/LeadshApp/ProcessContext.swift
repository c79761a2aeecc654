import Foundation
import IntercomClient
import LeadModel
import LineEditor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where leadsh writes text: the process's stdout or stderr, or a buffer in a test.
public protocol TextSink: Sendable {
    func write(_ text: String)
}

/// What the terminal around leadsh can do: which of the three standard streams is a
/// terminal, and how many rows stdout's terminal has.
public struct TerminalCapabilities: Sendable, Equatable {
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    /// The terminal's height in rows, when stdout is one and it says.
    public var rows: Int?

    public init(stdin: Bool, stdout: Bool, stderr: Bool, rows: Int? = nil) {
        (self.stdin, self.stdout, self.stderr, self.rows) = (stdin, stdout, stderr, rows)
    }

    /// No terminal at all: pipes and files, as under cron or in a test.
    public static let none = TerminalCapabilities(stdin: false, stdout: false, stderr: false)

    /// The capabilities of this process's own descriptors.
    public static func ofProcess() -> TerminalCapabilities {
        var rows: Int?
        if isatty(STDOUT_FILENO) == 1 {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 { rows = Int(size.ws_row) }
        }
        return TerminalCapabilities(stdin: isatty(STDIN_FILENO) == 1, stdout: isatty(STDOUT_FILENO) == 1, stderr: isatty(STDERR_FILENO) == 1, rows: rows)
    }
}

/// The interactive shell's line source and how a notice is printed above its prompt.
public struct InteractiveInput: Sendable {
    public var source: any LineSource
    /// Prints a line above the prompt while a line is being typed; nil: notices go to stderr.
    public var printAbove: (@Sendable (String) -> Void)?

    public init(source: any LineSource, printAbove: (@Sendable (String) -> Void)? = nil) {
        self.source = source
        self.printAbove = printAbove
    }
}

/// What the interactive shell hands the line editor it asks for.
public struct LineEditorRequest: Sendable {
    /// Where history is loaded from and appended to.
    public var historyFile: HistoryFile
    /// Tab completion.
    public var completer: EditLineSource.Completer
    /// Told when the history file cannot be read or written.
    public var onHistoryError: @Sendable (any Error) -> Void
}

/// The process boundary as one value: everything leadsh reads from and writes to the
/// process that runs it.
///
/// `leadsh`'s `main` builds ``current()`` and hands it to ``Leadsh/run(_:)``; tests build one
/// with a captured stdout and stderr, their own environment, and a scripted line source
/// for the interactive shell, and read back the output and the exit code. Nothing in
/// `LeadshApp` reads `ProcessInfo`, `isatty` or the descriptors itself.
public struct ProcessContext: Sendable {
    /// The arguments, without the program's name.
    public var arguments: [String]
    public var environment: [String: String]
    /// Lines piped to stdin (`leadsh < script`, `leadsh -`).
    public var standardInput: @Sendable () -> any LineSource
    public var standardOutput: any TextSink
    public var standardError: any TextSink
    public var terminal: TerminalCapabilities
    /// The line editor of the interactive shell: libedit on the process's terminal.
    public var lineEditor: @Sendable (LineEditorRequest) -> InteractiveInput
    /// Every wait and timestamp of the run.
    public var clock: any WallClock
    /// How requests travel when not the sandbox: nil for real HTTP (AsyncHTTPClient).
    /// Tests hand in an ``InMemoryTransport``-like transport to reach a fake in process.
    public var transport: (any IntercomTransport)?

    public init(
        arguments: [String], environment: [String: String], standardInput: @escaping @Sendable () -> any LineSource,
        standardOutput: any TextSink, standardError: any TextSink, terminal: TerminalCapabilities,
        lineEditor: @escaping @Sendable (LineEditorRequest) -> InteractiveInput = ProcessContext.libedit,
        clock: any WallClock = SystemClock(), transport: (any IntercomTransport)? = nil
    ) {
        self.arguments = arguments
        self.environment = environment
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.terminal = terminal
        self.lineEditor = lineEditor
        self.clock = clock
        self.transport = transport
    }

    /// This process: its arguments and environment, its three descriptors, libedit.
    public static func current() -> ProcessContext {
        ProcessContext(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            standardInput: { PlainLineSource.standardInput() },
            standardOutput: DescriptorSink.standardOutput, standardError: DescriptorSink.standardError,
            terminal: .ofProcess())
    }

    /// libedit on the process's terminal.
    public static let libedit: @Sendable (LineEditorRequest) -> InteractiveInput = { request in
        let editor = EditLineSource(historyFile: request.historyFile, completer: request.completer, onHistoryError: request.onHistoryError)
        return InteractiveInput(source: editor, printAbove: { text in editor.printAbove(text) })
    }
}

/// stdout or stderr of this process, written with `write(2)`, so that a closed pipe is an
/// ordinary outcome rather than Foundation's fatal error.
///
/// When stdout's reader has gone (`leadsh script | head`), leadsh stops as a program killed
/// by SIGPIPE would, quietly and with status 141; when stdout fails otherwise (a full disk)
/// it says so on stderr and exits 1. Whatever it already pushed is in the journal. A closed
/// stderr is ignored: there is nowhere left to say anything.
public struct DescriptorSink: TextSink {
    let descriptor: Int32
    /// What a failed write does: nil ignores it (stderr).
    let onFailure: (@Sendable (Int32) -> Void)?

    public static let standardOutput = DescriptorSink(descriptor: STDOUT_FILENO) { error in
        if error == EPIPE { _exit(128 + SIGPIPE) }
        // Another failure (a full disk, say): say so, since the results are lost.
        standardError.write(
            "leadsh: cannot write to standard output: \(String(cString: strerror(error))); stopping (what was pushed is in the journal)\n")
        _exit(1)
    }

    public static let standardError = DescriptorSink(descriptor: STDERR_FILENO, onFailure: nil)

    public func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                onFailure?(errno)
                return
            }
            offset += written
        }
    }
}

#if canImport(Glibc)
    private let systemWrite = Glibc.write
#else
    private let systemWrite = Darwin.write
#endif
