import Testing

@testable import CommandParser

@Suite struct TokenizerTests {
    func split(_ line: String) throws -> [Word] { try Tokenizer.split(line) }
    func texts(_ line: String) throws -> [String] { try split(line).map(\.text) }

    @Test func whitespaceSeparatesWords() throws {
        #expect(try texts("  set   name\tAlice  ") == ["set", "name", "Alice"])
        #expect(try texts("a\r\nb") == ["a", "b"])
        #expect(try split("").isEmpty)
        #expect(try split("   \t ").isEmpty)
    }

    @Test func singleQuotesAreLiteral() throws {
        #expect(try split("'a b' c") == [Word("a b", quoted: true), Word("c")])
        #expect(try texts(#"'a\nb $X "q"'"#) == [#"a\nb $X "q""#])
        #expect(try split("''") == [Word("", quoted: true)])
    }

    @Test func doubleQuotesHonourTheirEscapes() throws {
        #expect(try texts(#""say \"hi\"""#) == [#"say "hi""#])
        #expect(try texts(#""a\\b""#) == [#"a\b"#])
        #expect(try texts(#""\$HOME""#) == ["$HOME"])
        #expect(try texts(#""line\nnext\ttab""#) == ["line\nnext\ttab"])
        #expect(try texts(#""keep \q here""#) == [#"keep \q here"#])
        #expect(try split(#""""#) == [Word("", quoted: true)])
    }

    @Test func backslashOutsideQuotesEscapesOneCharacter() throws {
        #expect(try split(#"a\ b"#) == [Word("a b", quoted: true, startsBare: true)])
        #expect(try texts(#"\"x\""#) == [#""x""#])
        #expect(try texts("\\#not") == ["#not"])
        #expect(try texts("a\\\nb") == ["ab"])
        #expect(try texts("a \\\n b") == ["a", "b"])
    }

    @Test func quotedFlagTracksAnyQuotedPart() throws {
        #expect(try split("plain")[0].quoted == false)
        #expect(try split(#"ab"c"d"#) == [Word("abcd", quoted: true, startsBare: true)])
        #expect(try split("pre'fix'") == [Word("prefix", quoted: true, startsBare: true)])
        #expect(try split("'pre'fix") == [Word("prefix", quoted: true, startsBare: false)])
        #expect(try split(#"\9"#) == [Word("9", quoted: true)])
        #expect(try split(#"{"a":1}"#) == [Word("{a:1}", quoted: true, startsBare: true)])
    }

    @Test func commentsStartOnlyAtTheStartOfAWord() throws {
        #expect(try texts("set name x # a comment") == ["set", "name", "x"])
        #expect(try texts("# whole line").isEmpty)
        #expect(try texts("a#b c#") == ["a#b", "c#"])
        #expect(try texts("'#' \"#\"") == ["#", "#"])
        #expect(try texts("x #'unbalanced") == ["x"])
    }

    @Test func unbalancedQuotesAndTrailingBackslashAreErrors() {
        #expect(throws: ParseError("unterminated double quote: close it with \"")) { try Tokenizer.split(#"set name "O'Brien"#) }
        #expect(throws: ParseError("unterminated single quote: close it with '")) { try Tokenizer.split("set name 'x") }
        #expect(throws: ParseError.self) { try Tokenizer.split(#"set name x\"#) }
        #expect(throws: ParseError.self) { try Tokenizer.split(#""ends in \"#) }
    }

    @Test func nonASCIIAndControlCharactersPassThrough() throws {
        #expect(try texts("set name Zoë\u{1B}[31m 日本") == ["set", "name", "Zoë\u{1B}[31m", "日本"])
        #expect(try texts("\u{FFFD}\u{FFFD}") == ["\u{FFFD}\u{FFFD}"])
    }

    @Test func dollarIsLiteralWithoutExpansion() throws {
        #expect(try texts("attr price $5 ${X}") == ["attr", "price", "$5", "${X}"])
    }

