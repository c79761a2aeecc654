/// The operators of `find`: 2.x search's, plus `<=` and `>=`, which a query says as
/// `<` OR `=` (Intercom's search has no such operator).
public enum SearchOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case lessOrEqual = "<="
    case greaterOrEqual = ">="
    case less = "<"
    case greater = ">"
    case contains = "~"
    case notContains = "!~"
    case startsWith = "^"
    case endsWith = "$"

    /// Longest first, as a condition is read: `<=` before `<`, `!=` before `=`.
    public static let byLength: [SearchOperator] = allCases.sorted { $0.rawValue.utf8.count > $1.rawValue.utf8.count }

    /// The characters an operator is made of: a field name ends at the first of them.
    public static let characters: Set<Character> = ["=", "!", "<", ">", "~", "^", "$"]

    /// Compares text: its value is always a string.
    public var isTextual: Bool {
        switch self {
        case .contains, .notContains, .startsWith, .endsWith: true
        default: false
        }
    }

    /// Orders values: numbers and dates.
    public var isOrdering: Bool {
        switch self {
        case .less, .greater, .lessOrEqual, .greaterOrEqual: true
        default: false
        }
    }
}

/// What a `find` condition compares.
public enum SearchField: Sendable, Hashable, CustomStringConvertible {
    /// A standard field, by its name in the session's dialect (`email`, `last_seen_at`,
    /// `location.city`).
    case standard(String)
    /// A custom attribute.
    case custom(String)
    /// `tag=NAME`: the lead carries the tag of that name.
    case tag

    public var description: String {
        switch self {
        case .standard(let name): name
        case .custom(let name): "custom_attributes." + name
        case .tag: "tag"
        }
    }

    /// The field a lead's table shows for it.
    public var key: FieldKey? {
        switch self {
        case .standard(let name): .standard(name)
        case .custom(let name): .custom(name)
        case .tag: nil
        }
    }
}

/// One condition of `find`: a field, an operator and its values. Several values (a comma list,
/// `plan=gold,silver`) mean any of them (`IN`) with `=`, none of them (`NIN`) with `!=`.
public struct SearchCondition: Sendable, Hashable, CustomStringConvertible {
    public var field: SearchField
    public var op: SearchOperator
    public var values: [JSONValue]

    public init(field: SearchField, op: SearchOperator, values: [JSONValue]) {
        self.field = field
        self.op = op
        self.values = values
    }

    /// As it can be typed again: `plan=gold,silver`, `signed_up_at<1780272000`.
    public var description: String {
        field.description + op.rawValue + values.map(SearchCondition.text).joined(separator: ",")
    }

    public static func text(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return JSONText.serialize(value)
    }
}

/// Which contacts `find` looks among: leads unless `role=` says otherwise (2.x search also
/// returns users).
public enum SearchRole: String, Sendable, Hashable, CaseIterable {
    case lead, user, any
}

/// A whole `find`: the conditions (ANDed), the role and the most to list.
public struct LeadSearch: Sendable, Hashable, CustomStringConvertible {
    public var conditions: [SearchCondition]
    public var role: SearchRole
    /// `--limit N`: stop after N leads.
    public var limit: Int?

    public init(conditions: [SearchCondition], role: SearchRole = .lead, limit: Int? = nil) {
        self.conditions = conditions
        self.role = role
        self.limit = limit
    }

    /// `find email=E`.
    public static func email(_ email: String) -> LeadSearch {
        LeadSearch(conditions: [SearchCondition(field: .standard("email"), op: .equal, values: [.string(email)])])
    }

    public var description: String {
        var words = conditions.map(\.description)
        if role != .lead { words.append("role=" + role.rawValue) }
        return words.joined(separator: " ")
    }

    /// The one value of the only condition on `field` with `=` when that is all the search
    /// asks (what 1.x can look up: `email=` or `user_id=`).
    public func single(_ field: String) -> String? {
        guard conditions.count == 1, let only = conditions.first, only.field == .standard(field), only.op == .equal,
            only.values.count == 1, case .string(let text) = only.values[0]
        else { return nil }
        return text
    }

    /// The most conditions one query may AND (Intercom: 15 per group, one taken by the role).
    public static let maxConditions = 14

    /// 2.x search's `query`: the conditions ANDed with the role's, `<=`/`>=` as an OR of `<`
    /// (`>`) and `=`, a tag by its id (`tagIDs` maps each `tag=` name to it).
    public func intercomQuery(tagIDs: [String: String]) -> JSONValue {
        var filters: [JSONValue] = []
        if role != .any { filters.append(LeadSearch.filter("role", "=", .string(role.rawValue))) }
        for condition in conditions {
            let field: String
            var values = condition.values
            switch condition.field {
            case .standard(let name): field = name
            case .custom(let name): field = "custom_attributes." + name
            case .tag:
                field = "tag_id"
                values = values.map { value in .string(tagIDs[SearchCondition.text(value)] ?? SearchCondition.text(value)) }
            }
            let value: JSONValue = values.count == 1 ? values[0] : .array(values)
            switch condition.op {
            case .equal: filters.append(LeadSearch.filter(field, values.count == 1 ? "=" : "IN", value))
            case .notEqual: filters.append(LeadSearch.filter(field, values.count == 1 ? "!=" : "NIN", value))
            case .lessOrEqual, .greaterOrEqual:
                let strict = condition.op == .lessOrEqual ? "<" : ">"
                filters.append(["operator": "OR", "value": [LeadSearch.filter(field, strict, value), LeadSearch.filter(field, "=", value)]])
            default: filters.append(LeadSearch.filter(field, condition.op.rawValue, value))
            }
        }
        if filters.count == 1 { return filters[0] }
        return ["operator": "AND", "value": .array(filters)]
    }

