import FakeIntercom
import Foundation
import GRDB
import Journal
import LeadModel
import Synchronization
import TestSupport
import Testing

// Helpers for the reliability suite (issue #7): crash, fault, hostile-input and secrets tests.

/// An integer from the environment, for the long variants (`LEADSH_CRASH_ROUNDS=50 scripts/test`).
func environmentInt(_ name: String, default value: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? value
}

/// A seed from `LEADSH_SEED` when set (to replay a failing run), else a fresh one; always printed in failures.
func reliabilitySeed() -> UInt64 {
    ProcessInfo.processInfo.environment["LEADSH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
}

/// SplitMix64, seeded, so a failing run can be repeated with `LEADSH_SEED`.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `count` leads for the fake: copies of the first sample lead with their own ids.
func generatedLeads(_ count: Int) throws -> [Contact] {
    let sample = FakeIntercom.sampleLeads[0]
    return try (0..<count).map { n in
        var fields = sample.fields
        fields["id"] = .string(String(format: "6000%020x", n))
        fields["user_id"] = .string("user-\(n)")
        fields["email"] = .string("lead\(n)@example.com")
        fields["name"] = .string("Lead \(n)")
        return try Contact(fields: fields)
    }
}

/// Every sample lead's id.
let allSampleIDs = FakeIntercom.sampleLeads.map(\.id)

/// Runs SQL on a journal file through its own read-only connection (no leadsh code involved).
func sqlite<T: DatabaseValueConvertible>(_ path: String, _ sql: String, as type: T.Type = String.self) throws -> T? {
    var configuration = Configuration()
    configuration.readonly = true
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    defer { try? queue.close() }
    return try queue.read { db in try T.fetchOne(db, sql: sql) }
}

/// `PRAGMA integrity_check` of a journal: "ok" when SQLite finds nothing wrong.
func integrityCheck(_ path: String) throws -> String {
    try sqlite(path, "PRAGMA integrity_check") ?? "no answer"
}

/// A built product running in the background whose output can be read while it runs.
final class StreamingProduct: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private let stdoutBytes = Bytes()
    private let stderrBytes = Bytes()
    private let readers = DispatchGroup()

    init(_ command: [String], environment: [String: String], stdin: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        pump(out.fileHandleForReading, into: stdoutBytes)
        pump(err.fileHandleForReading, into: stderrBytes)
    }

    convenience init(leadsh arguments: [String], environment: [String: String]) throws {
        try self.init([productsDirectory() + "/leadsh"] + arguments, environment: environment)
    }

    final class Bytes: Sendable {
        let value = Mutex<[UInt8]>([])
    }

    private func pump(_ handle: FileHandle, into buffer: Bytes) {
        readers.enter()
        Thread { [readers] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.value.withLock { $0 += chunk }
            }
            readers.leave()
        }.start()
    }

    var stdout: String { String(decoding: stdoutBytes.value.withLock { $0 }, as: UTF8.self) }
    var stderr: String { String(decoding: stderrBytes.value.withLock { $0 }, as: UTF8.self) }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the program to end and its output to be read; returns its termination status.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                self.readers.wait()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    /// Waits (polling every 20 ms, up to `timeout`) until stdout satisfies `condition`.
    func waitForOutput(timeout: Duration = .seconds(20), _ condition: (String) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(stdout) { return true }
            if !process.isRunning { return condition(stdout) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

struct ShellResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a command line through `/bin/sh -c` (for `umask 000; exec leadsh ...`).
func shell(_ script: String, environment: [String: String], stdin: String? = nil) async throws -> ShellResult {
    let product = try StreamingProduct(["/bin/sh", "-c", script], environment: environment, stdin: stdin.map(stdinFile))
    let status = await product.wait()
    return ShellResult(status: status, stdout: product.stdout, stderr: product.stderr)
}

/// A file handle reading `text`, for a child's stdin.
private func stdinFile(_ text: String) -> FileHandle {
    let pipe = Pipe()
    let data = Data(text.utf8)
    Thread {
        pipe.fileHandleForWriting.write(data)
        try? pipe.fileHandleForWriting.close()
    }.start()
    return pipe.fileHandleForReading
}

/// Single-quotes a word for `/bin/sh`.
func shQuote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
}

/// The JSON documents of `--json` output, one per line; lines that are not JSON are skipped.
func jsonLines(_ text: String) -> [JSONObject] {
    text.split(separator: "\n").compactMap { line in (try? JSONText.parse(String(line)))?.objectValue }
}

/// Whether `needle` occurs in `haystack`, byte for byte.
func containsBytes(_ haystack: Data, _ needle: String) -> Bool {
    haystack.range(of: Data(needle.utf8)) != nil
}

/// A lead's fields of a journal row as the body would carry them: custom attribute `n`, if any.
extension JournalEntry {
    var n: Int64? { changes[.custom("n")]?.integerValue }
}
