/// A word of a command line, remembering whether any part of it was quoted.
///
/// Quoting matters to `attr`: `attr seats 9` sends the integer 9, `attr seats "9"`
/// the string "9". A backslash escape counts as quoting (`\true` is the string
/// "true"); text from an unquoted `$VAR` expansion does not.
public struct Word: Sendable, Hashable, CustomStringConvertible {
    public var text: String
    /// Some part of the word was quoted or escaped.
    public var quoted: Bool
    /// The word begins with unquoted text, as `{"a":1}` does though it holds quotes.
    ///
    /// A value that starts with a bare `{` or `[` is refused as nested even when
    /// quotes appear later in the word.
    public var startsBare: Bool

    /// A word; `startsBare` defaults to `!quoted` (right for words quoted whole or not at all).
    public init(_ text: String, quoted: Bool = false, startsBare: Bool? = nil) {
        self.text = text
        self.quoted = quoted
        self.startsBare = startsBare ?? !quoted
    }

    /// The word as it would be typed: `Tokenizer.split` reads it back as the same text and type.
    public var description: String { Tokenizer.quote(self) }

    /// Starts with a bare `{` or `[`: a nested JSON value typed without quotes.
    var looksNested: Bool {
        guard startsBare, let first = text.utf8.first else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }
}
