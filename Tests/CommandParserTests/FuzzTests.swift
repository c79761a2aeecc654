import LeadModel
import TestSupport
import Testing

@testable import CommandParser

@Suite struct FuzzTests {
    static let fragments: [String] = [
        "load", "show", "set", "attr", "unset", "unattr", "diff", "push", "discard", "queue", "sync", "retry",
        "drop", "conflicts", "resolve", "offline", "online", "status", "history", "source", "help", "quit", "exit",
        #"\q"#, "lod", "LOAD", "name", "email", "phone", "id", "user_id", "created_at", "unsubscribed_from_emails",
        "last_request_at", "custom_attributes.plan", "plan", "seats", "a.b", "$x", "a b", "'a b'", "\"a b\"",
        "id=", "user_id=", "email=", "=", "\"\"", "''", "5811f6bbe6b4704ddfa84ac0", "a/b", "mine", "theirs",
        "--dry-run", "--all", "--blind", "--as-script", "-", "--", "-5", "0", "9", "007", "-0", "1e3", "1.5E-3",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999999999999",
        "1e999", "NaN", "nan", "inf", "-Infinity", "true", "false", "null", "True", "{", "}", "[", "]", "{\"a\":1}",
        "[1,[2,[3]]]", "'", "\"", "\\", "#", "$", "${", "${X}", "$1", "${10}", "$HOME", "\u{FFFD}", "é", "日本",
        "\u{1B}[31m", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{202E}", "\t", "\r", "\n", " ", "  ",
    ]

    static let controls: [Unicode.Scalar] = ["\u{0}", "\u{1}", "\u{7}", "\u{8}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9B}", "\u{2028}", "\u{202E}", "\u{FEFF}"]

