/// Reading and writing JSON text, byte-exact where it matters to Intercom.
///
/// Numbers keep their lexical kind: `9` reads as `.integer`, `9.0` and `1e3` as
/// `.double`. Object keys keep their order. Output is compact and deterministic.
public enum JSONText {
    /// Parses one JSON document.
    ///
    /// - Throws: `JSONParseError` naming the offset and what was expected.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses one JSON document from UTF-8 bytes; of its objects, only the members
    /// `projection` names are read (the others are checked for shape and skipped).
    public static func parse<Bytes: Collection>(_ bytes: Bytes, keeping projection: JSONProjection = .all) throws(JSONParseError) -> JSONValue
    where Bytes.Element == UInt8 {
        var parser = JSONReader(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0, projection: projection)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else {
            throw JSONParseError(offset: parser.index, reason: "unexpected text after the JSON value")
        }
        return value
    }

    /// Compact JSON text for a value.
    public static func serialize(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(128)
        write(value, to: &out, pretty: false, indent: 0)
        return out
    }

    /// Indented JSON text for a value (two spaces), for people to read.
    public static func prettyPrint(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out, pretty: true, indent: 0)
        return out
    }

    /// The JSON form of a string, with quotes and escapes.
    public static func quote(_ string: String) -> String {
        var out = ""
        writeString(string, to: &out)
        return out
    }

    /// The JSON form of a decimal: the shortest text that reads back as the same number.
    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN || d.isInfinite { return "null" }
        if d == d.rounded(.towardZero), abs(d) < 1e16 {
            // Keep the decimal point so it reads back as a decimal, not an integer.
            return String(Int64(d)) + ".0"
        }
        return "\(d)"
    }

    /// The two kinds of JSON number: `9` is an integer, `9.0` and `1e3` are decimals.
    public enum NumberShape: Sendable, Hashable {
        case integer
        case decimal
    }

    /// Scans a number in JSON's grammar starting at `start` (no leading zeros, no `+`,
    /// digits on both sides of a point); returns where it ends and its kind, or nil when
    /// no number starts there.
    public static func scanNumber(_ bytes: [UInt8], from start: Int) -> (end: Int, shape: NumberShape)? {
        var i = start
        let n = bytes.count
        func digits() -> Int {
            let s = i
            while i < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            return i - s
        }
        if i < n, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let integerStart = i
        let integerDigits = digits()
        guard integerDigits > 0 else { return nil }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") { return nil }
        var shape = NumberShape.integer
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return nil }
            shape = .decimal
        }
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
            shape = .decimal
        }
        return (i, shape)
    }

    private static func write(_ value: JSONValue, to out: inout String, pretty: Bool, indent: Int) {
        switch value {
        case .string(let s): writeString(s, to: &out)
        case .integer(let i): out += String(i)
        case .double(let d): out += formatDouble(d)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                write(item, to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let object):
            if object.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            var first = true
            // By key: the object's iterator goes through a type-erased closure per pair.
            for key in object.keys {
                guard let item = object[key] else { continue }
                if !first { out += "," }
                first = false
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                writeString(key, to: &out)
                out += pretty ? ": " : ":"
                write(item, to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most strings need no escape: append them whole rather than scalar by scalar.
        guard needsEscaping(s) else {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension JSONText {
    /// Whether `s` holds a character ``writeString(_:to:)`` escapes: a quote, a backslash,
    /// a control character, DEL, or U+2028/U+2029 (UTF-8 `E2 80 A8`/`E2 80 A9`).
    static func needsEscaping(_ s: String) -> Bool {
        var before = (UInt8(0), UInt8(0))
        for byte in s.utf8 {
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { return true }
            if before == (0xE2, 0x80), byte == 0xA8 || byte == 0xA9 { return true }
            before = (before.1, byte)
        }
        return false
    }
}
