extension StandardField {
    /// True for the fields that hold a time in Unix seconds: typed as `TimeValue` reads them,
    /// shown with the UTC date beside the number.
    public var isTime: Bool { kind == .timestamp }

    /// What the field takes, as `help set` and messages name it.
    public var kindPhrase: String {
        switch kind {
        case .string: return "text"
        case .boolean: return "true/false"
        case .timestamp: return "time"
        case .integer: return "integer"
        }
    }

    /// The one place a value typed for a standard field becomes its JSON value: the shell's
    /// `set` and a CSV import's cells both come here.
    ///
    /// Text fields take the text as it is, whatever it looks like; booleans `true` or `false`;
    /// times what `TimeValue.parse` reads (Unix seconds, ISO 8601, `now`), stored as Unix
    /// seconds; integers a whole non-negative number. Clearing a field (`null`) is not a
    /// typed value: callers decide what clears (the shell's `unset`).
    ///
    /// - Parameter now: What `now` means for a time field, in Unix seconds.
    /// - Throws: `FieldValueError` naming the field and what it takes.
    public func value(fromText text: String, now: Int64) throws(FieldValueError) -> JSONValue {
        switch kind {
        case .string:
            let value = JSONValue.string(text)
            if let problem = CustomAttributeRules.problem(withValue: value) {
                throw FieldValueError("\(name): \(problem)")
            }
            return value
        case .boolean:
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw FieldValueError("\(name) takes true or false, not \(MessageText.quoted(text))")
            }
        case .timestamp:
            do {
                return .integer(try TimeValue.parse(text, now: now))
            } catch {
                throw FieldValueError("\(name) takes a time: \(error.description)")
            }
        case .integer:
            let bytes = text.utf8
            guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy(TimeValue.isDigit), let number = Int64(text) else {
                throw FieldValueError("\(name) takes a whole number such as 1234567, not \(MessageText.quoted(text))")
            }
            return .integer(number)
        }
    }

    /// A value of this field for people: a time as `1764583200 (2025-12-01 10:00:00 UTC)`,
    /// anything else as compact JSON. `--json` output keeps the plain value.
    public func display(_ value: JSONValue) -> String {
        if isTime, case .integer(let seconds) = value { return TimeValue.display(seconds) }
        return JSONText.serialize(value)
    }

    /// Whether `name` is a time field in either dialect (`created_at`, `last_seen_at`, ...), for
    /// showing values of a lead whatever dialect it was read in.
    public static func isTimeField(_ name: String) -> Bool {
        (named(name, in: .v1) ?? named(name, in: .v2))?.isTime ?? false
    }
}

/// A typed value that does not fit its standard field.
public struct FieldValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
