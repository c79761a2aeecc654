import Foundation

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

/// Runs `leadsh` with the given arguments.
public func leadsh(_ arguments: [String], environment: [String: String], stdin: String? = nil, currentDirectory: String? = nil) async throws -> ProcessResult {
    try await runProduct("leadsh", arguments, environment: environment, stdin: stdin, currentDirectory: currentDirectory)
}

private func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        Thread {
            continuation.resume(returning: handle.readDataToEndOfFile())
        }.start()
    }
}

/// A built product running in the background: read its first output line, signal it, wait for it.
public final class RunningProduct: @unchecked Sendable {
    public let process = Process()
    private let out = Pipe()
    private let err = Pipe()

    public init(_ name: String, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: productsDirectory() + "/" + name)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The first line the program prints on stdout (read on its own thread).
    public func firstLine() async -> String {
        let handle = out.fileHandleForReading
        return await withCheckedContinuation { continuation in
            Thread {
                var bytes: [UInt8] = []
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }.start()
        }
    }

    /// Sends a signal (SIGKILL, SIGTERM, ...).
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the program to end (on a dispatch thread) and returns its exit status.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
