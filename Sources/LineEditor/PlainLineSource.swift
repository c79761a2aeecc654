import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lines from a file descriptor: a script file, or stdin when it is not a terminal.
///
/// No prompt is printed and nothing is recorded in the history. Lines may end in LF or
/// CRLF; a last line without a newline is still a line; bytes that are not UTF-8 are
/// decoded lossily (as U+FFFD); a UTF-8 byte order mark at the start is dropped.
///
/// On a pipe or terminal, an interrupt (see ``InterruptSignal``) while waiting for input
/// returns ``LineReadResult/interrupted``; input already read is kept for the next call.
public final class PlainLineSource: LineSource {
    /// The script's path, or `<stdin>`: what error messages should call it.
    public let name: String
    private let state: Mutex<ReaderState>
    private let linesRead = Atomic<Int>(0)

    /// Reads the script at `path`.
    ///
    /// - Throws: ``LineEditorError`` when the file cannot be opened or is a directory.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw LineEditorError.openScript(path, errno: errno) }
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw LineEditorError.scriptIsDirectory(path)
        }
        self.name = path
        self.state = Mutex(ReaderState(fd: fd, ownsDescriptor: true))
    }

    /// Reads from an open descriptor; it is closed with the source only when `closesDescriptor` is true.
    public init(fileDescriptor: Int32, name: String, closesDescriptor: Bool = false) {
        self.name = name
        self.state = Mutex(ReaderState(fd: fileDescriptor, ownsDescriptor: closesDescriptor))
    }

    /// Lines from stdin, named `<stdin>`.
    public static func standardInput() -> PlainLineSource {
        PlainLineSource(fileDescriptor: STDIN_FILENO, name: "<stdin>")
    }

    deinit {
        state.withLock { state in
            if state.ownsDescriptor { close(state.fd) }
        }
    }

    /// The number of the line last returned (1 for the first line), for `FILE:LINE` messages.
    public var lineNumber: Int {
        linesRead.load(ordering: .relaxed)
    }

    /// False: lines come from a file or pipe.
    public var isInteractive: Bool { false }

    /// Reads the next line; `prompt` is ignored.
    public func readLine(prompt: String) -> LineReadResult {
        let result = state.withLock { $0.nextLine() }
        if case .line = result { linesRead.add(1, ordering: .relaxed) }
        return result
    }

    /// Does nothing: script lines are never recorded.
    public func recordHistory(_ line: String) {}
}

private struct ReaderState: ~Copyable {
    let fd: Int32
    let ownsDescriptor: Bool
    let waitsForInput: Bool
    var buffer: [UInt8] = []
    var start = 0
    var atEnd = false
    var isFirstLine = true

    init(fd: Int32, ownsDescriptor: Bool) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        var info = stat()
        waitsForInput = !(fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
    }

    mutating func nextLine() -> LineReadResult {
        let generation = InterruptSignal.generation
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = decode(buffer[start..<newline])
                start = newline + 1
                if start > 65_536 && start * 2 > buffer.count {
                    buffer.removeFirst(start)
                    start = 0
                }
                return .line(line)
            }
            if atEnd {
                guard start < buffer.count else { return .endOfInput }
                let line = decode(buffer[start...])
                start = buffer.count
                return .line(line)
            }
            if waitsForInput {
                let wake = InterruptSignal.readerWakeFD
                let readiness = POSIX.waitReadable(fd, wakes: [wake])
                if InterruptSignal.generation != generation {
                    InterruptSignal.drainReaderWake()
                    InterruptSignal.clearPending()
                    return .interrupted
                }
                if readiness?.wakes.first == true { InterruptSignal.drainReaderWake() }
                guard readiness?.input == true else { continue }
            }
            readMore()
        }
    }

    private mutating func readMore() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            buffer += chunk[..<count]
        } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
            atEnd = true
        }
    }

    private mutating func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var line = bytes
        if isFirstLine {
            isFirstLine = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        }
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        return String(decoding: line, as: UTF8.self)
    }
}
