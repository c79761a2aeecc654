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
        var parser = Parser(bytes: Array(bytes))
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

/// What to read of a JSON object: every member, or only the members named, each with what to
/// read of it. A lead's cached copy holds dozens of fields; `find` offline and a selection's
/// push need a handful, and reading only those skips building the rest.
public indirect enum JSONProjection: Sendable, Hashable {
    case all
    case members([String: JSONProjection])

    /// Both projections' members: what either reads.
    public func union(_ other: JSONProjection) -> JSONProjection {
        guard case .members(let mine) = self, case .members(let theirs) = other else { return .all }
        return .members(mine.merging(theirs) { $0.union($1) })
    }
}

/// Why a JSON text could not be read.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

private struct Parser {
    let bytes: [UInt8]
    var index = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func parseValue(depth: Int, projection: JSONProjection = .all) throws(JSONParseError) -> JSONValue {
        guard depth < Parser.maxDepth else { throw fail("nested too deeply") }
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth, projection: projection)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectWord("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("expected a value")
        }
    }

    mutating func expectWord(_ word: String) throws(JSONParseError) {
        for b in word.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw fail("expected \(word)") }
            index += 1
        }
    }

    mutating func parseObject(depth: Int, projection: JSONProjection) throws(JSONParseError) -> JSONValue {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        // Members are gathered first and hashed once, into a dictionary of the right size:
        // growing one member at a time rehashed every key at each doubling (a cached lead's
        // dozens of fields), the most of reading a selection back.
        var members: [(String, JSONValue)] = []
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            switch projection {
            case .all: members.append((key, try parseValue(depth: depth + 1)))
            case .members(let kept):
                if let inner = kept[key] {
                    members.append((key, try parseValue(depth: depth + 1, projection: inner)))
                } else {
                    try skipValue(depth: depth + 1)
                }
            }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(members))
            }
            throw fail("expected ',' or '}'")
        }
    }

    /// Moves past one value without building it, checking its shape as ``parseValue(depth:projection:)``
    /// would (a string's escapes and a number's digits are not decoded).
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < Parser.maxDepth else { throw fail("nested too deeply") }
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if close == UInt8(ascii: "}") {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    try skipString()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    index += 1
                    skipWhitespace()
                }
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == close {
                    index += 1
                    return
                }
                throw fail(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectWord("true")
        case UInt8(ascii: "f"): try expectWord("false")
        case UInt8(ascii: "n"): try expectWord("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let (end, _) = JSONText.scanNumber(bytes, from: index) else { throw fail("invalid number") }
            index = end
        default: throw fail("expected a value")
        }
    }

    /// Moves past a string (at its opening quote).
    mutating func skipString() throws(JSONParseError) {
        index += 1
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return
            }
            if b < 0x20 { throw fail("control character in string") }
            index += b == UInt8(ascii: "\\") ? 2 : 1
        }
        throw fail("unterminated string")
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        var raw: [UInt8] = []
        func flush(_ end: Int) {
            if end > runStart { raw.append(contentsOf: bytes[runStart..<end]) }
        }
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                if scalars.isEmpty && raw.isEmpty {
                    // No escape in it (most strings): decode the bytes in one go.
                    let string = String(decoding: bytes[runStart..<index], as: UTF8.self)
                    index += 1
                    return string
                }
                flush(index)
                index += 1
                if !raw.isEmpty { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars) }
                return String(scalars)
            }
            if b < 0x20 { throw fail("control character in string") }
            if b == UInt8(ascii: "\\") {
                flush(index)
                if !raw.isEmpty {
                    scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                    raw.removeAll(keepingCapacity: true)
                }
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let high = try parseHex4()
                    if (0xD800..<0xDC00).contains(high) {
                        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            index += 2
                            let low = try parseHex4()
                            if (0xDC00..<0xE000).contains(low) {
                                let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                                scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
                            } else {
                                scalars.append("\u{FFFD}")
                                scalars.append(Unicode.Scalar(low) ?? "\u{FFFD}")
                            }
                        } else {
                            scalars.append("\u{FFFD}")
                        }
                    } else {
                        scalars.append(Unicode.Scalar(high) ?? "\u{FFFD}")
                    }
                default: throw fail("invalid escape")
                }
                runStart = index
                continue
            }
            index += 1
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in \\u escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        guard let (end, shape) = JSONText.scanNumber(bytes, from: start) else { throw fail("invalid number") }
        index = end
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        if shape == .integer, let i = Int64(text) { return .integer(i) }
        guard let d = Double(text), d.isFinite else { throw JSONParseError(offset: start, reason: "number out of range") }
        return .double(d)
    }
}
