import LeadModel
import Testing

@testable import CommandParser

@Suite struct LiteralTests {
    static let typed: [(Word, JSONValue)] = [
        (Word("9"), .integer(9)),
        (Word("9", quoted: true), .string("9")),
        (Word("-12"), .integer(-12)),
        (Word("0"), .integer(0)),
        (Word("9223372036854775807"), .integer(.max)),
        (Word("-9223372036854775808"), .integer(.min)),
        (Word("9.0"), .double(9.0)),
        (Word("155.5"), .double(155.5)),
        (Word("-0.5"), .double(-0.5)),
        (Word("1e3"), .double(1000)),
        (Word("1.5E-3"), .double(0.0015)),
        (Word("2E+2"), .double(200)),
        (Word("true"), .bool(true)),
        (Word("false"), .bool(false)),
        (Word("true", quoted: true), .string("true")),
        (Word("True"), .string("True")),
        (Word("null"), .null),
        (Word("null", quoted: true), .string("null")),
        (Word("pro"), .string("pro")),
        (Word(""), .string("")),
        (Word("007"), .string("007")),
        (Word("-01"), .string("-01")),
        (Word("+5"), .string("+5")),
        (Word(".5"), .string(".5")),
        (Word("5."), .string("5.")),
        (Word("1e"), .string("1e")),
        (Word("0x1F"), .string("0x1F")),
        (Word("nan"), .string("nan")),
        (Word("NaN"), .string("NaN")),
        (Word("inf"), .string("inf")),
        (Word("-Infinity"), .string("-Infinity")),
        (Word("{\"a\":1}", quoted: true), .string("{\"a\":1}")),
        (Word("[1,2]", quoted: true), .string("[1,2]")),
        (Word("a{b}"), .string("a{b}")),
    ]

    @Test(arguments: typed)
    func attributeValuesAreTyped(word: Word, expected: JSONValue) throws {
        #expect(try Literal.attributeValue(word) == expected)
    }

    @Test(arguments: ["{\"a\":1}", "[1,2]", "{", "[]"])
    func bareNestedValuesAreRefused(text: String) {
        #expect {
            try Literal.attributeValue(Word(text))
        } throws: { error in
            (error as? ParseError)?.message.contains("nested values are not accepted by Intercom; quote it to send it as text") == true
        }
    }

    @Test func quotesInsideABareBraceDoNotHideANestedValue() throws {
        #expect(throws: ParseError.self) { try Literal.attributeValue(Word(#"{a:1}"#, quoted: true, startsBare: true)) }
        #expect(throws: ParseError.self) { try CommandParser.parse(#"attr x {"a":1}"#) }
        #expect(throws: ParseError.self) { try CommandParser.parse(#"attr x ["a", "b"]"#) }
        #expect(try CommandParser.parse(#"attr x '{"a":1}'"#) == .attr(name: "x", value: .string(#"{"a":1}"#)))
        #expect(try CommandParser.parse(#"attr x \{a}"#) == .attr(name: "x", value: .string("{a}")))
    }

    @Test func hugeIntegersAreRefusedWithAHintToQuote() throws {
        for text in ["9223372036854775808", "-9223372036854775809", String(repeating: "9", count: 5000)] {
            #expect {
                try Literal.attributeValue(Word(text))
            } throws: { error in
                let message = (error as? ParseError)?.message ?? ""
                return message.contains("too large") && message.contains("quote it") && message.count < 200
            }
        }
        #expect(try Literal.attributeValue(Word("9223372036854775808", quoted: true)) == .string("9223372036854775808"))
    }

    @Test func decimalsOutOfRangeOrTooLongAreRefused() {
        #expect(throws: ParseError.self) { try Literal.attributeValue(Word("1e999")) }
        #expect(throws: ParseError.self) { try Literal.attributeValue(Word("-1e400")) }
        #expect(throws: ParseError.self) { try Literal.attributeValue(Word("0." + String(repeating: "1", count: 1000))) }
    }

    @Test func overlongStringsAreRefused() {
        let long = String(repeating: "x", count: CustomAttributeRules.maxStringLength + 1)
        #expect(throws: ParseError.self) { try Literal.attributeValue(Word(long, quoted: true)) }
        #expect(throws: ParseError.self) { try Literal.fieldValue(Word(long), for: StandardField.named("name")!) }
    }

    @Test func stringFieldsTakeTheTextAsTyped() throws {
        let phone = StandardField.named("phone")!
        #expect(try Literal.fieldValue(Word("0035387"), for: phone) == .string("0035387"))
        #expect(try Literal.fieldValue(Word("true"), for: phone) == .string("true"))
        #expect(try Literal.fieldValue(Word("null", quoted: true), for: phone) == .string("null"))
        #expect(try Literal.fieldValue(Word("{x}", quoted: true), for: phone) == .string("{x}"))
        #expect(throws: ParseError.self) { try Literal.fieldValue(Word("{x}"), for: phone) }
    }

    @Test func bareNullIsRefusedForEveryKind() {
        for name in ["name", "unsubscribed_from_emails", "last_request_at"] {
            let field = StandardField.named(name)!
            #expect {
                try Literal.fieldValue(Word("null"), for: field)
            } throws: { error in
                (error as? ParseError)?.message.contains("use `unset \(name)` to clear it") == true
            }
        }
    }

    @Test func booleanFieldsNeedTrueOrFalse() throws {
        let field = StandardField.named("unsubscribed_from_emails")!
        #expect(try Literal.fieldValue(Word("true"), for: field) == .bool(true))
        #expect(try Literal.fieldValue(Word("false", quoted: true), for: field) == .bool(false))
        #expect(throws: ParseError("unsubscribed_from_emails takes true or false, not \"yes\"")) {
            try Literal.fieldValue(Word("yes"), for: field)
        }
    }

    @Test func timestampFieldsNeedUnixSeconds() throws {
        let field = StandardField.named("last_request_at")!
        #expect(try Literal.fieldValue(Word("1700000000"), for: field) == .integer(1_700_000_000))
        #expect(try Literal.fieldValue(Word("1700000000", quoted: true), for: field) == .integer(1_700_000_000))
        for bad in ["yesterday", "-5", "1.5", "", "99999999999999999999"] {
            #expect(throws: ParseError.self) { try Literal.fieldValue(Word(bad), for: field) }
        }
    }
}
