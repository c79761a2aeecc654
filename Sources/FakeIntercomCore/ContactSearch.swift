import Foundation
import LeadModel

/// The `query` of `POST /contacts/search`, read and matched as Intercom 2.14 describes it
/// (operation `SearchContacts`, schemas `single_filter_search_request` and
/// `multiple_filter_search_request`).
///
/// A filter is `{"field":F,"operator":OP,"value":V}`; filters combine as
/// `{"operator":"AND"|"OR","value":[...]}`, nested at most two deep with at most 15 per group.
///
/// Fields, by type (2.14's "Accepted Fields" that the fake's contacts can answer):
/// - string: `id`, `external_id`, `role`, `name`, `avatar`, `email`, `email_domain`, `phone`,
///   `language_override`, `browser`, `browser_language`, `os`, `location.country`,
///   `location.region`, `location.city`, the `ios_*`/`android_*` strings, and string custom attributes;
/// - integer: `owner_id`, and integer and float custom attributes;
/// - boolean: `unsubscribed_from_emails`, `marked_email_as_spam`, `has_hard_bounced`, boolean custom attributes;
/// - date (Unix seconds): `created_at`, `updated_at`, `signed_up_at`, `last_seen_at`,
///   `last_contacted_at`, `last_replied_at`, `last_email_opened_at`, `last_email_clicked_at`,
///   `ios_last_seen_at`, `android_last_seen_at`, and date custom attributes;
/// - `tag_id`: matches a contact carrying the tag; `segment_id` likewise for its segments.
///
/// Custom attributes are `custom_attributes.NAME`, typed by the workspace's data attributes.
/// Operators by type: strings `=`, `!=`, `IN`, `NIN`, `~`, `!~`, `^`, `$`; integers (and
/// floats) `=`, `!=`, `IN`, `NIN`, `<`, `>`, `<=`, `>=`; booleans `=`, `!=`, `IN`, `NIN`;
/// dates `=`, `<`, `>`; `tag_id` `=`, `!=`; `segment_id` `=`, `!=`, `IN`, `NIN`. Any other
/// combination, an unknown field, or a value of the wrong type answers `400 parameter_invalid`
/// (`invalid_field` for an unknown field).
///
/// Dates match by calendar day in the workspace's time zone (Europe/Dublin, as `/me` says),
/// as 2.14 does: the value is cut to the start of its day; `=` matches that whole day, `>`
/// matches from the start of the next day, `<` everything before the start of that day.
/// 2.17's exact-second comparison is not modelled.
///
/// Where Intercom says nothing, the fake decides: `email` and `email_domain` compare without
/// regard to case, other strings exactly; the negations `!=`, `NIN` and `!~` match contacts
/// without a value; `= null` matches contacts without a value and `!= null` those with one;
/// a number or date may be sent as a string of digits (2.14's own example sends
/// `"value": "1306054154"`), and a boolean as `"true"`/`"false"`.
indirect enum ContactSearch: Sendable {
    case filter(Filter)
    case and([ContactSearch])
    case or([ContactSearch])

    /// One `{"field","operator","value"}`.
    struct Filter: Sendable {
        var field: Field
        var op: Operator
        var operand: Operand
    }

    enum Operator: String, Sendable, CaseIterable {
        case equals = "=", notEquals = "!=", isIn = "IN", notIn = "NIN"
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case contains = "~", notContains = "!~", startsWith = "^", endsWith = "$"
    }

    /// A field's type, which decides the operators and values it takes.
    enum FieldType: String, Sendable {
        case string, integer, float, boolean, date
        case tagID = "tag id", segmentID = "segment id"

        var operators: Set<Operator> {
            switch self {
            case .string: [.equals, .notEquals, .isIn, .notIn, .contains, .notContains, .startsWith, .endsWith]
            case .integer, .float:
                [.equals, .notEquals, .isIn, .notIn, .less, .greater, .lessOrEqual, .greaterOrEqual]
            case .boolean, .segmentID: [.equals, .notEquals, .isIn, .notIn]
            case .date: [.equals, .less, .greater]
            case .tagID: [.equals, .notEquals]
            }
        }
    }

    struct Field: Sendable {
        /// The name as the query gives it, `custom_attributes.` included.
        var name: String
        var type: FieldType
        var custom: Bool
    }

    /// A filter's value, checked against the field's type.
    enum Operand: Sendable {
        /// `null`: the field has no value.
        case absent
        case strings([String])
        case numbers([Double])
        case booleans([Bool])
        /// A date cut to its day: `[start, end)` in Unix seconds.
        case day(start: Int64, end: Int64)
    }

    /// The standard fields of 2.14's "Accepted Fields" that the fake can answer.
    static let standardFields: [String: FieldType] = {
        var fields: [String: FieldType] = [
            "id": .string, "external_id": .string, "role": .string, "name": .string, "avatar": .string,
            "email": .string, "email_domain": .string, "phone": .string, "language_override": .string,
            "browser": .string, "browser_language": .string, "os": .string,
            "location.country": .string, "location.region": .string, "location.city": .string,
            "owner_id": .integer,
            "unsubscribed_from_emails": .boolean, "marked_email_as_spam": .boolean, "has_hard_bounced": .boolean,
            "tag_id": .tagID, "segment_id": .segmentID,
        ]
        for name in [
            "created_at", "updated_at", "signed_up_at", "last_seen_at", "last_contacted_at", "last_replied_at",
            "last_email_opened_at", "last_email_clicked_at", "ios_last_seen_at", "android_last_seen_at",
        ] {
            fields[name] = .date
        }
        for platform in ["ios", "android"] {
            for name in ["app_version", "device", "app_name", "sdk_version", "os_version"] {
                fields["\(platform)_\(name)"] = .string
            }
        }
        fields["ios_app_device"] = .string
        return fields
    }()

    /// Reads a query object.
    ///
    /// - Parameters:
    ///   - attributes: the workspace's data attributes, which type `custom_attributes.NAME`.
    ///   - timeZone: where a day starts, for date fields.
    static func parse(
        _ value: JSONValue, attributes: [DataAttribute], timeZone: TimeZone, depth: Int = 0
    ) throws(IntercomError) -> ContactSearch {
        guard let query = value.objectValue else { throw .queryInvalid("query must be an object") }
        guard let opName = query["operator"]?.stringValue else { throw .queryInvalid("operator is required") }
        if opName == "AND" || opName == "OR" {
            guard depth < 2 else { throw .queryInvalid("Nested queries are limited to 2 levels") }
            guard let items = query["value"]?.arrayValue, !items.isEmpty else {
                throw .queryInvalid("\(opName) needs a non-empty array of filters as its value")
            }
            guard items.count <= 15 else { throw .queryInvalid("\(opName) accepts at most 15 filters") }
            var parts: [ContactSearch] = []
            for item in items {
                parts.append(try parse(item, attributes: attributes, timeZone: timeZone, depth: depth + 1))
            }
            return opName == "AND" ? .and(parts) : .or(parts)
        }
        guard let name = query["field"]?.stringValue else { throw .queryInvalid("field is required") }
        guard let field = field(named: name, attributes: attributes) else {
            throw IntercomError(
                status: 400, code: "invalid_field", message: "\(name) is not a searchable field", field: name)
        }
        guard let op = Operator(rawValue: opName) else {
            throw .queryInvalid("operator \(opName) is not one of \(Operator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard field.type.operators.contains(op) else {
            throw .queryInvalid("operator \(opName) is not supported for \(name), a \(field.type.rawValue) field")
        }
        let operand = try operand(query["value"], field: field, op: op, timeZone: timeZone)
        return .filter(Filter(field: field, op: op, operand: operand))
    }

    /// A standard field, or `custom_attributes.NAME` when the workspace lists that attribute.
    static func field(named name: String, attributes: [DataAttribute]) -> Field? {
        if let type = standardFields[name] { return Field(name: name, type: type, custom: false) }
        let prefix = "custom_attributes."
        guard name.hasPrefix(prefix) else { return nil }
        let attributeName = String(name.dropFirst(prefix.count))
        guard let attribute = attributes.first(where: { $0.custom && $0.name == attributeName }) else { return nil }
        let type: FieldType
        switch attribute.dataType {
        case "integer": type = .integer
        case "float": type = .float
        case "boolean": type = .boolean
        case "date", "datetime": type = .date
        default: type = .string
        }
        return Field(name: attributeName, type: type, custom: true)
    }

    /// The value of a filter, checked against its field's type and operator.
    static func operand(
        _ value: JSONValue?, field: Field, op: Operator, timeZone: TimeZone
    ) throws(IntercomError) -> Operand {
        let label = field.custom ? "custom_attributes.\(field.name)" : field.name
        guard let value else { throw .queryInvalid("value is required for \(label)") }
        let items: [JSONValue]
        switch (op, value) {
        case (.isIn, .array(let array)), (.notIn, .array(let array)):
            items = array
        case (.isIn, _), (.notIn, _):
            throw .queryInvalid("the value for \(label) \(op.rawValue) must be an array")
        case (_, .array):
            throw .queryInvalid("the value for \(label) \(op.rawValue) must not be an array")
        case (.equals, .null), (.notEquals, .null):
            return .absent
        case (_, .null):
            throw .queryInvalid("the value for \(label) \(op.rawValue) must not be null")
        default:
            items = [value]
        }
        func invalid(_ item: JSONValue) -> IntercomError {
            .queryInvalid("\(label) is a \(field.type.rawValue) field; \(JSONText.serialize(item)) is not a valid value")
        }
        switch field.type {
        case .string, .tagID, .segmentID:
            var strings: [String] = []
            for item in items {
                switch item {
                case .string(let text): strings.append(text)
                case .integer(let number) where field.type != .string: strings.append(String(number))
                default: throw invalid(item)
                }
            }
            return .strings(strings)
        case .integer, .float:
            var numbers: [Double] = []
            for item in items {
                switch item {
                case .integer(let number): numbers.append(Double(number))
                case .double(let number) where field.type == .float: numbers.append(number)
                case .string(let text):
                    if let number = Int64(text) {
                        numbers.append(Double(number))
                    } else if field.type == .float, let number = Double(text), number.isFinite {
                        numbers.append(number)
                    } else {
                        throw invalid(item)
                    }
                default: throw invalid(item)
                }
            }
            return .numbers(numbers)
        case .boolean:
            var booleans: [Bool] = []
            for item in items {
                switch item {
                case .bool(let flag): booleans.append(flag)
                case .string("true"): booleans.append(true)
                case .string("false"): booleans.append(false)
                default: throw invalid(item)
                }
            }
            return .booleans(booleans)
        case .date:
            // Dates take only `=`, `<` and `>`, so there is exactly one item.
            let seconds: Int64
            switch items.first {
            case .integer(let number)?: seconds = number
            case .string(let text)?:
                guard let number = Int64(text) else { throw invalid(items[0]) }
                seconds = number
            default: throw invalid(items.first ?? .null)
            }
            let (start, end) = day(containing: seconds, in: timeZone)
            return .day(start: start, end: end)
        }
    }

    /// The start of the day holding `seconds` and of the next one, in Unix seconds.
    static func day(containing seconds: Int64, in timeZone: TimeZone) -> (start: Int64, end: Int64) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(seconds))
        guard let interval = calendar.dateInterval(of: .day, for: date) else {
            let start = seconds - ((seconds % 86_400) + 86_400) % 86_400
            return (start, start + 86_400)
        }
        return (Int64(interval.start.timeIntervalSince1970), Int64(interval.end.timeIntervalSince1970))
    }

    /// Whether a lead, rendered in 2.x with this role, matches.
    func matches(_ lead: Contact, role: String) -> Bool {
        switch self {
        case .and(let parts): return parts.allSatisfy { $0.matches(lead, role: role) }
        case .or(let parts): return parts.contains { $0.matches(lead, role: role) }
        case .filter(let filter): return filter.matches(lead, role: role)
        }
    }
}

