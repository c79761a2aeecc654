/// User text inside messages: quoted, shortened, unprintable scalars named, so a message
/// stays one readable line whatever a person typed or a file held.
public enum MessageText {
    /// The longest piece of user text quoted in a message, in Unicode scalars.
    public static let quoteLimit = 48

    /// `"text"`; long text is cut with `…`, unprintable scalars appear as `<U+001B>`.
    public static func quoted(_ text: String, limit: Int = quoteLimit) -> String {
        var out = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            if isUnsafe(scalar) {
                out += "<" + scalar.codePointName + ">"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out + "\""
    }

    /// Control characters (tab included), line and paragraph separators, and bidirectional overrides.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return true }
        if v < 0x200E { return false }
        return v == 0x200E || v == 0x200F || v == 0x2028 || v == 0x2029 || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0x061C
    }
}
