import FakeIntercom
import Foundation
import Journal
import LeadModel
import TestSupport
import Testing

/// Hostile input through the whole program (script file -> line reader -> parser -> session ->
/// journal), not only the parser: thousands of generated and mutated lines, raw bytes included.
///
/// `LEADSH_FUZZ_LINES` sets how many generated lines run (default 2000); `LEADSH_SEED` replays a run.
@Suite("Hostile input through the session")
struct HostileInputTests {
    /// Lines that must each be refused with a clear error, leaving nothing to push.
    static let mustReject: [[UInt8]] = {
        var lines: [[UInt8]] = [
            "attr prefs [1,2]", "attr prefs {\"a\":1}", "attr deep " + String(repeating: "[", count: 10_000),
            "attr deep " + String(repeating: "{\"a\":", count: 5_000) + "1" + String(repeating: "}", count: 5_000),
            "attr n 1e999", "attr n -1e999", "attr n 1e400",
            "attr n 99999999999999999999999999999", "attr n -9223372036854775809", "attr n 9223372036854775808",
            "attr n " + String(repeating: "9", count: 100_000), "attr n 1." + String(repeating: "5", count: 100_000),
            "attr big " + String(repeating: "x", count: 70_000), "attr big \"" + String(repeating: "y ", count: 40_000) + "\"",
            "set name " + String(repeating: "z", count: 70_000), "attr a.b 1", "attr $x 1", "attr \"a b\" 1", "attr '' 1",
            "attr \"\" x", "attr custom_attributes.a.b 1", "attr name x", "attr " + String(repeating: "k", count: 300) + " 1",
            "attr a\u{1B}[31m 1", "attr a\u{7} 1", "attr a/b 1", "set id abc", "set created_at 5",
            "set unsubscribed_from_emails maybe", "set no_such_field 1", "attr x \"unbalanced", "attr x 'unbalanced",
            "attr x \\", "set name \"a", "load ''", "load \"   \"", "load user_id=", "load email=x@y.z", "load", "attr",
            "attr x", "set", "set name", "unattr", "unattr a.b", "retry 99999999999999999999", "drop -1", "retry abc",
            "resolve 1 maybe", "frobnicate", "\u{7F}", "attr \u{202E}x 1",
        ].map { Array($0.utf8) }
        // Bytes that are not UTF-8: a lone Latin-1 byte, a cut sequence, an overlong NUL, a surrogate, 0xFF.
        for bad: [UInt8] in [[0xFC], [0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF, 0xFE], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
            lines.append(Array("attr city Z".utf8) + bad + Array("rich".utf8))
            lines.append(Array("set name ".utf8) + bad)
            lines.append(Array("attr ".utf8) + bad + Array(" 1".utf8))
        }
        lines.append(Array("attr nul a".utf8) + [0] + Array("b".utf8))
        lines.append(Array("set name x".utf8) + [0])
        return lines
    }()

    static let names = ["plan", "seats", "note", "a-b", "é", "日本", "€uro", "a.b", "$x", "a b", "", "name", "x\u{0}", "custom_attributes.q"]
    static let values = [
        "1", "-0", "007", "1.5", "1e3", "true", "null", "\"9\"", "'quoted words'", "word", "9223372036854775807",
        "9223372036854775808", "1e999", "NaN", "inf", "-Infinity", "[1]", "{}", "\"[1]\"", "'{\"a\":1}'", "\"\"", "\\$HOME",
        "$HOME", "${1}", "\u{FEFF}", "\u{202E}evil", "a\\ b", "\"unbalanced", "'", "\\",
    ]