extension ContactSearch.Filter {
    /// Whether a lead matches; a negation is exactly the opposite of its positive operator.
    func matches(_ lead: Contact, role: String) -> Bool {
        let actual = field.value(in: lead, role: role)
        switch op {
        case .notEquals: return !holds(.equals, for: actual)
        case .notIn: return !holds(.isIn, for: actual)
        case .notContains: return !holds(.contains, for: actual)
        default: return holds(op, for: actual)
        }
    }

    /// Whether a positive operator holds for a field's value (nil when it has none).
    private func holds(_ op: ContactSearch.Operator, for actual: JSONValue?) -> Bool {
        switch operand {
        case .absent:
            return actual == nil
        case .strings(let wanted) where field.type == .tagID || field.type == .segmentID:
            let ids = actual?.arrayValue?.compactMap(\.stringValue) ?? []
            return wanted.contains { ids.contains($0) }
        case .strings(let wanted):
            guard var text = actual?.stringValue else { return false }
            var wanted = wanted
            if !field.custom, field.name == "email" || field.name == "email_domain" {
                text = text.lowercased()
                wanted = wanted.map { $0.lowercased() }
            }
            switch op {
            case .contains: return wanted.contains { !$0.isEmpty && text.contains($0) }
            case .startsWith: return wanted.contains { text.hasPrefix($0) }
            case .endsWith: return wanted.contains { text.hasSuffix($0) }
            default: return wanted.contains(text)
            }
        case .numbers(let wanted):
            guard let number = actual?.doubleValue, let first = wanted.first else { return false }
            switch op {
            case .less: return number < first
            case .lessOrEqual: return number <= first
            case .greater: return number > first
            case .greaterOrEqual: return number >= first
            default: return wanted.contains(number)
            }
        case .booleans(let wanted):
            guard let flag = actual?.boolValue else { return false }
            return wanted.contains(flag)
        case .day(let start, let end):
            guard let seconds = actual?.doubleValue.map(Int64.init) else { return false }
            switch op {
            case .less: return seconds < start
            case .greater: return seconds >= end
            default: return seconds >= start && seconds < end
            }
        }
    }
}