    @Test(arguments: [
        Word("plain"), Word("9"), Word("9", quoted: true), Word("", quoted: true), Word("O'Brien", quoted: true),
        Word("a b"), Word("tab\there"), Word("new\nline", quoted: true), Word(#"back\slash "q" $x"#),
        Word("#hash"), Word("true", quoted: true), Word("日本語"), Word("it's \"both\"", quoted: true),
    ])
    func quoteRoundTrips(word: Word) throws {
        let again = try Tokenizer.split(Tokenizer.quote(word))
        #expect(again.count == 1)
        #expect(again.first?.text == word.text)
        if word.quoted { #expect(again.first?.quoted == true) }
    }
}

@Suite struct ExpansionTests {
    let variables = ["NAME": "Alice", "N": "9", "EMPTY": "", "SPACED": "a b", "1": "first", "2": "second", "10": "tenth"]
    func split(_ line: String) throws(ParseError) -> [Word] {
        try Tokenizer.split(line) { variables[$0] }
    }

    @Test func positionalParameters() throws {
        #expect(try split("load $1") == [Word("load"), Word("first")])
        #expect(try split("x ${10} $10") == [Word("x"), Word("tenth"), Word("first0")])
    }

    @Test func namedVariables() throws {
        #expect(try split("set name ${NAME}") == [Word("set"), Word("name"), Word("Alice")])
        #expect(try split("set name $NAME.x") == [Word("set"), Word("name"), Word("Alice.x")])
        #expect(try split("a${NAME}b") == [Word("aAliceb")])
    }

    @Test func unquotedExpansionStaysUnquotedAndIsNotResplit() throws {
        #expect(try split("attr seats $N") == [Word("attr"), Word("seats"), Word("9")])
        #expect(try split("attr x $SPACED") == [Word("attr"), Word("x"), Word("a b")])
        #expect(try split("attr x $EMPTY") == [Word("attr"), Word("x"), Word("")])
    }

    @Test func doubleQuotedExpansionMarksTheWordQuoted() throws {
        #expect(try split(#"attr seats "$N""#) == [Word("attr"), Word("seats"), Word("9", quoted: true)])
        #expect(try split(#""${NAME} $2""#) == [Word("Alice second", quoted: true)])
    }

    @Test func singleQuotesAndEscapesAreNotExpanded() throws {
        #expect(try split("'$NAME'") == [Word("$NAME", quoted: true)])
        #expect(try split(#"\$NAME"#) == [Word("$NAME", quoted: true)])
        #expect(try split(#""\$NAME""#) == [Word("$NAME", quoted: true)])
        #expect(try split("cost $ 5$") == [Word("cost"), Word("$"), Word("5$")])
        #expect(try split(#""$NAME"x"#) == [Word("Alicex", quoted: true, startsBare: false)])
        #expect(try split(#"$NAME"x""#) == [Word("Alicex", quoted: true, startsBare: true)])
    }

    @Test func unsetVariableIsAnError() {
        #expect {
            try split("load $MISSING")
        } throws: { error in
            (error as? ParseError)?.message.hasPrefix("$MISSING is not set") == true
        }
        #expect {
            try split("load \"$3\"")
        } throws: { error in
            (error as? ParseError)?.message.hasPrefix("$3 is not set") == true
        }
        #expect {
            try split("load ${11}")
        } throws: { error in
            (error as? ParseError)?.message.hasPrefix("${11} is not set") == true
        }
    }

    @Test func malformedBracesAreErrors() {
        #expect(throws: ParseError.self) { try split("x ${NAME") }
        #expect(throws: ParseError.self) { try split("x ${} ") }
        #expect(throws: ParseError.self) { try split("x ${A-B}") }
        #expect(throws: ParseError.self) { try split("x ${1A}") }
    }

    @Test func commandParserPassesExpansionThrough() throws {
        #expect(try CommandParser.parse("attr seats $N") { variables[$0] } == .attr(name: "seats", value: .integer(9)))
        #expect(try CommandParser.parse(#"attr seats "$N""#) { variables[$0] } == .attr(name: "seats", value: .string("9")))
    }
}
