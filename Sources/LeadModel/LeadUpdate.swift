/// How a lead is named: Intercom's `id`, its `user_id`, and (for display only) its email.
public struct LeadReference: Sendable, Hashable {
    public var id: String?
    public var userID: String?
    /// Shown to people; never used to identify the lead in an update.
    public var email: String?

    public init(id: String? = nil, userID: String? = nil, email: String? = nil) {
        self.id = id.flatMap { $0.isEmpty ? nil : $0 }
        self.userID = userID.flatMap { $0.isEmpty ? nil : $0 }
        self.email = email.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// True when an update can name the lead (by `id` or `user_id`).
    public var canIdentifyForUpdate: Bool { id != nil || userID != nil }

    /// A short label for people: the id, else `user_id=…`, else `email=…`.
    public var label: String {
        if let id { return id }
        if let userID { return "user_id=\(userID)" }
        if let email { return "email=\(email)" }
        return "(no identifier)"
    }
}

/// Which value of a lead a change touches: a standard field or a custom attribute.
public enum FieldKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    case standard(String)
    case custom(String)

    public var name: String {
        switch self {
        case .standard(let n), .custom(let n): return n
        }
    }

    /// `name` for a standard field, `custom_attributes.name` for a custom attribute.
    public var description: String {
        switch self {
        case .standard(let n): return n
        case .custom(let n): return "custom_attributes.\(n)"
        }
    }

    /// Reads the form `description` writes.
    public init(path: String) {
        // By bytes: `hasPrefix` and `dropFirst(prefix.count)` compare and count characters.
        let bytes = path.utf8
        if bytes.starts(with: FieldKey.customPrefix.utf8) {
            self = .custom(String(path[bytes.index(bytes.startIndex, offsetBy: FieldKey.customPrefix.utf8.count)...]))
        } else {
            self = .standard(path)
        }
    }

    private static let customPrefix = "custom_attributes."
}

/// An ordered set of field changes; setting a field again replaces its value in place.
public struct FieldChanges: Sendable, Hashable, Sequence {
    private var object = JSONObject()

    public init() {}

