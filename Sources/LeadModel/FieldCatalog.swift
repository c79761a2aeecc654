/// The standard fields of a lead that leadsh knows, per API dialect, and which of them an update may change.
public struct StandardField: Sendable, Hashable {
    /// What a field holds, which decides how `set` reads its value.
    public enum Kind: Sendable, Hashable {
        case string
        case boolean
        /// Unix seconds.
        case timestamp
        /// A whole number, such as 2.x's `owner_id`.
        case integer
    }

    public let name: String
    public let kind: Kind
    /// Why the field cannot be set, or nil when `set` may change it.
    public let readOnlyReason: String?
    public let summary: String

    public var isWritable: Bool { readOnlyReason == nil }

    /// Every 1.x standard field, writable ones first.
    public static let all: [StandardField] = v1Fields

    /// Every standard field of a dialect, writable ones first.
    public static func all(in dialect: Dialect) -> [StandardField] {
        dialect == .v1 ? v1Fields : v2Fields
    }

    private static let v1Fields: [StandardField] = [
        .init("name", .string, nil, "the lead's full name"),
        .init("email", .string, nil, "email address (cannot identify the lead for update)"),
        .init("phone", .string, nil, "phone number, kept as text"),
        .init("last_seen_user_agent", .string, nil, "browser user agent; Intercom derives user_agent_data"),
        .init("last_seen_ip", .string, nil, "IP address; Intercom derives location_data"),
        .init("last_request_at", .timestamp, nil, "last seen time"),
        .init("unsubscribed_from_emails", .boolean, nil, "whether the lead unsubscribed from email"),
        .init("type", .string, "it is always \"contact\"", "object type"),
        .init("id", .string, "it is the identifier Intercom assigned", "Intercom's id"),
        .init("user_id", .string, "it identifies the lead; Intercom generates it", "Intercom's user_id for the lead"),
        .init("created_at", .timestamp, "Intercom sets it when the lead is created", "creation time"),
        .init("updated_at", .timestamp, "Intercom sets it on every change", "last change time"),
        .init("signed_up_at", .timestamp, "it applies to users, not leads", "sign-up time"),
        .init("remote_created_at", .timestamp, "it applies to users, not leads", "creation time in your system"),
        .init("session_count", .integer, "Intercom counts sessions itself", "number of sessions"),
        .init("social_profiles", .string, "Intercom fills it", "social profiles"),
        .init("location_data", .string, "Intercom derives it from last_seen_ip (set that instead)", "location"),
        .init("user_agent_data", .string, "Intercom derives it from last_seen_user_agent (set that instead)", "user agent"),
        .init("anonymous", .boolean, "Intercom sets it", "whether the lead is anonymous"),
        .init("pseudonym", .string, "Intercom generates it", "generated display name"),
        .init("app_id", .string, "it names your Intercom workspace", "workspace id"),
        .init("avatar", .string, "leadsh cannot change avatars under 1.x", "avatar image"),
        .init("companies", .string, "companies are changed through Intercom's companies API", "companies"),
        .init("tags", .string, "tags are changed through Intercom's tags API", "tags"),
        .init("segments", .string, "Intercom computes segments", "segments"),
        .init("custom_attributes", .string, "use `attr NAME VALUE` for custom attributes", "custom attributes"),
    ]

    /// The 2.x contact's fields (Intercom's 2.14 `contact` schema and `UpdateContact` body).
    private static let v2Fields: [StandardField] = [
        .init("name", .string, nil, "the contact's full name"),
        .init("email", .string, nil, "email address (cannot identify the lead for update)"),
        .init("phone", .string, nil, "phone number, kept as text"),
        .init("external_id", .string, nil, "your identifier for the contact (1.x's user_id)"),
        .init("avatar", .string, nil, "URL of the avatar image"),
        .init("signed_up_at", .timestamp, nil, "sign-up time"),
        .init("last_seen_at", .timestamp, nil, "last seen time (1.x's last_request_at)"),
        .init("owner_id", .integer, nil, "the id of the admin who owns the contact"),
        .init("unsubscribed_from_emails", .boolean, nil, "whether the lead unsubscribed from email"),
        .init("type", .string, "it is always \"contact\"", "object type"),
        .init("id", .string, "it is the identifier Intercom assigned", "Intercom's id"),
        .init("workspace_id", .string, "it names your Intercom workspace", "workspace id"),
        .init("role", .string, "leadsh edits leads and does not convert them", "user or lead"),
        .init("email_domain", .string, "Intercom derives it from email", "the email's domain"),
        .init("created_at", .timestamp, "Intercom sets it when the contact is created", "creation time"),
        .init("updated_at", .timestamp, "Intercom sets it on every change", "last change time"),
        .init("last_replied_at", .timestamp, "Intercom sets it", "last reply time"),
        .init("last_contacted_at", .timestamp, "Intercom sets it", "last contact time"),
        .init("last_email_opened_at", .timestamp, "Intercom sets it", "last email opened"),
        .init("last_email_clicked_at", .timestamp, "Intercom sets it", "last email clicked"),
        .init("has_hard_bounced", .boolean, "Intercom sets it", "whether email hard-bounced"),
        .init("marked_email_as_spam", .boolean, "Intercom sets it", "whether email was marked as spam"),
        .init("location", .string, "Intercom derives it", "location"),
        .init("social_profiles", .string, "Intercom fills it", "social profiles"),
        .init("companies", .string, "companies are changed through Intercom's companies API", "companies"),
        .init("tags", .string, "tags are changed through Intercom's tags API", "tags"),
        .init("notes", .string, "notes are changed through Intercom's notes API", "notes"),
        .init("custom_attributes", .string, "use `attr NAME VALUE` for custom attributes", "custom attributes"),
    ]

