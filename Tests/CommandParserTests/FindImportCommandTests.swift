import LeadModel
import Testing

@testable import CommandParser

@Suite struct FindImportCommandTests {
    static let valid: [(String, Command)] = [
        ("find email=obrien@truth.org", .find(.email("obrien@truth.org"))),
        ("find 'email=a b@x.example'", .find(.email("a b@x.example"))),
        ("leads", .leads(filter: nil, json: false)),
        ("leads brien", .leads(filter: "brien", json: false)),
        ("leads --json", .leads(filter: nil, json: true)),
        ("leads 'O Brien' --json", .leads(filter: "O Brien", json: true)),
        ("import leads.csv", .importFile(path: "leads.csv", dryRun: false, onError: nil)),
        ("import 'my leads.csv' --dry-run", .importFile(path: "my leads.csv", dryRun: true, onError: nil)),
        ("import leads.csv --on-error continue", .importFile(path: "leads.csv", dryRun: false, onError: .continue)),
        ("import --on-error=stop --dry-run leads.csv", .importFile(path: "leads.csv", dryRun: true, onError: .stop)),
        ("revert 12", .revert(from: 12, through: 12)),
        ("revert 3..7", .revert(from: 3, through: 7)),
        ("revert 5..5", .revert(from: 5, through: 5)),
        ("IMPORT x.csv", .importFile(path: "x.csv", dryRun: false, onError: nil)),
    ]

    @Test(arguments: valid)
    func parses(line: String, expected: Command) throws {
        #expect(try CommandParser.parse(line) == expected)
        #expect(try CommandParser.parse(expected.description) == expected, "\(expected.description)")
    }

    static let invalid: [(String, String)] = [
        ("find", "find needs at least one condition"),
        ("find obrien@truth.org", "\"obrien@truth.org\" is not a condition: write FIELD OPERATOR VALUE"),
        ("find email=", "\"email=\" has no value; email=null finds the leads without one"),
        ("leads a b", "leads: too many arguments (expected at most 1, got 2)"),
        ("leads --all", "leads has no option \"--all\""),
        ("import", "import: missing FILE"),
        ("import a.csv b.csv", "import: too many arguments"),
        ("import a.csv --on-error", "--on-error takes stop or continue"),
        ("import a.csv --on-error maybe", "--on-error takes stop or continue, not \"maybe\""),
        ("import a.csv --dryrun", "import has no option \"--dryrun\"; did you mean --dry-run?"),
        ("revert", "revert: missing SEQ"),
        ("revert 0", "SEQ must be a positive number, as shown by `queue`, not \"0\""),
        ("revert 7..3", "revert: the range 7..3 is backwards; write the lower number first (3..7)"),
        ("revert 3..", "SEQ must be a positive number"),
        ("revert 3...7", "SEQ must be a positive number"),
    ]

    @Test(arguments: invalid)
    func refused(line: String, message: String) throws {
        let error = try #require(parseError(line))
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }

    @Test func helpAndUsage() throws {
        #expect(CommandSpec.named("import")?.usage == "import FILE [--dry-run] [--on-error stop|continue]")
        #expect(CommandSpec.named("find")?.help.contains("example: find plan=trial signed_up_at<2026-06-01") == true)
        #expect(CommandSpec.named("revert")?.usage == "revert SEQ | revert SEQ..SEQ")
        #expect(CommandSpec.overview.contains("leads [FILTER] [--json]"))
        #expect(try CommandParser.parse("help import") == .help(topic: "import"))
        let line = CommandSpec.setHelp(in: .v2).split(separator: "\n").first { $0.contains("last_seen_at") }
        #expect(line?.contains(" time ") == true, "help set names time fields' kind: \(line ?? "")")
    }

    @Test func completion() {
        func complete(_ line: String) -> [String] {
            Completion.candidates(line: line, attributeNames: []).candidates
        }
        #expect(complete("fi") == ["find"])
        #expect(complete("find ") == ["email=", "user_id="])
        #expect(complete("leads ") == ["--json"])
        #expect(complete("import leads.csv ") == ["--dry-run", "--on-error"])
        #expect(complete("import leads.csv --on-error ") == ["continue", "stop"])
        #expect(complete("import leads.csv --dry-run --") == ["--on-error"])
        #expect(complete("revert ").isEmpty)
        #expect(complete("re").contains("revert") && complete("re").contains("retry"))
    }

    @Test("set takes ISO 8601 and now for time fields, and names the forms when it cannot read one")
    func timeValues() throws {
        #expect(try CommandParser.parse("set last_request_at 2026-12-01T10:00:00Z") == .set(field: "last_request_at", value: .integer(1_796_119_200)))
        #expect(try CommandParser.parse("set last_seen_at 2026-12-01", dialect: .v2) == .set(field: "last_seen_at", value: .integer(1_796_083_200)))
        let field = StandardField.named("last_request_at")!
        #expect(try Literal.fieldValue(Word("now"), for: field, now: 42) == .integer(42))
        let error = try #require(parseError("set last_request_at tomorrow"))
        #expect(error.message == "last_request_at takes a time: \"tomorrow\" is not a time: use \(TimeValue.acceptedForms)")
    }
}
