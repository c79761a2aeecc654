import Foundation
import Synchronization

/// A program running in a detached tmux session: type into it and read its screen, as a person would.
///
/// Each session has its own tmux server (`tmux -L <unique socket>`), no status line, `TERM=screen`,
/// and `remain-on-exit` on, so the last screen and the exit status stay readable after the
/// program ends. For example:
///
/// ```swift
/// let session = try TmuxSession(command: [leadsh], environment: ["HOME": home.path])
/// defer { session.close() }
/// try await session.waitFor("leadsh>")
/// session.type("load 5811f6bbe6b4704ddfa84ac0")
/// session.press(.enter)
/// try await session.waitFor("OBrien")
/// ```
///
/// Needs the `tmux` program (3.x) on the `PATH`.
public final class TmuxSession: Sendable {
    /// Keys that are not text, by their tmux names.
    public enum Key: String, Sendable {
        case enter = "Enter"
        case tab = "Tab"
        case up = "Up"
        case down = "Down"
        case left = "Left"
        case right = "Right"
        case home = "Home"
        case end = "End"
        case backspace = "BSpace"
        case escape = "Escape"
        case ctrlA = "C-a"
        case ctrlC = "C-c"
        case ctrlD = "C-d"
        case ctrlE = "C-e"
        case ctrlK = "C-k"
        case ctrlL = "C-l"
        case ctrlR = "C-r"
        case ctrlU = "C-u"
        case ctrlW = "C-w"
        case ctrlZ = "C-z"
    }

    /// The tmux socket name: `tmux -L <socketName> attach` watches a session while it lives.
    public let socketName: String
    /// The screen's size in columns and rows.
    public let width: Int
    public let height: Int

    private let configPath: String
    /// The server's socket file, which tmux 3.3 leaves behind after `kill-server`.
    private let socketPath: String?
    private let isClosed = Mutex(false)
    private static let target = "main"