extension ContactSearch.Field {
    /// The lead's value for the field as its 2.x contact shows it; nil when it has none.
    ///
    /// `tag_id` and `segment_id` give the array of the lead's tag or segment ids.
    func value(in lead: Contact, role: String) -> JSONValue? {
        let value: JSONValue?
        if custom {
            value = lead.customAttributes[name]
        } else {
            switch name {
            case "id": value = .string(lead.id)
            case "external_id": value = lead.fields["user_id"]
            case "role": value = .string(role)
            case "email_domain":
                value = lead.email.flatMap { email in
                    email.lastIndex(of: "@").map { .string(String(email[email.index(after: $0)...])) }
                }
            case "avatar": value = lead.avatar?.imageURL.map(JSONValue.string)
            case "location.country": value = lead.locationData?.countryName.map(JSONValue.string)
            case "location.region": value = lead.locationData?.regionName.map(JSONValue.string)
            case "location.city": value = lead.locationData?.cityName.map(JSONValue.string)
            case "last_seen_at": value = lead.fields["last_request_at"]
            case "unsubscribed_from_emails", "marked_email_as_spam", "has_hard_bounced":
                value = lead.fields[name] ?? false
            case "tag_id": value = .array(lead.tagIDs.map(JSONValue.string))
            case "segment_id":
                value = .array((lead.segments?.items ?? []).compactMap { $0["id"] })
            default: value = lead.fields[name]
            }
        }
        guard let value, !value.isNull else { return nil }
        return value
    }
}

extension IntercomError {
    /// A search query the fake cannot read.
    static func queryInvalid(_ message: String) -> IntercomError {
        IntercomError(status: 400, code: "parameter_invalid", message: message, field: "query")
    }
}
