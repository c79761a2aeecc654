#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Times as leadsh reads and shows them: typed as Unix seconds, ISO 8601 or `now`; stored
/// and sent as whole Unix seconds; shown as the number with its UTC date beside it.
///
/// Parsing is done by hand (no formatter, no allocation beyond the input's bytes), so a
/// CSV import reads 100,000 times without noticing.
public enum TimeValue {
    /// The forms `parse` accepts, for messages and help.
    public static let acceptedForms =
        "Unix seconds (1764583200), an ISO 8601 date or time (2026-12-01, 2026-12-01T10:00:00Z, 2026-12-01T10:00:00+02:00), or now"

    /// The latest time accepted: 9999-12-31 23:59:59 UTC.
    public static let latest: Int64 = 253_402_300_799

    /// Reads a time typed by a person.
    ///
    /// Accepts plain Unix seconds (`1764583200`), `now`, an ISO 8601 date (`2026-12-01`, midnight
    /// UTC), or a date and time with `T` (or a space) between them and a zone: `Z` or an
    /// offset (`+02:00`, `+0200`, `+02`). Seconds and fractional seconds are optional; a fraction
    /// is dropped (times are whole seconds). A time without a zone is refused rather than guessed.
    ///
    /// - Parameters:
    ///   - text: The value as typed.
    ///   - now: What `now` means, in Unix seconds (a parameter, so callers and tests fix it).
    /// - Throws: `TimeValueError`, naming the accepted forms.
    public static func parse(_ text: String, now: Int64) throws(TimeValueError) -> Int64 {
        if text == "now" { return now }
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.allSatisfy(isDigit) {
            guard bytes.count <= 18, let seconds = Int64(text), seconds <= latest else {
                throw TimeValueError(text: text, reason: "it is too large for a time in Unix seconds (at most \(latest), the end of year 9999)")
            }
            return seconds
        }
        guard bytes.count >= 10, bytes.count <= 64, isDigit(bytes[0]), bytes[4] == UInt8(ascii: "-") else {
            throw TimeValueError(text: text, reason: nil)
        }
        var scanner = ISOScanner(bytes: bytes, text: text)
        return try scanner.read()
    }

    /// `1764583200 (2025-12-01 10:00:00 UTC)`: the number, then its UTC date.
    public static func display(_ seconds: Int64) -> String {
        "\(seconds) (\(utcText(seconds)))"
    }

    /// `2025-12-01 10:00:00 UTC`.
    public static func utcText(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)) UTC"
    }

    /// The current time in whole Unix seconds.
    public static func currentTime() -> Int64 {
        Int64(time(nil))
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms)

    /// Days since 1970-01-01 of a civil date.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

/// Reads `YYYY-MM-DD[(T| )hh:mm[:ss[.fff]](Z|±hh[:mm])]`.
private struct ISOScanner {
    let bytes: [UInt8]
    let text: String
    var at = 0

    mutating func read() throws(TimeValueError) -> Int64 {
        let year = try number(4)
        try expect("-")
        let month = try number(2)
        try expect("-")
        let day = try number(2)
        guard (1...12).contains(month) else { throw fail("there is no month \(month)") }
        guard (1...TimeValue.daysInMonth(year, month)).contains(day) else {
            throw fail("\(pad(year))-\(pad2(month)) has no day \(day)")
        }
        guard year >= 1970 else { throw fail("times before 1970 cannot be stored in Unix seconds here") }
        var seconds = TimeValue.days(fromCivil: year, month, day) * 86_400
        if at == bytes.count { return seconds }

        guard bytes[at] == UInt8(ascii: "T") || bytes[at] == UInt8(ascii: "t") || bytes[at] == UInt8(ascii: " ") else {
            throw fail(nil)
        }
        at += 1
        let hour = try number(2)
        try expect(":")
        let minute = try number(2)
        var second: Int64 = 0
        if at < bytes.count, bytes[at] == UInt8(ascii: ":") {
            at += 1
            second = try number(2)
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] == UInt8(ascii: ",") {
                at += 1
                let start = at
                while at < bytes.count, TimeValue.isDigit(bytes[at]) { at += 1 }
                guard at > start else { throw fail("a fraction of a second needs digits after the point") }
            }
        }
        guard hour <= 23, minute <= 59, second <= 59 else {
            throw fail("\(pad2(hour)):\(pad2(minute)):\(pad2(second)) is not a time of day")
        }
        seconds += hour * 3600 + minute * 60 + second
        guard at < bytes.count else {
            throw fail("it has no time zone; add Z for UTC or an offset such as +02:00")
        }
        let sign = bytes[at]
        at += 1
        if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
            guard at == bytes.count else { throw fail(nil) }
        } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            let offsetHours = try number(2)
            var offsetMinutes: Int64 = 0
            if at < bytes.count {
                if bytes[at] == UInt8(ascii: ":") { at += 1 }
                offsetMinutes = try number(2)
            }
            guard at == bytes.count else { throw fail(nil) }
            guard offsetHours <= 23, offsetMinutes <= 59 else { throw fail("the offset is out of range") }
            let offset = (offsetHours * 3600 + offsetMinutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
            seconds -= offset
        } else {
            throw fail(nil)
        }
        guard seconds >= 0 else { throw fail("times before 1970 cannot be stored in Unix seconds here") }
        guard seconds <= TimeValue.latest else { throw fail("it is after the end of year 9999") }
        return seconds
    }

    private mutating func number(_ width: Int) throws(TimeValueError) -> Int64 {
        guard at + width <= bytes.count else { throw fail(nil) }
        var value: Int64 = 0
        for byte in bytes[at..<at + width] {
            guard TimeValue.isDigit(byte) else { throw fail(nil) }
            value = value * 10 + Int64(byte - 0x30)
        }
        at += width
        return value
    }

    private mutating func expect(_ scalar: Unicode.Scalar) throws(TimeValueError) {
        guard at < bytes.count, bytes[at] == UInt8(ascii: scalar) else { throw fail(nil) }
        at += 1
    }

    private func fail(_ reason: String?) -> TimeValueError { TimeValueError(text: text, reason: reason) }
    private func pad(_ value: Int64) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }
    private func pad2(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// A time that could not be read, with the forms that can.
public struct TimeValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as typed.
    public var text: String
    /// What is wrong with it beyond "not a time", when known.
    public var reason: String?

    public init(text: String, reason: String?) {
        self.text = text
        self.reason = reason
    }

    /// `"yesterday" is not a time: use Unix seconds (…), an ISO 8601 date or time (…), or now`.
    public var description: String {
        let shown = MessageText.quoted(text)
        if let reason { return "\(shown) is not a usable time: \(reason)" }
        return "\(shown) is not a time: use \(TimeValue.acceptedForms)"
    }
}
