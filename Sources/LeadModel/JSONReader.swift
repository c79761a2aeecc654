/// What to read of a JSON object: every member, or only the members named, each with what to
/// read of it. A lead's cached copy holds dozens of fields; `find` offline and a selection's
/// push need a handful, and reading only those skips building the rest.
public indirect enum JSONProjection: Sendable, Hashable {
    case all
    case members([String: JSONProjection])
}

/// Why a JSON text could not be read.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// The reader behind ``JSONText/parse(_:keeping:)``: one pass over the bytes, building
/// what the projection keeps and checking the shape of what it skips.
struct JSONReader {
    let bytes: [UInt8]
    var index = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func parseValue(depth: Int, projection: JSONProjection = .all) throws(JSONParseError) -> JSONValue {
        guard depth < JSONReader.maxDepth else { throw fail("nested too deeply") }
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
        guard opens(closing: UInt8(ascii: "}")) else { return .object(JSONObject()) }
        // Members are gathered first and hashed once, into a dictionary of the right size:
        // growing one member at a time rehashed every key at each doubling (a cached lead's
        // dozens of fields), the most of reading a selection back.
        var members: [(String, JSONValue)] = []
        repeat {
            let key = try parseKey()
            switch projection {
            case .all: members.append((key, try parseValue(depth: depth + 1)))
            case .members(let kept):
                if let inner = kept[key] {
                    members.append((key, try parseValue(depth: depth + 1, projection: inner)))
                } else {
                    try skipValue(depth: depth + 1)
                }
            }
        } while try continues(closing: UInt8(ascii: "}"))
        return .object(JSONObject(members))
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        var items: [JSONValue] = []
        guard opens(closing: UInt8(ascii: "]")) else { return .array(items) }
        repeat {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
        } while try continues(closing: UInt8(ascii: "]"))
        return .array(items)
    }

    /// Past an object's or array's opening bracket: false when it closes at once (empty).
    mutating func opens(closing close: UInt8) -> Bool {
        index += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == close else { return true }
        index += 1
        return false
    }

    /// After a member or an item: true past a comma (another follows), false past the closing
    /// bracket.
    mutating func continues(closing close: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return true
        }
        if bytes[index] == close {
            index += 1
            return false
        }
        throw fail(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
    }

    /// A member's key and its colon, up to the value.
    mutating func parseKey() throws(JSONParseError) -> String {
        try atKey()
        let key = try parseString()
        try pastColon()
        return key
    }

    mutating func atKey() throws(JSONParseError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
    }

    mutating func pastColon() throws(JSONParseError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        index += 1
        skipWhitespace()
    }

    /// Moves past one value without building it, checking its shape as ``parseValue(depth:projection:)``
    /// would (a string's escapes and a number's digits are not decoded).
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < JSONReader.maxDepth else { throw fail("nested too deeply") }
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard opens(closing: UInt8(ascii: "}")) else { return }
            repeat {
                try atKey()
                try skipString()
                try pastColon()
                try skipValue(depth: depth + 1)
            } while try continues(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            guard opens(closing: UInt8(ascii: "]")) else { return }
            repeat {
                skipWhitespace()
                try skipValue(depth: depth + 1)
            } while try continues(closing: UInt8(ascii: "]"))
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