    /// Looks a 1.x field up by name.
    public static func named(_ name: String) -> StandardField? { v1ByName[name] }

    /// Looks a field of a dialect up by name.
    public static func named(_ name: String, in dialect: Dialect) -> StandardField? {
        dialect == .v1 ? v1ByName[name] : v2ByName[name]
    }

    /// The names `set` accepts under 1.x.
    public static var writableNames: [String] { writableNames(in: .v1) }

    /// The names `set` accepts in a dialect.
    public static func writableNames(in dialect: Dialect) -> [String] {
        all(in: dialect).filter(\.isWritable).map(\.name)
    }

    /// Fields of one dialect that the other lacks, with their name there when there is one.
    private static let counterparts: [Dialect: [String: String?]] = [
        // 1.x-only fields, and what to use in 2.x.
        .v2: ["user_id": "external_id", "last_seen_ip": nil, "last_seen_user_agent": nil, "last_request_at": "last_seen_at"],
        // 2.x-only fields, and what to use in 1.x.
        .v1: ["external_id": "user_id", "last_seen_at": "last_request_at", "owner_id": nil, "workspace_id": "app_id"],
    ]

    /// Why `name`, a field of the other dialect, cannot be written in `dialect` (naming its
    /// equivalent there when there is one), or nil when it is not such a field.
    public static func fromOtherDialect(_ name: String, in dialect: Dialect) -> String? {
        guard let entry = counterparts[dialect]?[name] else { return nil }
        let other: Dialect = dialect == .v1 ? .v2 : .v1
        if let equivalent = entry {
            let equivalentWritable = named(equivalent, in: dialect)?.isWritable ?? false
            return equivalentWritable
                ? "\(name) is a \(other) field; in \(dialect) use \(equivalent)"
                : "\(name) is a \(other) field; its \(dialect) name, \(equivalent), cannot be set"
        }
        return "\(name) is a \(other) field with no \(dialect) equivalent"
    }

    /// The writable field of `dialect` that means exactly what `name`, a field of the other
    /// dialect, means (`last_request_at` -> `last_seen_at`, `user_id` -> `external_id` in 2.x;
    /// `last_seen_at` -> `last_request_at` in 1.x), or nil when there is none.
    public static func exactEquivalent(of name: String, in dialect: Dialect) -> String? {
        guard named(name, in: dialect) == nil, let entry = counterparts[dialect]?[name], let equivalent = entry,
            named(equivalent, in: dialect)?.isWritable == true
        else { return nil }
        return equivalent
    }

    private static let v1ByName: [String: StandardField] = Dictionary(uniqueKeysWithValues: v1Fields.map { ($0.name, $0) })
    private static let v2ByName: [String: StandardField] = Dictionary(uniqueKeysWithValues: v2Fields.map { ($0.name, $0) })

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
        if isPlainASCIIName(name) {
            // The common case, checked byte by byte: letters, digits, `_` and `-` only.
            return StandardField.named(name) != nil
                ? "\(name) is a standard field, not a custom attribute (use `set \(name) …`)" : nil
        }
        if name.isEmpty { return "an attribute name cannot be empty" }
        if name.count > maxNameLength { return "an attribute name is at most \(maxNameLength) characters" }
        if StandardField.named(name) != nil {
            return "\(name) is a standard field, not a custom attribute (use `set \(name) …`)"
        }
        for scalar in name.unicodeScalars {
            let ok =
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
                || scalar.properties.generalCategory == .currencySymbol && scalar != "$"
            if !ok {
                let shown =
                    scalar.value < 0x20 || scalar.value == 0x7F
                    ? scalar.codePointName : "'\(Character(scalar))'"
                return "attribute names may hold letters, digits, '_' and '-' only; \(shown) is not allowed"
            }
        }
        return nil
    }

    /// A name of 1 to `maxNameLength` ASCII letters, digits, `_` and `-`: one that the full
    /// check below accepts unless it names a standard field.
    private static func isPlainASCIIName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maxNameLength else { return false }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// Why a value cannot be stored in a custom attribute, or nil when it can.
    public static func problem(withValue value: JSONValue) -> String? {
        switch value {
        case .array, .object:
            return "nested values (objects, arrays) are not accepted by Intercom; use a string, number, boolean or null"
        // No more UTF-8 bytes than the limit means no more characters: counting characters
        // (grapheme clusters) is only needed for a long value.
        case .string(let s) where s.utf8.count > maxStringLength && s.count > maxStringLength:
            return "the value is \(s.count) characters long; the limit is \(maxStringLength)"
        case .string(let s) where s.utf8.contains(0):
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
