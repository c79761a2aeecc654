/// The standard fields of a lead that leadsh knows, and which of them an update may change.
public struct StandardField: Sendable, Hashable {
    /// What a field holds, which decides how `set` reads its value.
    public enum Kind: Sendable, Hashable {
        case string
        case boolean
        /// Unix seconds.
        case timestamp
    }

    public let name: String
    public let kind: Kind
    /// Why the field cannot be set, or nil when `set` may change it.
    public let readOnlyReason: String?
    public let summary: String

    public var isWritable: Bool { readOnlyReason == nil }

    /// Every standard field, writable ones first.
    public static let all: [StandardField] = [
        .init("name", .string, nil, "the lead's full name"),
        .init("email", .string, nil, "email address (cannot identify the lead for update)"),
        .init("phone", .string, nil, "phone number, kept as text"),
        .init("last_seen_user_agent", .string, nil, "browser user agent; Intercom derives user_agent_data"),
        .init("last_seen_ip", .string, nil, "IP address; Intercom derives location_data"),
        .init("last_request_at", .timestamp, nil, "last seen time, Unix seconds"),
        .init("unsubscribed_from_emails", .boolean, nil, "true or false"),
        .init("type", .string, "it is always \"contact\"", "object type"),
        .init("id", .string, "it is the identifier Intercom assigned", "Intercom's id"),
        .init("user_id", .string, "it identifies the lead; Intercom generates it", "Intercom's user_id for the lead"),
        .init("created_at", .timestamp, "Intercom sets it when the lead is created", "creation time"),
        .init("updated_at", .timestamp, "Intercom sets it on every change", "last change time"),
        .init("signed_up_at", .timestamp, "it applies to users, not leads", "sign-up time"),
        .init("remote_created_at", .timestamp, "it applies to users, not leads", "creation time in your system"),
        .init("session_count", .timestamp, "Intercom counts sessions itself", "number of sessions"),
        .init("social_profiles", .string, "Intercom fills it", "social profiles"),
        .init("location_data", .string, "Intercom derives it from last_seen_ip (set that instead)", "location"),
        .init("user_agent_data", .string, "Intercom derives it from last_seen_user_agent (set that instead)", "user agent"),
        .init("anonymous", .boolean, "Intercom sets it", "whether the lead is anonymous"),
        .init("pseudonym", .string, "Intercom generates it", "generated display name"),
        .init("app_id", .string, "it names your Intercom workspace", "workspace id"),
        .init("avatar", .string, "leadsh cannot change avatars", "avatar image"),
        .init("companies", .string, "companies are changed through Intercom's companies API", "companies"),
        .init("tags", .string, "tags are changed through Intercom's tags API", "tags"),
        .init("segments", .string, "Intercom computes segments", "segments"),
        .init("custom_attributes", .string, "use `attr NAME VALUE` for custom attributes", "custom attributes"),
    ]

    /// Looks a field up by name.
    public static func named(_ name: String) -> StandardField? { byName[name] }

    /// The names `set` accepts.
    public static var writableNames: [String] { all.filter(\.isWritable).map(\.name) }

    private static let byName: [String: StandardField] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private init(_ name: String, _ kind: Kind, _ readOnlyReason: String?, _ summary: String) {
        self.name = name
        self.kind = kind
        self.readOnlyReason = readOnlyReason
        self.summary = summary
    }
}

/// Intercom's rules for custom attribute names and values, checked before anything is journaled.
public enum CustomAttributeRules {
    /// The longest attribute name accepted.
    public static let maxNameLength = 190
    /// The longest string value accepted (in characters). Intercom's own limit is
    /// not documented; this bound keeps a runaway paste out of the journal.
    public static let maxStringLength = 65_535

    /// Why a name cannot be a custom attribute, or nil when it can.
    ///
    /// Names may hold letters, digits, `_`, `-` and currency symbols; standard
    /// field names are reserved.
    public static func problem(withName name: String) -> String? {
        if name.isEmpty { return "an attribute name cannot be empty" }
        if name.count > maxNameLength { return "an attribute name is at most \(maxNameLength) characters" }
        if StandardField.named(name) != nil {
            return "\(name) is a standard field, not a custom attribute (use `set \(name) …`)"
        }
        for scalar in name.unicodeScalars {
            let ok = scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
                || scalar.properties.generalCategory == .currencySymbol && scalar != "$"
            if !ok {
                let shown = scalar.value < 0x20 || scalar.value == 0x7F
                    ? scalar.codePointName : "'\(Character(scalar))'"
                return "attribute names may hold letters, digits, '_' and '-' only; \(shown) is not allowed"
            }
        }
        return nil
    }

    /// Why a value cannot be stored in a custom attribute, or nil when it can.
    public static func problem(withValue value: JSONValue) -> String? {
        switch value {
        case .array, .object:
            return "nested values (objects, arrays) are not accepted by Intercom; use a string, number, boolean or null"
        case .string(let s) where s.count > maxStringLength:
            return "the value is \(s.count) characters long; the limit is \(maxStringLength)"
        case .string(let s) where s.unicodeScalars.contains("\u{0}"):
            return "the value holds a NUL character (U+0000); remove it"
        case .double(let d) where !d.isFinite:
            return "the value is not a finite number"
        default:
            return nil
        }
    }
}

extension Unicode.Scalar {
    /// `U+001B`: how messages name a character that cannot be shown as itself.
    public var codePointName: String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
