extension String {
    /// The string without leading and trailing white space and line breaks: the characters
    /// of Foundation's `CharacterSet.whitespacesAndNewlines` (Unicode's Zs, Zl and Zp, tab,
    /// U+000A-U+000D, U+0085, and U+200B, a Zs in the Unicode version Foundation's table follows), trimmed scalar by scalar as `trimmingCharacters(in:)` does.
    ///
    /// Foundation's version costs about 1.3 million instructions on its first call (setting
    /// up `CharacterSet`), which every start with a token paid.
    func trimmingWhitespaceAndNewlines() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isWhitespaceOrNewline }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isWhitespaceOrNewline })!
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// Whether the scalar is in `CharacterSet.whitespacesAndNewlines`.
    var isWhitespaceOrNewline: Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x200B: return true
        case 0..<0x80: return false
        default:
            switch properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }
}
