import Foundation
import Synchronization

/// What a run of a program printed and returned.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The folder holding the built products (`leadsh`, `fake-intercom`), next to the test bundle.
public func productsDirectory() -> String {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // The XCTest bundle on Linux is a file in the products folder; step out of any .xctest folder.
    while dir.lastPathComponent.hasSuffix(".xctest") || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" {
        dir.deleteLastPathComponent()
    }
    return dir.path
}

/// A sandboxed environment for running `leadsh`: its own HOME and XDG folders, no token unless given.
public func leadshEnvironment(home: String, token: String? = nil, extra: [String: String] = [:]) -> [String: String] {
    var env: [String: String] = [
        "HOME": home,
        "XDG_DATA_HOME": home + "/data",
        "XDG_STATE_HOME": home + "/state",
        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    ]
    if let token { env["INTERCOM_TOKEN"] = token }
    for (k, v) in extra { env[k] = v }
    return env
}

/// Runs a built product to completion, feeding `stdin` (nothing, closed, by default).
public func runProduct(
    _ name: String, _ arguments: [String], environment: [String: String], stdin: String? = nil,
    currentDirectory: String? = nil, timeout: Duration = .seconds(60)
) async throws -> ProcessResult {
    try await runProgram(
        productsDirectory() + "/" + name, arguments, environment: environment, stdin: stdin,
        currentDirectory: currentDirectory, timeout: timeout)
}

/// Runs the program at `path` to completion (a script runs through its `#!` line).
public func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String], stdin: String? = nil,
    currentDirectory: String? = nil, timeout: Duration = .seconds(60)
) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = environment
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()

    // Read the pipes on their own threads: blocking reads must not occupy the
    // cooperative pool, where the in-process fake Intercom answers requests.
    async let outData = readToEnd(out.fileHandleForReading)
    async let errData = readToEnd(err.fileHandleForReading)
    let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        DispatchQueue.global().async {
            let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning {
                process.terminate()
                continuation.resume(returning: false)
            } else {
                continuation.resume(returning: true)
            }
        }
    }
    process.waitUntilExit()
    _ = finished
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: await outData, as: UTF8.self),
        stderr: String(decoding: await errData, as: UTF8.self))
}

/// Runs leadsh with the given arguments: in this process (``leadshInProcess``), or as the
/// built binary when the run needs a working directory of its own.
public func leadsh(_ arguments: [String], environment: [String: String], stdin: String? = nil, currentDirectory: String? = nil) async throws -> ProcessResult {
    if let currentDirectory {
        return try await leadshBinary(arguments, environment: environment, stdin: stdin, currentDirectory: currentDirectory)
    }
    return await leadshInProcess(arguments, environment: environment, stdin: stdin)
}

/// Runs the built `leadsh` binary: for what only a process shows (exit on signals, SIGPIPE,
/// a closed stdout, start-up, `#!` scripts, a working directory).
public func leadshBinary(
    _ arguments: [String], environment: [String: String], stdin: String? = nil, currentDirectory: String? = nil
) async throws -> ProcessResult {
    try await runProduct("leadsh", arguments, environment: environment, stdin: stdin, currentDirectory: currentDirectory)
}

private func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        Thread {
            continuation.resume(returning: handle.readDataToEndOfFile())
        }.start()
    }
}

/// A built product running in the background: read its output while it runs, signal it, wait for it.
public final class RunningProduct: @unchecked Sendable {
    public let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private let stdoutBytes = Buffer()
    private let stderrBytes = Buffer()
    private let readers = DispatchGroup()

    /// Starts the built product `name` (`leadsh`, `fake-intercom`) with `arguments`.
    public init(_ name: String, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: productsDirectory() + "/" + name)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        pump(out.fileHandleForReading, into: stdoutBytes)
        pump(err.fileHandleForReading, into: stderrBytes)
    }

    /// Reads `handle` on its own thread (not the cooperative pool) until the program closes it.
    private final class Buffer: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    private func pump(_ handle: FileHandle, into buffer: Buffer) {
        readers.enter()
        Thread { [readers] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.bytes.withLock { $0.append(contentsOf: chunk) }
            }
            readers.leave()
        }.start()
    }

    /// What the program has printed on stdout so far.
    public var stdout: String { String(decoding: stdoutBytes.bytes.withLock { $0 }, as: UTF8.self) }
    /// What the program has printed on stderr so far.
    public var stderr: String { String(decoding: stderrBytes.bytes.withLock { $0 }, as: UTF8.self) }

    /// Waits (polling every 20 ms, up to `timeout`) until stdout satisfies `condition`.
    public func waitForOutput(timeout: Duration = .seconds(20), _ condition: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(stdout) { return true }
            if !process.isRunning { return condition(stdout) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The first line the program prints on stdout (empty if it prints none within 20 s).
    public func firstLine() async -> String {
        _ = try? await waitForOutput { $0.contains("\n") }
        return String(stdout.prefix { $0 != "\n" })
    }

    /// Sends a signal (SIGKILL, SIGTERM, ...).
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the program to end and its output to be read; returns its termination status.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                self.readers.wait()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