    /// Starts `command` (program and arguments) in a new detached session.
    ///
    /// - Parameters:
    ///   - environment: variables added to this process's environment for the command (through `env`).
    ///   - workingDirectory: where the command starts; the current directory when nil.
    /// - Throws: ``TmuxError`` when tmux is missing or cannot start the session.
    public init(
        command: [String],
        environment: [String: String] = [:],
        width: Int = 120,
        height: Int = 40,
        workingDirectory: String? = nil
    ) throws {
        precondition(!command.isEmpty, "TmuxSession needs a command")
        self.width = width
        self.height = height
        socketName = "leadsh-test-\(getpid())-\(sessionCounter.add(1, ordering: .relaxed).newValue)"
        configPath = NSTemporaryDirectory() + "\(socketName).conf"
        let config = """
            set -g remain-on-exit on
            set -g status off
            set -g default-terminal screen
            set -g history-limit 10000
            set -g escape-time 0

            """
        do {
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        } catch {
            throw TmuxError("cannot write the tmux configuration \(configPath): \(error)")
        }

        var arguments = ["new-session", "-d", "-s", Self.target, "-x", "\(width)", "-y", "\(height)"]
        if let workingDirectory { arguments += ["-c", workingDirectory] }
        arguments += ["--", "env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + command
        let started = Self.tmux(socket: socketName, config: configPath, arguments)
        guard started.status == 0 else {
            try? FileManager.default.removeItem(atPath: configPath)
            throw TmuxError("tmux could not start \(command.joined(separator: " ")): \(started.output)")
        }
        let socket = Self.tmux(socket: socketName, config: configPath, ["display-message", "-p", "#{socket_path}"])
        let path = socket.output.trimmingCharacters(in: .whitespacesAndNewlines)
        socketPath = socket.status == 0 && path.hasPrefix("/") ? path : nil
    }

    deinit {
        close()
    }

    // MARK: Typing

    /// Types `text` literally (no key names are interpreted).
    public func type(_ text: String) {
        run(["send-keys", "-t", Self.target, "-l", "--", text])
    }

    /// Presses `keys` in order.
    public func press(_ keys: Key...) {
        run(["send-keys", "-t", Self.target] + keys.map(\.rawValue))
    }

    /// Sends keys by their tmux names (`"Enter"`, `"C-c"`, `"M-b"`, `"F1"`, …).
    public func sendKeys(_ keys: String...) {
        run(["send-keys", "-t", Self.target] + keys)
    }

    /// Types `line` and presses Enter.
    public func typeLine(_ line: String) {
        type(line)
        press(.enter)
    }

    // MARK: Reading

    /// The visible screen, one line per row, without trailing blank rows.
    ///
    /// Trailing spaces on each row are dropped (as `capture-pane` does): wait for `"leadsh>"`,
    /// not `"leadsh> "`.
    public func capture() -> String {
        let result = run(["capture-pane", "-p", "-t", Self.target])
        var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// The visible screen with its colours and attributes as escape sequences (`capture-pane -e`).
    public func captureWithEscapes() -> String {
        run(["capture-pane", "-p", "-e", "-t", Self.target]).output
    }

    /// Waits until the screen shows `text`, checking every 50 ms, and returns that screen.
    ///
    /// - Throws: ``TmuxError`` with the last screen when `timeout` passes, or as soon as the
    ///   program has exited without showing `text`.
    @discardableResult
    public func waitFor(_ text: String, timeout: Duration = .seconds(30)) throws -> String {
        try waitUntil("the screen shows \"\(text)\"", timeout: timeout) { $0.contains(text) }
    }

    /// ``waitFor(_:timeout:)`` for async tests: sleeps between checks instead of blocking the thread.
    @discardableResult
    public func waitFor(_ text: String, timeout: Duration = .seconds(30)) async throws -> String {
        try await waitUntil("the screen shows \"\(text)\"", timeout: timeout) { $0.contains(text) }
    }

    /// Waits until `condition` holds for the screen, checking every 50 ms, and returns that screen.
    @discardableResult
    public func waitUntil(
        _ description: String,
        timeout: Duration = .seconds(30),
        _ condition: (String) -> Bool
    ) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let screen = try check(description, deadline: deadline, condition) { return screen }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// ``waitUntil(_:timeout:_:)`` for async tests.
    @discardableResult
    public func waitUntil(
        _ description: String,
        timeout: Duration = .seconds(30),
        _ condition: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let screen = try check(description, deadline: deadline, condition) { return screen }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The screen when `condition` holds; nil to keep waiting; throws when waiting is pointless.
    private func check(
        _ description: String,
        deadline: ContinuousClock.Instant,
        _ condition: (String) -> Bool
    ) throws -> String? {
        let running = isRunning
        let screen = capture()
        if condition(screen) { return screen }
        if !running {
            let status = exitStatus.map { "status \($0)" } ?? "its session is gone"
            throw TmuxError("the program exited (\(status)) before \(description)", screen: screen)
        }
        if ContinuousClock.now >= deadline {
            throw TmuxError("timed out waiting until \(description)", screen: screen)
        }
        return nil
    }

    // MARK: The program

    /// Whether the program in the pane is still running.
    public var isRunning: Bool {
        paneState() == .running
    }

    /// The program's exit status once it has exited (128 + the signal number when a signal
    /// killed it); nil while it runs.
    public var exitStatus: Int32? {
        if case .exited(let status) = paneState() { return status }
        return nil
    }

    private enum PaneState: Equatable {
        case running
        case exited(Int32)
        case gone
    }

    /// tmux marks a pane dead when its terminal closes, which can come before the exit status
    /// is known; and tmux 3.3 sometimes never reaps a program that exits quickly (it stays a
    /// zombie with no `pane_dead_status`). So the status comes from tmux when it has it, else
    /// from the zombie's `/proc/PID/stat`; until then the program counts as running.
    private func paneState() -> PaneState {
        let format = "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pane_pid}"
        let result = run(["display-message", "-p", "-t", Self.target, format])
        guard result.status == 0 else { return .gone }
        let fields = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == "1" else { return .running }
        if let status = Int32(fields[1]) { return .exited(status) }
        if let signal = Int32(fields[2]) { return .exited(128 + signal) }
        if let pid = Int32(fields[3]), let status = Self.zombieExitStatus(pid) { return .exited(status) }
        return .running
    }

    /// The exit status of process `pid` if it is a zombie, from field 52 of `/proc/PID/stat`.
    private static func zombieExitStatus(_ pid: Int32) -> Int32? {
        // Read with read(2): /proc files report size 0, which some readers take at its word.
        let fd = open("/proc/\(pid)/stat", O_RDONLY)
        guard fd >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        closeDescriptor(fd)
        guard count > 0 else { return nil }
        let stat = String(decoding: buffer[..<count], as: UTF8.self)
        guard let nameEnd = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: nameEnd)...].split(whereSeparator: \.isWhitespace)
        // fields[0] is field 3 (the state); field 52 is the wait status.
        guard fields.first == "Z", fields.count > 49, let wait = Int32(fields[49]) else { return nil }
        return wait & 0x7F == 0 ? (wait >> 8) & 0xFF : 128 + (wait & 0x7F)
    }

    /// Waits for the program to exit and returns its exit status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) throws -> Int32 {
        try waitUntil("the program exits", timeout: timeout) { [self] _ in exitStatus != nil }
        return exitStatus ?? -1
    }

    /// ``waitForExit(timeout:)`` for async tests.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await waitUntil("the program exits", timeout: timeout) { [self] _ in exitStatus != nil }
        return exitStatus ?? -1
    }

    /// Kills the tmux server and the program with it. Safe to call more than once.
    public func close() {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        run(["kill-server"])
        try? FileManager.default.removeItem(atPath: configPath)
        if let socketPath { unlink(socketPath) }
    }

    // MARK: Running tmux

    @discardableResult
    private func run(_ arguments: [String]) -> (status: Int32, output: String) {
        Self.tmux(socket: socketName, config: configPath, arguments)
    }

    /// Runs one tmux command and returns its exit status and output (see ``spawnAndWait(_:environment:)``
    /// for why it is not started through Foundation's `Process`).
    private static func tmux(socket: String, config: String, _ arguments: [String]) -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil
        environment["TMUX_PANE"] = nil
        let run = spawnAndWait(["tmux", "-L", socket, "-f", config] + arguments, environment: environment)
        return (run.status, run.output)
    }
}

private let sessionCounter = Atomic<Int>(0)

/// `close(2)`, by a name the session's own ``TmuxSession/close()`` does not hide.
private func closeDescriptor(_ fd: Int32) {
    close(fd)
}

/// A tmux session did not behave as a test expected; carries the last screen.
public struct TmuxError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// The screen when it went wrong, if there was one.
    public let screen: String?

    public init(_ message: String, screen: String? = nil) {
        self.message = message
        self.screen = screen
    }

    public var description: String {
        guard let screen else { return message }
        return "\(message); the screen was:\n\(screen)"
    }
}
