/// Checks on the identifiers `load` takes.
enum Identifier {
    /// The longest Intercom id accepted (ids are 24 hex digits today).
    static let maxIDLength = 255

    static func id(_ text: String) throws(ParseError) -> String {
        if text.isEmpty { throw ParseError("an id cannot be empty") }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar == "/" || scalar == "?" || scalar == "#" || scalar == "%"
                || scalar == "\\" || scalar == "="
            {
                let what = scalar.properties.isWhitespace ? "whitespace" : "'\(scalar)'"
                throw ParseError(
                    "\(Display.quoted(text)) is not a valid Intercom id: it contains \(what) (an id looks like 5811f6bbe6b4704ddfa84ac0)")
            }
        }
        if let control = Display.firstControlCharacter(in: text) {
            throw ParseError("an id cannot contain control characters (found \(control.codePointName))")
        }
        if text.utf8.count > maxIDLength {
            throw ParseError(
                "\(Display.quoted(text)) is not a valid Intercom id: it is \(text.utf8.count) bytes long (at most \(maxIDLength))")
        }
        return text
    }

    static func other(_ text: String, what: String) throws(ParseError) -> String {
        if text.isEmpty { throw ParseError("\(what == "email" ? "an" : "a") \(what) cannot be empty") }
        if let control = Display.firstControlCharacter(in: text) {
            throw ParseError("a \(what) cannot contain control characters (found \(control.codePointName))")
        }
        return text
    }
}

/// Edit distances for suggestions.
enum EditDistance {
    /// Levenshtein distance where swapping two adjacent characters also costs 1.
    static func optimalStringAlignment(_ a: [UInt32], _ b: [UInt32]) -> Int {
        let n = a.count
        let m = b.count
        if n == 0 { return m }
        if m == 0 { return n }
        var previous2 = [Int](repeating: 0, count: m + 1)
        var previous = [Int](repeating: 0, count: m + 1)
        var current = [Int](repeating: 0, count: m + 1)
        var j = 0
        while j <= m {
            previous[j] = j
            j += 1
        }
        var i = 1
        while i <= n {
            current[0] = i
            j = 1
            while j <= m {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                j += 1
            }
            swap(&previous2, &previous)
            swap(&previous, &current)
            i += 1
        }
        return previous[m]
    }

    static func scalars(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        for scalar in text.unicodeScalars { out.append(scalar.value) }
        return out
    }
}
