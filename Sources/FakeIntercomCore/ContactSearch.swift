import LeadModel

/// The `query` of `POST /contacts/search`, for the fields the fake can search.
///
/// A filter is `{"field":F,"operator":OP,"value":V}`; filters combine as
/// `{"operator":"AND"|"OR","value":[...]}`, nested at most two deep with at most 15 per
/// group, as Intercom allows. Searchable here: `id`, `external_id`, `email`,
/// `email_domain`, `role`, `name`, `phone`, with `=`, `!=`, `IN` and `NIN`; `email`
/// and `email_domain` compare without regard to case.
indirect enum ContactSearch: Sendable {
    case filter(field: String, operator: String, values: [String])
    case and([ContactSearch])
    case or([ContactSearch])

    static let fields: Set<String> = ["id", "external_id", "email", "email_domain", "role", "name", "phone"]
    static let operators: Set<String> = ["=", "!=", "IN", "NIN"]

    /// Reads a query object.
    static func parse(_ value: JSONValue, depth: Int = 0) throws(IntercomError) -> ContactSearch {
        guard let query = value.objectValue else { throw .queryInvalid("query must be an object") }
        guard let op = query["operator"]?.stringValue else { throw .queryInvalid("operator is required") }
        if op == "AND" || op == "OR" {
            guard depth < 2 else { throw .queryInvalid("Nested queries are limited to 2 levels") }
            guard let items = query["value"]?.arrayValue, !items.isEmpty else {
                throw .queryInvalid("\(op) needs a non-empty array of filters as its value")
            }
            guard items.count <= 15 else { throw .queryInvalid("\(op) accepts at most 15 filters") }
            var parts: [ContactSearch] = []
            for item in items { parts.append(try parse(item, depth: depth + 1)) }
            return op == "AND" ? .and(parts) : .or(parts)
        }
        guard let field = query["field"]?.stringValue else { throw .queryInvalid("field is required") }
        guard fields.contains(field) else {
            throw IntercomError(
                status: 400, code: "invalid_field", message: "\(field) is not a searchable field", field: field)
        }
        guard operators.contains(op) else {
            throw .queryInvalid("operator \(op) is not supported for \(field)")
        }
        let values: [String]
        switch (op, query["value"]) {
        case ("IN", .array(let items)?), ("NIN", .array(let items)?):
            values = items.compactMap(\.stringValue)
            guard values.count == items.count else { throw .queryInvalid("\(field) values must be strings") }
        case ("=", .string(let text)?), ("!=", .string(let text)?):
            values = [text]
        case ("=", .null?), ("!=", .null?):
            values = []
        default:
            throw .queryInvalid("the value for \(field) \(op) must be \(op.hasSuffix("IN") ? "an array" : "a string")")
        }
        return .filter(field: field, operator: op, values: values)
    }

    /// Whether a lead, rendered in 2.x with this role, matches.
    func matches(_ lead: Contact, role: String) -> Bool {
        switch self {
        case .and(let parts): return parts.allSatisfy { $0.matches(lead, role: role) }
        case .or(let parts): return parts.contains { $0.matches(lead, role: role) }
        case .filter(let field, let op, let values):
            let actual: String?
            var caseless = false
            switch field {
            case "id": actual = lead.id
            case "external_id": actual = lead.userID
            case "email":
                actual = lead.email
                caseless = true
            case "email_domain":
                actual = lead.email.flatMap { $0.split(separator: "@").last.map(String.init) }
                caseless = true
            case "role": actual = role
            case "name": actual = lead.name
            default: actual = lead.phone
            }
            let isIn: Bool
            if values.isEmpty {
                isIn = actual == nil
            } else if let actual {
                isIn = values.contains { caseless ? $0.lowercased() == actual.lowercased() : $0 == actual }
            } else {
                isIn = false
            }
            return op == "=" || op == "IN" ? isIn : !isIn
        }
    }
}

extension IntercomError {
    /// A search query the fake cannot read.
    static func queryInvalid(_ message: String) -> IntercomError {
        IntercomError(status: 400, code: "parameter_invalid", message: message, field: "query")
    }
}
