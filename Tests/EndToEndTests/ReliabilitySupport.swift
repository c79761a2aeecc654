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

/// Runs a command line through `/bin/sh -c` (for `umask 000; exec leadsh ...`).
func shell(_ script: String, environment: [String: String], stdin: String? = nil) async throws -> ProcessResult {
    try await runProgram("/bin/sh", ["-c", script], environment: environment, stdin: stdin)
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
