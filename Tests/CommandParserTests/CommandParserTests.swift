import LeadModel
import Testing

@testable import CommandParser

/// The error a line gives, or nil when it parses.
func parseError(_ line: String) -> ParseError? {
    do {
        _ = try CommandParser.parse(line)
        return nil
    } catch {
        return error
    }
}

@Suite struct CommandParserTests {
    static let valid: [(String, Command)] = [
        ("load 5811f6bbe6b4704ddfa84ac0", .load(.id("5811f6bbe6b4704ddfa84ac0"))),
        ("load id=5811f6bbe6b4704ddfa84ac0", .load(.id("5811f6bbe6b4704ddfa84ac0"))),
        ("load user_id=25", .load(.userID("25"))),
        ("load 'user_id=a b/c'", .load(.userID("a b/c"))),
        ("load email=ann@example.com", .load(.email("ann@example.com"))),
        ("show", .show(field: nil)),
        ("show email", .show(field: "email")),
        ("show plan", .show(field: "plan")),
        ("show custom_attributes.plan", .show(field: "custom_attributes.plan")),
        ("show --all", .show(field: nil, all: true)),
        (#"set name "O'Brien""#, .set(field: "name", value: .string("O'Brien"))),
        ("set phone 0035387", .set(field: "phone", value: .string("0035387"))),
        ("set unsubscribed_from_emails true", .set(field: "unsubscribed_from_emails", value: .bool(true))),
        ("set last_request_at 1700000000", .set(field: "last_request_at", value: .integer(1_700_000_000))),
        ("attr seats 9", .attr(name: "seats", value: .integer(9))),
        (#"attr seats "9""#, .attr(name: "seats", value: .string("9"))),
        ("attr ratio 0.25", .attr(name: "ratio", value: .double(0.25))),
        ("attr vip false", .attr(name: "vip", value: .bool(false))),
        ("attr plan null", .attr(name: "plan", value: .null)),
        ("attr plan pro", .attr(name: "plan", value: .string("pro"))),
        ("attr note '{\"a\":1}'", .attr(name: "note", value: .string("{\"a\":1}"))),
        ("attr custom_attributes.plan pro", .attr(name: "plan", value: .string("pro"))),
        ("attr delta -5", .attr(name: "delta", value: .integer(-5))),
        ("attr flag --dry-run", .attr(name: "flag", value: .string("--dry-run"))),
        ("unset phone", .unset(field: "phone")),
        ("unattr plan", .unattr(name: "plan")),
        ("diff", .diff),
        ("push", .push(dryRun: false)),
        ("push --dry-run", .push(dryRun: true)),
        ("discard", .discard),
        ("queue", .queue(all: false)),
        ("queue --all", .queue(all: true)),
        ("queue 5", .queue(all: false, limit: 5)),
        ("queue --all 20", .queue(all: true, limit: 20)),
        ("sync", .sync(blind: false)),
        ("sync --blind", .sync(blind: true)),
        ("retry 12", .retry(seq: 12)),
        ("drop 3", .drop(seq: 3)),
        ("conflicts", .conflicts),
        ("resolve 12 mine", .resolve(seq: 12, .mine)),
        ("resolve 7 theirs", .resolve(seq: 7, .theirs)),
        ("offline", .offline),
        ("online", .online),
        ("status", .status),
        ("history", .history(count: nil, asScript: false)),
        ("history 20", .history(count: 20, asScript: false)),
        ("history --as-script", .history(count: nil, asScript: true)),
        ("history --as-script 5", .history(count: 5, asScript: true)),
        ("source edits.leadsh", .source(path: "edits.leadsh")),
        ("source 'my edits.leadsh'", .source(path: "my edits.leadsh")),
        ("source retag.leadsh gold 'two words'", .source(path: "retag.leadsh", arguments: ["gold", "two words"])),
        ("help", .help(topic: nil)),
        ("help attr", .help(topic: "attr")),
        ("help EXIT", .help(topic: "quit")),
        ("quit", .quit),
        ("exit", .quit),
        (#"\q"#, .quit),
        (#"  \q  # bye"#, .quit),
        ("LOAD abc", .load(.id("abc"))),
        ("Push --dry-run", .push(dryRun: true)),
        ("set name x # trailing comment", .set(field: "name", value: .string("x"))),
    ]

    @Test(arguments: valid)
    func parses(line: String, expected: Command) throws {
        #expect(try CommandParser.parse(line) == expected)
    }

    @Test(arguments: valid)
    func descriptionParsesBack(line: String, expected: Command) throws {
        #expect(try CommandParser.parse(expected.description) == expected)
    }

    @Test func blankAndCommentLinesAreNil() throws {
        #expect(try CommandParser.parse("") == nil)
        #expect(try CommandParser.parse("   ") == nil)
        #expect(try CommandParser.parse("# just a note") == nil)
        #expect(try CommandParser.parse(words: []) == nil)
    }

    static let usageErrors: [(String, String)] = [
        ("load", "load ID | load user_id=UID | load external_id=UID | load email=EMAIL | load found"),
        ("load a b", "load ID | load user_id=UID | load external_id=UID | load email=EMAIL | load found"),
        ("load phone=1", "load ID | load user_id=UID | load external_id=UID | load email=EMAIL | load found"),
        ("show a b", "show [FIELD | --all]"),
        ("set", "set FIELD VALUE"),
        ("set name", "set FIELD VALUE"),
        ("set name O Brien", "set FIELD VALUE"),
        ("attr", "attr NAME VALUE"),
        ("attr seats", "attr NAME VALUE"),
        ("attr seats 9 10", "attr NAME VALUE"),
        ("unset", "unset FIELD"),
        ("unset phone name", "unset FIELD"),
        ("unattr", "unattr NAME"),
        ("unattr a b", "unattr NAME"),
        ("diff now", "diff"),
        ("push --dryrun", "push [--dry-run]"),
        ("push now", "push [--dry-run]"),
        ("discard all", "discard"),
        ("queue --al", "queue [--all] [N]"),
        ("queue 0", "queue [--all] [N]"),
        ("queue 5 6", "queue [--all] [N]"),
        ("sync --force", "sync [--blind]"),
        ("retry", "retry SEQ"),
        ("retry 0", "retry SEQ"),
        ("retry -3", "retry SEQ"),
        ("retry abc", "retry SEQ"),
        ("retry 99999999999999999999999", "retry SEQ"),
        ("drop 1 2", "drop SEQ"),
        ("conflicts 1", "conflicts"),
        ("resolve 12", "resolve SEQ mine|theirs"),
        ("resolve 12 ours", "resolve SEQ mine|theirs"),
        ("resolve x mine", "resolve SEQ mine|theirs"),
        ("offline now", "offline"),
        ("online --x", "online"),
        ("status -v", "status"),
        ("history 0", "history [N] [--as-script]"),
        ("history 1 2", "history [N] [--as-script]"),
        ("history --script", "history [N] [--as-script]"),
        ("source", "source FILE [ARGS...]"),
        ("help a b", "help [COMMAND]"),
        ("quit now", "quit"),
        ("exit 1", "quit"),
    ]

    @Test(arguments: usageErrors)
    func wrongArgumentsGiveTheUsage(line: String, usage: String) throws {
        let error = try #require(parseError(line))
        #expect(error.usage == usage)
        #expect(!error.message.isEmpty)
        #expect(error.description.contains("usage: \(usage)"))
    }

    @Test func argumentCountMessagesNameWhatIsMissing() {
        #expect(parseError("attr seats")?.message == "attr: missing VALUE")
        #expect(parseError("attr")?.message == "attr: missing NAME and VALUE")
        #expect(parseError("resolve")?.message == "resolve: missing SEQ and mine|theirs")
        #expect(parseError("set name O Brien")?.message.contains("quote a value that contains spaces") == true)
        #expect(parseError("diff x")?.message == "diff takes no arguments")
        #expect(parseError("push --dryrun")?.suggestion == "--dry-run")
        #expect(parseError("retry x")?.message.contains("SEQ must be a positive number, as shown by `queue`") == true)
    }

    @Test func commandWordIsCaseInsensitiveButErrorsKeepItsSpelling() {
        #expect(parseError("ATTR seats")?.message == "ATTR: missing VALUE")
        #expect(parseError("LOD x")?.message == #"unknown command "LOD"; did you mean "load"? (type help for the list)"#)
    }

    @Test func unknownCommandSuggestsTheNearestName() throws {
        let error = try #require(parseError("lod 5811f6bbe6b4704ddfa84ac0"))
        #expect(error.message == #"unknown command "lod"; did you mean "load"? (type help for the list)"#)
        #expect(error.suggestion == "load")
        #expect(error.usage == nil)
        #expect(parseError("stauts")?.suggestion == "status")
        #expect(parseError("qiut")?.suggestion == "quit")
        #expect(parseError("hist")?.suggestion == "history")
        #expect(parseError("unatr x")?.suggestion == "unattr")
        let far = try #require(parseError("xyzzy"))
        #expect(far.suggestion == nil)
        #expect(far.message == #"unknown command "xyzzy" (type help for the list)"#)
    }

    @Test func readOnlyFieldsAreRefusedWithTheirReason() {
        #expect(parseError("set id abc")?.message == "id is read-only: it is the identifier Intercom assigned")
        #expect(parseError("set created_at 5")?.message == "created_at is read-only: Intercom sets it when the lead is created")
        #expect(parseError("unset user_id")?.message.hasPrefix("user_id is read-only: ") == true)
        #expect(parseError("set custom_attributes x")?.message.contains("attr NAME VALUE") == true)
    }

    @Test func unknownFieldsSuggestAFieldAndPointToAttr() throws {
        let typo = try #require(parseError("set nmae Alice"))
        #expect(typo.suggestion == "name")
        #expect(typo.message.contains(#"did you mean "name"?"#))
        #expect(typo.message.contains("attr nmae VALUE"))
        let custom = try #require(parseError("set plan pro"))
        #expect(custom.suggestion == nil)
        #expect(custom.message.contains("use `attr plan VALUE`"))
        #expect(parseError("set 'a b' pro")?.message.contains("use `attr NAME VALUE`") == true)
        #expect(parseError("set custom_attributes.plan pro")?.message.contains("attr plan VALUE") == true)
        #expect(parseError("unset plan")?.message.contains("use `unattr plan`") == true)
        #expect(parseError("unset custom_attributes.plan")?.message.contains("unattr plan") == true)
    }

    @Test func attributeNamesAreChecked() {
        #expect(parseError("attr name Alice")?.message.contains("standard field") == true)
        #expect(parseError("unattr email")?.message == "email is a standard field, not a custom attribute (use `unset email`)")
        #expect(parseError("attr 'a b' 1") != nil)
        #expect(parseError("attr a.b 1") != nil)
        #expect(parseError("attr $x 1") != nil)
        #expect(parseError("attr '' 1") != nil)
        #expect(parseError("attr a\u{1B}b 1")?.message.contains("U+001B") == true)
        #expect(parseError("attr seats {1}")?.message.contains("nested") == true)
        #expect(parseError(#"attr labels ["a","b"]"#)?.message.contains("nested") == true)
        #expect(parseError(#"set name {"first":"Ann"}"#)?.message.contains("nested") == true)
    }

    @Test func identifiersAreChecked() {
        #expect(parseError(#"load """#)?.message == "an id cannot be empty")
        #expect(parseError("load id=")?.message == "an id cannot be empty")
        #expect(parseError("load user_id=")?.message == "a user_id cannot be empty")
        #expect(parseError("load email=")?.message == "an email cannot be empty")
        #expect(parseError("load a/b")?.message.contains("not a valid Intercom id") == true)
        #expect(parseError("load 'a b'")?.message.contains("not a valid Intercom id") == true)
        #expect(parseError("load a\u{1B}b")?.message.contains("U+001B") == true)
        #expect(parseError("load user_id=a\u{7}b")?.message.contains("U+0007") == true)
        #expect(parseError("load " + String(repeating: "a", count: 300))?.message.contains("not a valid Intercom id") == true)
        #expect(parseError("load usr_id=1")?.suggestion == "user_id=")
        #expect(parseError("show a\u{1B}b")?.message.contains("U+001B") == true)
        #expect(parseError("source ''")?.message == "a file name cannot be empty")
    }

    @Test func helpTopicsAreCommands() throws {
        #expect(parseError("help lod")?.suggestion == "load")
        #expect(try CommandParser.parse(#"help '\q'"#) == .help(topic: "quit"))
        #expect(parseError(#"help \q"#)?.suggestion == #"\q"#)
    }

    @Test func messagesShortenLongTextAndNameControlCharacters() throws {
        let long = try #require(parseError(String(repeating: "z", count: 100_000)))
        #expect(long.message.count < 120)
        let control = try #require(parseError("lo\u{1B}[Ad"))
        #expect(control.message.contains("U+001B"))
        #expect(!control.message.unicodeScalars.contains("\u{1B}"))
    }

    @Test func nearestUsesDamerauDistance() {
        let names = ["load", "show", "set", "attr", "status"]
        #expect(CommandParser.nearest(to: "lod", among: names) == "load")
        #expect(CommandParser.nearest(to: "laod", among: names) == "load")
        #expect(CommandParser.nearest(to: "SHWO", among: names) == "show")
        #expect(CommandParser.nearest(to: "stat", among: names) == "status")
        #expect(CommandParser.nearest(to: "zzzzz", among: names) == nil)
        #expect(CommandParser.nearest(to: "", among: names) == nil)
        #expect(CommandParser.nearest(to: String(repeating: "load", count: 100), among: names) == nil)
    }
}

@Suite struct CommandSpecTests {
    @Test func everyCommandHasOneSpecWithSummaryAndExample() throws {
        #expect(Set(CommandSpec.all.map(\.name)).count == CommandSpec.all.count)
        #expect(Set(CommandSpec.all.map(\.verb)) == Set(Verb.allCases))
        for spec in CommandSpec.all {
            #expect(!spec.summary.isEmpty && !spec.summary.contains("\n"))
            #expect(spec.usage.hasPrefix(spec.name))
            // The examples show 2.x, the default dialect.
            let example = try #require(try CommandParser.parse(spec.example, dialect: .v2), "example of \(spec.name)")
            #expect(example.spec.name == spec.name)
            #expect(spec.help.contains(spec.example))
            #expect(CommandSpec.overview.contains(spec.summary))
        }
    }

    @Test func namedFindsAliasesInAnyCase() {
        #expect(CommandSpec.named("EXIT")?.name == "quit")
        #expect(CommandSpec.named(#"\q"#)?.name == "quit")
        #expect(CommandSpec.named("nope") == nil)
    }
}

@Suite("The parser and completion follow the API dialect")
struct DialectParsingTests {
    @Test("set takes the dialect's fields and refuses the other's with its equivalent")
    func setByDialect() throws {
        #expect(try CommandParser.parse("set last_seen_at 1700000000", dialect: .v2) == .set(field: "last_seen_at", value: 1_700_000_000))
        #expect(try CommandParser.parse("set owner_id 42", dialect: .v2) == .set(field: "owner_id", value: 42))
        #expect(throws: ParseError.self) { try CommandParser.parse("set owner_id abc", dialect: .v2) }
        do {
            _ = try CommandParser.parse("set last_request_at 1", dialect: .v2)
            Issue.record("a 1.x field was accepted under 2.x")
        } catch {
            #expect(error.description.contains("in 2.x use last_seen_at"), "\(error.description)")
        }
        do {
            _ = try CommandParser.parse("set external_id x", dialect: .v1)
            Issue.record("a 2.x field was accepted under 1.x")
        } catch {
            #expect(error.description.contains("external_id is a 2.x field"), "\(error.description)")
        }
        #expect(try CommandParser.parse("load external_id=abc") == .load(.userID("abc")))
        #expect(try CommandParser.parse("attributes") == .attributes)
    }

    @Test("Tab offers the dialect's fields and load keys")
    func completionByDialect() {
        let v2 = Completion.candidates(line: "set last_", attributeNames: [], dialect: .v2).candidates
        #expect(v2 == ["last_seen_at"])
        let v1 = Completion.candidates(line: "set last_", attributeNames: [], dialect: .v1).candidates
        #expect(v1 == ["last_request_at", "last_seen_ip", "last_seen_user_agent"])
        #expect(Completion.candidates(line: "load ", attributeNames: [], dialect: .v2).candidates == ["email=", "external_id=", "found"])
    }
}

@Suite("Parsing and completing tags, notes and merges")
struct OutboxKindsParsingTests {
    @Test("tag, untag, note, notes, tags and merge parse and read back; bad forms name the fix")
    func parse() throws {
        #expect(try CommandParser.parse("tag vip 'big deal'") == .tag(names: ["vip", "big deal"], add: true))
        #expect(try CommandParser.parse("untag trial") == .tag(names: ["trial"], add: false))
        #expect(try CommandParser.parse("note Called, wants a demo") == .note("Called, wants a demo"))
        #expect(try CommandParser.parse("merge into 5811f80ae6b4704ddfa84ae7") == .merge(into: LeadReference(id: "5811f80ae6b4704ddfa84ae7"), dryRun: false))
        #expect(try CommandParser.parse("merge into external_id=u-1 --dry-run") == .merge(into: LeadReference(userID: "u-1"), dryRun: true))
        for line in ["tag vip 'big deal'", "note 'Called & left'", "merge into external_id=u-1 --dry-run", "untag trial"] {
            let command = try #require(try CommandParser.parse(line))
            #expect(try CommandParser.parse(command.description) == command, "\(line) reads back")
        }
        #expect(throws: ParseError.self) { try CommandParser.parse("tag") }
        #expect(throws: ParseError.self) { try CommandParser.parse("merge onto 123") }
        #expect(throws: ParseError.self) { try CommandParser.parse("merge into external_id=") }
    }

    @Test("Tab offers the workspace's tags after tag, untag and find tag=, and `into` after merge")
    func completion() {
        let tags = { ["beta", "VIP", "vip-gold"] }
        #expect(Completion.candidates(line: "tag v", attributeNames: [], dialect: .v2, tagNames: tags).candidates == ["VIP", "vip-gold"])
        #expect(Completion.candidates(line: "untag b", attributeNames: [], dialect: .v1, tagNames: tags).candidates == ["beta"])
        #expect(Completion.candidates(line: "find tag=v", attributeNames: [], dialect: .v2, tagNames: tags).candidates == ["tag=VIP", "tag=vip-gold"])
        #expect(Completion.candidates(line: "merge ", attributeNames: [], dialect: .v2).candidates == ["into"])
    }
}
