import ArgumentParser
import TestSupport
import Testing

@testable import LeadshApp

/// Every field of an invocation, as text, for comparing and for messages.
func dump(_ invocation: Invocation) -> [String] {
    let options = Mirror(reflecting: invocation.options).children.map { "\($0.label ?? "?")=\(String(describing: $0.value))" }
    return options + ["mode=\(invocation.mode)"]
}

/// What ArgumentParser makes of `arguments`, or nil when it refuses them or prints help.
func argumentParserInvocation(_ arguments: [String]) -> Invocation? {
    guard let parsed = try? LeadshCommand.parseAsRoot(arguments) else { return nil }
    return Leadsh.invocation(from: parsed)
}

/// The check: the quick reader declines, or reads exactly what ArgumentParser reads.
func expectSameAsArgumentParser(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let quick = QuickArguments.parse(arguments) else { return }
    guard let full = argumentParserInvocation(arguments) else {
        Issue.record("read \(arguments) that ArgumentParser refuses", sourceLocation: sourceLocation)
        return
    }
    #expect(dump(quick) == dump(full), "\(arguments)", sourceLocation: sourceLocation)
}

@Suite("Command lines read without ArgumentParser")
struct QuickArgumentsTests {
    /// The lines users type most: each must be read by the quick path, as ArgumentParser reads it.
    static let common: [[String]] = [
        [],
        ["-c", "quit"],
        ["--offline", "--journal", "/tmp/J.sqlite", "-c", "quit"],
        ["-c", "load 1", "-c", "attr plan gold", "-c", "push"],
        ["-c", ""],
        ["--base-url", "http://127.0.0.1:8080", "--journal", "j.sqlite", "-c", "status"],
        ["script.leadsh"],
        ["script.leadsh", "one", "two words", "3"],
        ["script.leadsh", "--offline", "arg"],
        ["--json", "--verbose", "--token-file", "token", "-c", "load 1"],
        ["--no-coalesce", "--offline", "--journal", "p2.sqlite", "--base-url", "http://127.0.0.1:9", "p2.leadsh"],
        ["--dry-run", "--on-error", "continue", "s.leadsh"],
        ["-w", "eu", "-c", "status"],
        ["--workspace", "eu", "--config", "c.toml", "--history", "h", "-c", "status"],
        ["--region", "eu", "--api-version", "2.11", "-c", "status"],
        ["--intercom-version", "1.4", "-c", "status"],
        ["--timeout", "2.5", "--wait", "0", "--limit", "3", "-c", "queue"],
        ["--timeout", "1e3", "--limit", "+5", "-c", "queue"],
        ["--ca-file", "ca.pem", "--proxy", "", "-c", "status"],
        ["--proxy", "http://user:pw@proxy:3128", "--sandbox", "-c", "status"],
        ["--blind", "--all", "-c", "queue"],
        ["-c", "set name \"O'Brien\"", "--offline", "-c", "push"],
        ["x=1", "--journal", "j"],
        ["-c", "sync", "-c", "queue", "--journal", "import"],
        ["--workspace", "help", "-c", "config"],
    ]

    /// Lines only ArgumentParser reads: help, version, subcommands, unusual forms, errors.
    static let declined: [[String]] = [
        ["--help"], ["-h"], ["--version"], ["help"], ["help", "sync"],
        ["sync"], ["queue", "--all"], ["import", "f.csv"], ["config"], ["workspaces"], ["run", "-c", "quit"],
        ["--journal", "j", "sync"], ["s.leadsh", "sync"], ["s.leadsh", "help"],
        ["--"], ["--", "-x.leadsh"], ["-"], ["-c", "-x"], ["-c"], ["--journal"],
        ["--journal=j", "-c", "quit"], ["-cquit"], ["-w=eu"], ["--bogus"], ["-x"], ["s.leadsh", "-x"],
        ["--journal", "a", "--journal", "b"], ["--offline", "--offline"], ["--api-version", "1.4", "--intercom-version", "1.4"],
        ["--timeout", "soon"], ["--limit", "2.5"], ["--wait", "-1"], ["--timeout", " 5"], [""],
    ]

    @Test("the common lines are read as ArgumentParser reads them", arguments: common)
    func commonLines(arguments: [String]) throws {
        let quick = try #require(QuickArguments.parse(arguments), "declined \(arguments)")
        let full = try #require(argumentParserInvocation(arguments), "ArgumentParser refuses \(arguments)")
        #expect(dump(quick) == dump(full))
    }

    @Test("GlobalOptions has one field for each option of LeadshOptions, under the same name (but -c, which the mode carries)")
    func sameFields() {
        let parsed = Mirror(reflecting: LeadshOptions()).children.compactMap { $0.label.map { String($0.dropFirst()) } }.filter { $0 != "c" }
        let plain = Mirror(reflecting: GlobalOptions()).children.compactMap(\.label)
        #expect(parsed == plain)
    }

    @Test("help, the version, subcommands, unusual forms and errors are left to ArgumentParser", arguments: declined)
    func declinedLines(arguments: [String]) {
        #expect(QuickArguments.parse(arguments) == nil, "\(arguments)")
    }

    @Test("generated lines: the quick reader declines or agrees with ArgumentParser")
    func generatedLines() {
        let words = [
            "-c", "-c", "quit", "status", "", "--offline", "--json", "--journal", "j.sqlite", "--base-url", "http://127.0.0.1:9",
            "--timeout", "2", "nan", "-1", "0x10", "--wait", "--limit", "7", "--on-error", "continue", "-w", "--workspace", "eu",
            "--proxy", "--ca-file", "--region", "--api-version", "--intercom-version", "2.7", "--dry-run", "--no-coalesce",
            "--blind", "--all", "--sandbox", "--verbose", "--token-file", "--config", "--history", "s.leadsh", "arg", "--", "-",
            "sync", "queue", "import", "help", "run", "--help", "-h", "--version", "--journal=j", "-x", "--bogus", "a b", "é",
            "--json=1", "-cquit",
        ]
        var random = SeededGenerator(state: 16)
        var read = 0
        // ArgumentParser reads each line in about 20 ms in a debug build: 200 lines by
        // default, 1,500 with LEADSH_LONG=1.
        let lines = TestSize.pick(200, long: 1_500)
        for _ in 0..<lines {
            let count = Int(random.next() % 7)
            let arguments = (0..<count).map { _ in words[Int(random.next() % UInt64(words.count))] }
            if QuickArguments.parse(arguments) != nil { read += 1 }
            expectSameAsArgumentParser(arguments)
        }
        #expect(read > lines / 15, "the generator reaches the quick path (\(read) of \(lines))")
    }
}
