public import LeadModel

/// Types the VALUE of `attr` and `set` from a word.
public enum Literal {
    /// The longest bare number accepted, in characters; longer digit runs must be quoted.
    public static let maxNumberLength = 400

    /// Types the value of `attr NAME VALUE`.
    ///
    /// A quoted word is always a string. A bare word is `true`/`false` (boolean),
    /// `null`, an integer (`-12`, fitting Int64), a decimal in JSON's grammar
    /// (`155.5`, `-0.5`, `1e3`, `1.5E-3`), or else a string. So a few bare words
    /// stay strings though they look numeric: `007` and `-01` (leading zeros, as
    /// in phone numbers and codes), `+5`, `.5`, `5.`, and `nan`, `inf`,
    /// `infinity` in any case (not numbers in JSON). `True` and `NULL` are strings
    /// too: the keywords are lowercase, as in JSON.
    ///
    /// - Throws: `ParseError` for a word starting with a bare `{` or `[` (a nested
    ///   value, such as `{"a":1}` typed without outer quotes), an integer outside Int64, a decimal out of range, or a value
    ///   `CustomAttributeRules` refuses (such as an over-long string).
    public static func attributeValue(_ word: Word) throws(ParseError) -> JSONValue {
        let value: JSONValue
        if word.looksNested {
            throw nestedValue(word)
        } else if word.quoted {
            value = .string(word.text)
        } else {
            switch word.text {
            case "true": value = .bool(true)
            case "false": value = .bool(false)
            case "null": value = .null
            default: value = try bareValue(word.text)
            }
        }
        if let problem = CustomAttributeRules.problem(withValue: value) { throw ParseError(problem) }
        return value
    }

    /// Types the value of `set FIELD VALUE` by the field's kind.
    ///
    /// String fields take the text as typed, quoted or not (`set phone 0035387`
    /// is the string "0035387"); boolean fields take `true` or `false`; time
    /// fields take Unix seconds, ISO 8601 (`2026-12-01`, `2026-12-01T10:00:00Z`,
    /// with an offset) or `now`, and hold Unix seconds. Quoting does not change
    /// the type here, since the field fixes it. The typing itself is
    /// `StandardField.value(fromText:now:)`, which a CSV import uses too.
    ///
    /// - Parameter now: What `now` means, in Unix seconds (the current time by default).
    /// - Throws: `ParseError` for a bare `null` (use `unset`), a word starting
    ///   with a bare `{` or `[` in a text field, or text that does not fit the field's kind.
    public static func fieldValue(
        _ word: Word, for field: StandardField, now: Int64 = TimeValue.currentTime()
    ) throws(ParseError) -> JSONValue {
        if !word.quoted && word.text == "null" {
            throw ParseError("\(field.name) cannot be set to null: use `unset \(field.name)` to clear it")
        }
        if field.kind == .string, word.looksNested { throw nestedValue(word) }
        do {
            return try field.value(fromText: word.text, now: now)
        } catch {
            throw ParseError(error.message)
        }
    }

    /// A bare word other than the keywords: a number, a refused nested value, or a string.
    private static func bareValue(_ text: String) throws(ParseError) -> JSONValue {
        let bytes = Array(text.utf8)
        switch numberShape(bytes) {
        case .none:
            return .string(text)
        case .integer:
            guard bytes.count <= maxNumberLength, let integer = Int64(text) else {
                throw ParseError(
                    "\(Display.quoted(text)) is too large for an integer (the limit is ±\(Int64.max)); quote it to send it as text")
            }
            return .integer(integer)
        case .decimal:
            guard bytes.count <= maxNumberLength else {
                throw ParseError(
                    "the number \(Display.quoted(text)) is \(bytes.count) characters long (at most \(maxNumberLength)); quote it to send it as text")
            }
            guard let decimal = Double(text), decimal.isFinite else {
                throw ParseError("\(Display.quoted(text)) is out of range for a decimal; quote it to send it as text")
            }
            return .double(decimal)
        }
    }

    /// The refusal of a bare `{…}` or `[…]`; the text is shown only when quotes did not alter it.
    private static func nestedValue(_ word: Word) -> ParseError {
        let what = word.quoted ? "a value starting with a bare \(word.text.prefix(1))" : Display.quoted(word.text)
        return ParseError(
            "\(what) is a nested value: nested values are not accepted by Intercom; quote it to send it as text")
    }

    /// Whether the bytes are exactly one JSON number, and of which kind.
    static func numberShape(_ bytes: [UInt8]) -> JSONText.NumberShape? {
        guard let (end, shape) = JSONText.scanNumber(bytes, from: 0), end == bytes.count else { return nil }
        return shape
    }
}