    public init(_ pairs: [(FieldKey, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public subscript(key: FieldKey) -> JSONValue? {
        get { object[key.description] }
        set { object[key.description] = newValue }
    }

    public var keys: [FieldKey] { object.keys.map(FieldKey.init(path:)) }
    public var count: Int { object.count }
    public var isEmpty: Bool { object.isEmpty }

    public func makeIterator() -> AnyIterator<(key: FieldKey, value: JSONValue)> {
        let it = object.makeIterator()
        return AnyIterator { it.next().map { (FieldKey(path: $0.key), $0.value) } }
    }

    /// Later changes win, field by field; fields only in `self` keep their place.
    public func merging(_ later: FieldChanges) -> FieldChanges {
        var merged = self
        for (key, value) in later { merged[key] = value }
        return merged
    }

    /// The changes as a flat JSON object keyed by `FieldKey.description`, for storage.
    public var jsonObject: JSONObject { object }

    /// Reads the form `jsonObject` writes.
    public init(jsonObject: JSONObject) {
        object = jsonObject
    }
}

/// One "Update Lead" call: the lead's identifiers and only the fields that change.
public struct LeadUpdate: Sendable, Hashable {
    public let lead: LeadReference
    public let changes: FieldChanges

    /// An update of the given lead.
    ///
    /// - Throws: `LeadUpdateError.noIdentifier` when the lead has neither `id` nor
    ///   `user_id` (Intercom cannot identify a lead for update by email: the call
    ///   would create a new lead instead), `.noChanges` when nothing changes, or
    ///   `.invalidValue` when a value is not flat.
    public init(lead: LeadReference, changes: FieldChanges) throws(LeadUpdateError) {
        guard lead.canIdentifyForUpdate else {
            throw lead.email != nil ? .emailOnly(lead.email!) : .noIdentifier
        }
        guard !changes.isEmpty else { throw .noChanges }
        let object = changes.jsonObject
        for path in object.keys {
            let key = FieldKey(path: path)
            if case .custom(let name) = key {
                if let problem = CustomAttributeRules.problem(withName: name) { throw .invalidValue(key, problem) }
            }
            if let value = object[path], let problem = CustomAttributeRules.problem(withValue: value) { throw .invalidValue(key, problem) }
        }
        self.lead = lead
        self.changes = changes
    }

    /// A row of another kind than an update (tags, a note, a merge): its payload is not fields,
    /// so nothing here checks it as fields. The lead still needs an `id` or `user_id`.
    public init(unchecked lead: LeadReference, changes: FieldChanges) {
        self.lead = lead
        self.changes = changes
    }

    /// The JSON body of `POST /contacts`: identifiers, the changed fields, and
    /// `custom_attributes` as one flat object.
    public var body: JSONObject {
        var body = JSONObject()
        if let id = lead.id { body["id"] = .string(id) }
        if let userID = lead.userID { body["user_id"] = .string(userID) }
        var custom = JSONObject()
        for (key, value) in changes {
            switch key {
            case .standard(let name): body[name] = value
            case .custom(let name): custom[name] = value
            }
        }
        if !custom.isEmpty { body["custom_attributes"] = .object(custom) }
        return body
    }

    /// The body as compact JSON text.
    public var bodyJSON: String { JSONText.serialize(.object(body)) }

    /// The body in a dialect: 1.x's `POST /contacts` body (``body``), or 2.x's
    /// `PUT /contacts/{id}` body, which holds only the changed fields.
    ///
    /// - Throws: `LeadUpdateError.fieldNotInDialect` for a field the dialect cannot
    ///   write (a 1.x-only field under 2.x, say), and `.needsContactID` under 2.x
    ///   when the lead is named only by `user_id` (find its id first).
    public func body(in dialect: Dialect) throws(LeadUpdateError) -> JSONObject {
        for key in changes.keys {
            guard case .standard(let name) = key else { continue }
            if StandardField.named(name, in: dialect)?.isWritable == true { continue }
            if let why = StandardField.fromOtherDialect(name, in: dialect) {
                throw .fieldNotInDialect(name, why)
            }
            let reason =
                StandardField.named(name, in: dialect)?.readOnlyReason.map { "it is read-only: \($0)" }
                ?? "it is not a \(dialect) field"
            throw .fieldNotInDialect(name, "\(name) cannot be set under \(dialect): \(reason)")
        }
        switch dialect {
        case .v1:
            return body
        case .v2:
            guard lead.id != nil else { throw .needsContactID }
            var body = self.body
            body["id"] = nil
            body["user_id"] = nil
            return body
        }
    }
}

/// Why an update cannot be built.
public enum LeadUpdateError: Error, Sendable, Equatable, CustomStringConvertible {
    case noIdentifier
    case emailOnly(String)
    case noChanges
    case invalidValue(FieldKey, String)
    /// A field the sending dialect cannot write: its name, and why (naming its equivalent).
    case fieldNotInDialect(String, String)
    /// 2.x updates name the contact by its Intercom id only.
    case needsContactID

    public var description: String {
        switch self {
        case .noIdentifier:
            return "the lead has no id or user_id; an update must name the lead by id or user_id"
        case .emailOnly(let email):
            return
                "cannot update a lead by email (\(email)): Intercom identifies a lead for update only by id or user_id, and a POST without them creates a new lead. Load the lead by id or user_id instead"
        case .noChanges:
            return "nothing to push: no pending edits"
        case .invalidValue(let key, let reason):
            return "\(key): \(reason)"
        case .fieldNotInDialect(_, let reason):
            return reason
        case .needsContactID:
            return "a 2.x update names the contact by its Intercom id; this lead is known only by user_id (external_id)"
        }
    }
}