    /// One generated line: an edit with hostile parts, a push, or random bytes.
    static func generatedLine(_ rng: inout SeededGenerator) -> [UInt8] {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            // Raw bytes, newline excluded.
            return (0..<Int.random(in: 0...80, using: &rng)).map { _ in
                let b = UInt8.random(in: 0...255, using: &rng)
                return b == 0x0A ? 0x20 : b
            }
        case 1:
            return Array("push".utf8)
        case 4:
            let long = String(repeating: ["x", "9", "[", "\"", "é"].randomElement(using: &rng)!, count: Int.random(in: 1_000...80_000, using: &rng))
            return Array("attr long \(long)".utf8)
        case 5:
            let field = ["name", "email", "phone", "last_seen_ip", "unsubscribed_from_emails", "id", "created_at"].randomElement(using: &rng)!
            return Array("set \(field) \(values.randomElement(using: &rng)!)".utf8)
        case 6:
            let verb = [
                "show", "diff", "discard", "queue", "status", "help attr", "unattr plan", "unset phone", "retry 1", "drop 2", "conflicts",
                "load 5811f6bbe6b4704ddfa84ac0",
            ]
            return Array(verb.randomElement(using: &rng)!.utf8)
        default:
            var line = Array("attr \(names.randomElement(using: &rng)!) \(values.randomElement(using: &rng)!)".utf8)
            // Mutate: insert quotes, controls, a stray byte, or cut it short.
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                let at = Int.random(in: 0...line.count, using: &rng)
                let insert: [UInt8] = [[0x22], [0x27], [0x5C], [0x1B], [0x00], [0x80], [0xC3], [0x24], [0x23], [0x7B], [0x20]].randomElement(using: &rng)!
                line.insert(contentsOf: insert, at: at)
            }
            return line
        }
    }

    @Test("thousands of generated, mutated and raw-byte lines: no crash, a clear error for each refusal, only valid flat values journaled and sent")
    func hostileLines() async throws {
        let seed = reliabilitySeed()
        var rng = SeededGenerator(state: seed)
        let seedNote = "LEADSH_SEED=\(seed)"
        let context = Comment(rawValue: seedNote)
        let count = environmentInt("LEADSH_FUZZ_LINES", default: TestSize.pick(400, long: 2_000))
        try await withRig { rig in
            #expect(try await rig.run(["load \(obrien)"]).status == 0)

            // The script: the lead loaded, then the must-reject lines each followed by `push`
            // (which must find nothing to push), then the generated lines.
            var lines: [[UInt8]] = [Array("load \(obrien)".utf8)]
            var rejectAt: [Int: [UInt8]] = [:]
            for line in Self.mustReject {
                lines.append(line)
                rejectAt[lines.count] = line
                lines.append(Array("push".utf8))
            }
            for _ in 0..<count { lines.append(Self.generatedLine(&rng)) }
            lines.append(Array("discard".utf8))
            let script = rig.home.write("hostile.leadsh", Array(lines.joined(separator: [0x0A])) + [0x0A])

            let run = try await leadsh(rig.args + ["--offline", "--no-coalesce", "--json", "--on-error", "continue", script], environment: rig.env)
            #expect(run.status == 1, "a run with refusals exits 1 (not a crash): \(run.status) \(run.stderr.suffix(2_000)) [\(seedNote)]")

            // Every diagnostic is one JSON error with a code, a line number and a short clean message.
            var errorsByLine: [Int: JSONObject] = [:]
            for text in run.stderr.split(separator: "\n") {
                guard let doc = try? JSONText.parse(String(text)).objectValue else {
                    Issue.record("stderr line is not JSON: \(text.prefix(300)) [\(seedNote)]")
                    continue
                }
                if doc["notice"] != nil { continue }
                guard let error = doc["error"]?.objectValue, let message = error["message"]?.stringValue,
                    let code = error["code"]?.stringValue, let line = error["line"]?.integerValue
                else {
                    Issue.record("not an error document: \(text.prefix(300)) [\(seedNote)]")
                    continue
                }
                errorsByLine[Int(line)] = error
                #expect(!message.isEmpty && !code.isEmpty, context)
                #expect(message.utf8.count < 1_000, "message of \(message.utf8.count) bytes on line \(line) [\(seedNote)]")
                let unsafe = message.unicodeScalars.first { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" }
                #expect(
                    unsafe == nil,
                    "line \(line): the message carries \(unsafe.map { String($0.value, radix: 16) } ?? "") raw: \(message.debugDescription) [\(seedNote)]")
            }
            for (line, bytes) in rejectAt.sorted(by: { $0.key < $1.key }) {
                let shown = String(decoding: bytes.prefix(80), as: UTF8.self).debugDescription
                #expect(errorsByLine[line] != nil, "line \(line) was accepted: \(shown) [\(seedNote)]")
                #expect(errorsByLine[line + 1]?["code"]?.stringValue == "nothing_to_push", "line \(line) left something to push: \(shown) [\(seedNote)]")
            }
            #expect(errorsByLine.count > count / 10, context)

            // Exactly the acknowledged pushes are journaled, and each holds only valid flat values.
            let acknowledged = jsonLines(run.stdout).filter { $0["op_id"] != nil }
            let journal = try Journal(path: rig.journal)
            let rows = try journal.entries(all: true, limit: 1_000_000)
            journal.close()
            #expect(Set(rows.map(\.opID)) == Set(acknowledged.compactMap { $0["op_id"]?.stringValue }), context)
            #expect(rows.count > 5, "some generated edits are valid and pushed [\(seedNote)]")
            for row in rows {
                for (key, value) in row.changes {
                    if case .custom(let name) = key {
                        #expect(CustomAttributeRules.problem(withName: name) == nil, "journaled name \(name.debugDescription) [\(seedNote)]")
                    }
                    #expect(CustomAttributeRules.problem(withValue: value) == nil, "journaled \(key): \(JSONText.serialize(value).prefix(80)) [\(seedNote)]")
                    if case .string(let s) = value {
                        #expect(!s.unicodeScalars.contains("\u{FFFD}"), "bytes that are not UTF-8 were journaled as U+FFFD in \(key) [\(seedNote)]")
                    }
                }
            }
            #expect(try integrityCheck(rig.journal) == "ok")

            // Sending it all delivers only flat, bounded values.
            let sync = try await leadsh(rig.args + ["sync", "--wait", "5"], environment: rig.env)
            #expect(sync.status == 0 || sync.status == 5, "\(sync.stderr.suffix(1_000)) [\(seedNote)]")
            for post in rig.posts {
                for (name, value) in post.bodyJSON?["custom_attributes"]?.objectValue ?? JSONObject() {
                    #expect(CustomAttributeRules.problem(withName: name) == nil, context)
                    #expect(CustomAttributeRules.problem(withValue: value) == nil, context)
                }
            }
        }
    }

    @Test("lines piped to stdin: bytes that are not UTF-8, NUL and a 1 MB line are refused cleanly; the rest runs")
    func stdinBytes() async throws {
        try await withRig { rig in
            #expect(try await rig.run(["load \(obrien)"]).status == 0)
            var input: [UInt8] = Array("load \(obrien)\n".utf8)
            input += Array("attr city Z".utf8) + [0xFC] + Array("rich\n".utf8)
            input += Array("attr note ".utf8) + Array(repeating: UInt8(ascii: "q"), count: 1 << 20) + [0x0A]
            input += Array("attr nul a".utf8) + [0] + Array("b\n".utf8)
            input += Array("attr plan ok\npush\n".utf8)
            let path = rig.home.write("stdin.bin", input)
            let run = try await shell(
                "exec \(shQuote(productsDirectory() + "/leadsh")) \(rig.args.map(shQuote).joined(separator: " ")) --offline --on-error continue < \(shQuote(path))",
                environment: rig.env)
            #expect(run.status == 1, "\(run.stderr.prefix(1_000))")
            #expect(run.stderr.contains("stdin:2:"), "\(run.stderr.prefix(1_000))")
            #expect(run.stderr.contains("stdin:3:"))
            #expect(run.stderr.contains("stdin:4:"))
            #expect(run.stderr.utf8.count < 10_000, "errors do not echo megabytes back")
            #expect(run.stdout.contains("queued (offline), 1 pending #1"))
            let journal = try Journal(path: rig.journal)
            defer { journal.close() }
            let rows = try journal.entries(all: true)
            #expect(rows.count == 1)
            #expect(rows.first?.changes.keys.map(\.description) == ["custom_attributes.plan"])
        }
    }
}
