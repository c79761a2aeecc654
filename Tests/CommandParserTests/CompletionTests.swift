import LeadModel
import Testing

@testable import CommandParser

@Suite struct CompletionTests {
    let attributes = ["plan", "seats", "paid_until", "Favourite Colour"]

    func complete(_ line: String, cursor: Int? = nil) -> (wordStart: Int, candidates: [String]) {
        Completion.candidates(line: line, cursor: cursor, attributeNames: attributes)
    }

    @Test func commandNames() {
        #expect(complete("lo") == (0, ["load"]))
        #expect(complete("") == (0, CommandSpec.completableNames))
        #expect(complete("  ex") == (2, ["exit", "export"]))
        #expect(complete("s").candidates == ["set", "show", "source", "status", "sync"])
        #expect(complete("LO").candidates == ["load"])
        #expect(complete("zz").candidates.isEmpty)
    }

    @Test func fieldNamesAfterSetUnsetShow() {
        #expect(complete("set na") == (4, ["name"]))
        #expect(complete("set ").candidates == StandardField.writableNames.sorted())
        #expect(complete("set i").candidates.isEmpty)
        #expect(complete("unset last_").candidates == ["last_request_at", "last_seen_ip", "last_seen_user_agent"])
        #expect(complete("show i").candidates == ["id"])
        #expect(complete("show p").candidates == ["paid_until", "phone", "plan", "pseudonym"])
        #expect(complete("set unsubscribed_from_emails t").candidates == ["true"])
    }

    @Test func attributeNamesAfterAttrAndUnattr() {
        #expect(complete("attr p") == (5, ["paid_until", "plan"]))
        #expect(complete("unattr se").candidates == ["seats"])
        #expect(complete("unattr F").candidates == ["'Favourite Colour'"])
        #expect(complete("unattr \"F") == (7, ["\"Favourite Colour\""]))
        #expect(complete("unattr 'F").candidates == ["'Favourite Colour'"])
    }

    @Test func resolveLoadAndFlags() {
        #expect(complete("resolve 12 m").candidates == ["mine"])
        #expect(complete("resolve 12 ").candidates == ["mine", "theirs"])
        #expect(complete("resolve ").candidates.isEmpty)
        #expect(complete("load u").candidates == ["user_id="])
        #expect(complete("load ").candidates == ["email=", "found", "user_id="])
        #expect(complete("push --").candidates == ["--dry-run"])
        #expect(complete("queue -").candidates == ["--all"])
        #expect(complete("sync ").candidates == ["--blind"])
        #expect(complete("history 5 --").candidates == ["--as-script"])
        #expect(complete("push --dry-run ").candidates.isEmpty)
        #expect(complete("help at").candidates == ["attr", "attributes"])
    }

    @Test("after find: FIELD= for searchable fields and custom attributes (2.x), tag=, role=, --limit; 1.x only its lookups")
    func findConditions() {
        func v2(_ line: String) -> [String] { Completion.candidates(line: line, attributeNames: attributes, dialect: .v2).candidates }
        #expect(v2("find pl") == ["plan="])
        #expect(v2("find plan=gold sig") == ["signed_up_at="], "every condition, not only the first")
        #expect(v2("find ta") == ["tag="])
        #expect(v2("find last_") == ["last_contacted_at=", "last_email_clicked_at=", "last_email_opened_at=", "last_replied_at=", "last_seen_at="])
        #expect(v2("find loc").isEmpty, "location is an object: location.city is typed out")
        #expect(v2("find --") == ["--limit"])
        #expect(v2("find --limit ").isEmpty)
        #expect(complete("find ").candidates == ["email=", "user_id="])
        #expect(complete("find plan=gold ").candidates.isEmpty)
    }

    @Test func cursorInTheMiddleOfTheLine() {
        #expect(complete("set na Alice", cursor: 6) == (4, ["name"]))
        #expect(complete("lo 5811", cursor: 2) == (0, ["load"]))
        #expect(complete("set naïve x", cursor: 7).wordStart == 4)
        #expect(complete("lo", cursor: 99) == (0, ["load"]))
        #expect(complete("lo", cursor: -1) == (0, CommandSpec.completableNames))
    }

    @Test func nothingInsideACommentOrAfterUnknownCommand() {
        #expect(complete("set name x # na").candidates.isEmpty)
        #expect(complete("frob na").candidates.isEmpty)
        #expect(complete("source ").candidates.isEmpty)
    }

    @Test func nonASCIIOffsetsCountScalars() {
        #expect(complete("attr é").wordStart == 5)
        #expect(complete("show 日本 p").wordStart == 8)
    }
}