    static func randomLine(_ rng: inout SeededGenerator) -> String {
        var line = ""
        let count = Int.random(in: 0...6, using: &rng)
        for _ in 0..<count {
            if !line.isEmpty { line += Bool.random(using: &rng) ? " " : "" }
            switch Int.random(in: 0..<20, using: &rng) {
            case 0:
                let n = Int.random(in: 0...(Int.random(in: 0..<50, using: &rng) == 0 ? 20_000 : 300), using: &rng)
                line += String(repeating: Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &rng))), count: n)
            case 1:
                line += String((0..<Int.random(in: 1...60, using: &rng)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x30...0x39, using: &rng))) })
            case 2:
                let depth = Int.random(in: 1...200, using: &rng)
                line += String(repeating: "[{", count: depth)
            case 3:
                line.unicodeScalars.append(controls.randomElement(using: &rng)!)
            case 4:
                line += String(repeating: Bool.random(using: &rng) ? "\"" : "'", count: Int.random(in: 1...3, using: &rng))
            default:
                line += fragments.randomElement(using: &rng)!
            }
        }
        return line
    }

    static func mutate(_ line: String, _ rng: inout SeededGenerator) -> String {
        var scalars = Array(line.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let choice = Int.random(in: 0..<4, using: &rng)
            let position = Int.random(in: 0...scalars.count, using: &rng)
            switch choice {
            case 0 where !scalars.isEmpty: scalars.remove(at: min(position, scalars.count - 1))
            case 1: scalars.insert(controls.randomElement(using: &rng)!, at: position)
            case 2: scalars.insert(contentsOf: fragments.randomElement(using: &rng)!.unicodeScalars, at: position)
            default:
                let quote: Unicode.Scalar = ["'", "\"", "\\", "#", "$", "{", " "].randomElement(using: &rng)!
                scalars.insert(quote, at: position)
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    static let seedLines = CommandParserTests.valid.map(\.0) + CommandParserTests.usageErrors.map(\.0)

    static func expand(_ name: String) -> String? {
        switch name {
        case "1": return "5811f6bbe6b4704ddfa84ac0"
        case "X": return "{\"nested\": true}"
        case "HOME": return "/home/a b\n#x"
        default: return nil
        }
    }

    /// What is wrong with a rejection's message, or nil when it reads as one clean line.
    static func problem(with error: ParseError) -> String? {
        if error.message.isEmpty { return "empty message" }
        if let bad = error.description.unicodeScalars.first(where: Display.isUnsafe) {
            return "unprintable \(bad.codePointName) in \(error.description.debugDescription)"
        }
        if error.description.utf8.count > 1_000 { return "message of \(error.description.utf8.count) bytes" }
        return nil
    }

    /// Checks are gathered and reported once: `#expect` in a 40,000-step loop would dominate the run time.
    @Test func randomAndMutatedLinesNeverCrashAndRejectCleanly() throws {
        var rng = SeededGenerator(state: 0x1EAD_5EED)
        var rejected = 0
        var accepted = 0
        var failures: [String] = []
        let rounds = TestSize.pick(5_000, long: 20_000)
        for round in 0..<rounds {
            let line =
                round % 2 == 0
                ? Self.randomLine(&rng)
                : Self.mutate(Self.seedLines.randomElement(using: &rng)!, &rng)
            for expansion in line.contains("$") ? [nil, Self.expand] : [nil] {
                do throws(ParseError) {
                    guard let command = try CommandParser.parse(line, expand: expansion) else { continue }
                    accepted += 1
                    if (try? CommandParser.parse(command.description)) != command {
                        failures.append("\(line.debugDescription) -> \(command.description.debugDescription) does not parse back")
                    }
                } catch {
                    rejected += 1
                    if let problem = Self.problem(with: error) {
                        failures.append("\(line.prefix(100).debugDescription): \(problem)")
                    }
                }
            }
            let cursor = Int.random(in: -1...(line.unicodeScalars.count + 1), using: &rng)
            let completion = Completion.candidates(line: line, cursor: cursor, attributeNames: ["plan", "a b"])
            if completion.wordStart < 0 || completion.wordStart > line.unicodeScalars.count {
                failures.append("\(line.prefix(100).debugDescription): completion word starts at \(completion.wordStart)")
            }
        }
        #expect(failures.isEmpty, Comment(rawValue: failures.prefix(20).joined(separator: "\n")))
        #expect(rejected > rounds / 4)
        #expect(accepted > rounds / 40)
    }

    /// Two-megabyte lines are refused or split correctly (a quadratic scan would stall here).
    @Test func veryLongLinesAreHandled() throws {
        let megabytes = 2 << 20
        do {
            let long = String(repeating: "x", count: megabytes)
            #expect(throws: ParseError.self) { try CommandParser.parse("attr note " + long) }
            #expect(throws: ParseError.self) { try CommandParser.parse("set name \"" + long) }
            #expect(throws: ParseError.self) { try CommandParser.parse(long) }
            #expect(throws: ParseError.self) { try CommandParser.parse("load " + long) }
            #expect(throws: ParseError.self) { try CommandParser.parse("attr n " + String(repeating: "9", count: megabytes)) }
            #expect(throws: ParseError.self) { try CommandParser.parse("attr n 1." + String(repeating: "9", count: megabytes)) }
            #expect(throws: ParseError.self) { try CommandParser.parse("attr n " + String(repeating: "[", count: megabytes)) }
            #expect(throws: ParseError.self) { try CommandParser.parse("set name " + String(repeating: "a ", count: megabytes / 2)) }
            let escaped = String(repeating: #"\""#, count: megabytes / 2)
            #expect(try Tokenizer.split(#"""# + escaped + #"""#).first?.text.count == megabytes / 2)
            #expect(try Tokenizer.split(String(repeating: "'a'", count: megabytes / 3)).count == 1)
            #expect(try CommandParser.parse("# " + long) == nil)
            #expect(Completion.candidates(line: "attr " + long, attributeNames: []).candidates.isEmpty)
        }
    }
}