    private static func filter(_ field: String, _ op: String, _ value: JSONValue) -> JSONValue {
        ["field": .string(field), "operator": .string(op), "value": value]
    }

    /// Whether a cached lead matches, compared here as 2.x search would, except that times
    /// compare to the exact second (2.x search compares whole days).
    public func matches(_ lead: Contact) -> Bool {
        guard role == .any || LeadSearch.role(of: lead) == role.rawValue else { return false }
        return conditions.allSatisfy { $0.matches(lead) }
    }

    /// What of a cached lead ``matches(_:)`` and `find`'s table read: the conditions' fields
    /// under both dialects' names (`external_id` and `user_id`, `last_seen_at` and
    /// `last_request_at`; `email_domain` reads `email`), and `tags` for `tag=`.
    public var projection: JSONProjection {
        var keys: [FieldKey] = []
        for condition in conditions {
            switch condition.field {
            case .custom(let name): keys.append(.custom(name))
            case .tag: keys.append(.standard("tags"))
            case .standard(let name):
                keys.append(.standard(name))
                switch name {
                case "external_id", "user_id": keys += [.standard("external_id"), .standard("user_id")]
                case "last_seen_at", "last_request_at": keys += [.standard("last_seen_at"), .standard("last_request_at")]
                case "email_domain": keys.append(.standard("email"))
                default: break
                }
            }
        }
        return Contact.projection(reading: keys)
    }

    /// A cached contact's role: 2.x's `role`, else a lead (1.x's contacts are leads).
    static func role(of lead: Contact) -> String {
        lead.fields["role"]?.stringValue ?? (lead.type == "user" ? "user" : "lead")
    }
}

extension SearchCondition {
    /// Fields that compare without regard to case, as Intercom's search does; other text
    /// compares exactly, with every operator.
    static let caseless: Set<String> = ["email", "email_domain"]

    /// Whether a cached lead matches this condition (see ``LeadSearch/matches(_:)``).
    public func matches(_ lead: Contact) -> Bool {
        let actual: JSONValue?
        var caseless = false
        switch field {
        case .custom(let name): actual = lead.customAttributes[name]
        case .tag:
            let names = (lead.tags?.items ?? []).compactMap { $0.objectValue?["name"]?.stringValue }
            let wanted = Set(values.map(SearchCondition.text))
            let has = names.contains { wanted.contains($0) }
            return op == .notEqual ? !has : has
        case .standard(let name):
            actual = SearchCondition.standardValue(name, of: lead)
            caseless = SearchCondition.caseless.contains(name)
        }
        let present = actual.flatMap { $0 == .null ? nil : $0 }
        switch op {
        case .equal, .notEqual:
            let hit: Bool
            if values.allSatisfy({ $0 == .null }) {
                hit = present == nil
            } else if let present {
                hit = values.contains { SearchCondition.equal(present, $0, caseless: caseless) }
            } else {
                hit = false
            }
            return op == .equal ? hit : !hit
        case .contains, .notContains, .startsWith, .endsWith:
            guard let present, let value = values.first else { return op == .notContains }
            let have = caseless ? SearchCondition.text(present).lowercased() : SearchCondition.text(present)
            let want = caseless ? SearchCondition.text(value).lowercased() : SearchCondition.text(value)
            switch op {
            case .contains: return have.contains(want)
            case .notContains: return !have.contains(want)
            case .startsWith: return have.hasPrefix(want)
            default: return have.hasSuffix(want)
            }
        case .less, .greater, .lessOrEqual, .greaterOrEqual:
            guard let present, let value = values.first, let order = SearchCondition.order(present, value) else { return false }
            switch op {
            case .less: return order < 0
            case .greater: return order > 0
            case .lessOrEqual: return order <= 0
            default: return order >= 0
            }
        }
    }

    /// A standard field of a cached lead, by its name in either dialect: `external_id` reads
    /// 1.x's `user_id`, `last_seen_at` its `last_request_at` (and back); `email_domain` is the
    /// email's; a dotted name reads into an object (`location.city`).
    public static func standardValue(_ name: String, of lead: Contact) -> JSONValue? {
        if let value = lead.fields[name], value != .null { return value }
        switch name {
        case "external_id": return lead.fields["user_id"]
        case "user_id": return lead.fields["external_id"]
        case "last_seen_at": return lead.fields["last_request_at"]
        case "last_request_at": return lead.fields["last_seen_at"]
        case "role": return .string(LeadSearch.role(of: lead))
        case "email_domain":
            guard let email = lead.email, let at = email.lastIndex(of: "@") else { return nil }
            return .string(String(email[email.index(after: at)...]))
        default:
            let path = name.split(separator: ".", omittingEmptySubsequences: false)
            guard path.count > 1 else { return nil }
            var value: JSONValue? = lead.fields[String(path[0])]
            for part in path.dropFirst() { value = value?.objectValue?[String(part)] }
            return value
        }
    }

    /// Equal as values: numbers by value (`1.5` is `1.50`), text by its characters (or caseless).
    static func equal(_ a: JSONValue, _ b: JSONValue, caseless: Bool) -> Bool {
        if let order = order(a, b), numeric(a) != nil { return order == 0 }
        switch (a, b) {
        case (.string(let x), .string(let y)): return caseless ? x.lowercased() == y.lowercased() : x == y
        case (.string(let x), _): return x == text(b)
        case (_, .string(let y)): return text(a) == y
        default: return a == b
        }
    }

    /// Numbers compare by value; text by its characters; nil for anything else.
    static func order(_ a: JSONValue, _ b: JSONValue) -> Int? {
        if let x = numeric(a), let y = numeric(b) { return x < y ? -1 : x > y ? 1 : 0 }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : x > y ? 1 : 0 }
        return nil
    }

    static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
