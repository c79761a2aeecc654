/// What a row of the outbox asks Intercom to do. A lead's rows of every kind are sent in one
/// order (`seq`), so a tag journaled after an update is applied after it.
public enum OutboxKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// New values for fields and custom attributes (`fields`: the values, `base`: what they replace).
    case update
    /// Tags added and removed (`fields`: tag name → true to tag, false to untag; `base`: whether
    /// the lead carried each tag as the user saw it). Idempotent both ways.
    case tags
    /// A note for the team (`fields`: `{"body": TEXT}`). Not idempotent: sent exactly once.
    case note
    /// The lead merged into a user (`fields`: `{"into_id": ID}` or `{"into_external_id": X}`).
    /// Destructive: afterwards the lead's id is gone, and its later rows follow it to the user.
    case merge

    /// How `queue` names the kind.
    public var label: String { rawValue }

    /// Whether sending a row of the kind twice does what sending it once does: updates and
    /// tags are; a note would appear twice and a merge be refused the second time.
    public var isIdempotent: Bool {
        switch self {
        case .update, .tags: true
        case .note, .merge: false
        }
    }
}

/// Tag changes in the order they were made: a name tagged then untagged keeps only the untag.
public struct TagChanges: Sendable, Hashable, Sequence {
    private var changes = FieldChanges()

    public init() {}

    /// `true`: tag, `false`: untag.
    public subscript(name: String) -> Bool? {
        get { changes[FieldKey(path: name)]?.boolValue }
        set { changes[FieldKey(path: name)] = newValue.map(JSONValue.bool) }
    }

    public var isEmpty: Bool { changes.isEmpty }
    public var count: Int { changes.count }
    public var names: [String] { changes.keys.map(\.description) }

    public func makeIterator() -> AnyIterator<(name: String, add: Bool)> {
        let it = changes.makeIterator()
        return AnyIterator { it.next().map { ($0.key.description, $0.value.boolValue ?? true) } }
    }

    /// Later changes win, name by name.
    public func merging(_ later: TagChanges) -> TagChanges {
        var merged = self
        for (name, add) in later { merged[name] = add }
        return merged
    }

    /// The changes as the journal's `fields` column holds them (name → true/false).
    public var fields: FieldChanges { changes }

    public init(fields: FieldChanges) { changes = fields }

    /// `+vip -trial`, as `queue` and `diff` show them.
    public var summary: String {
        map { ($0.add ? "+" : "-") + $0.name }.joined(separator: " ")
    }

    /// `+NAME -NAME …` items, as an import's `tags` cell holds them (spaces or commas between);
    /// a bare name tags. Nil with the item it cannot read.
    public static func parse(_ text: String) -> Result<TagChanges, TagParseError> {
        var changes = TagChanges()
        for item in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            var name = Substring(item)
            var add = true
            if name.first == "+" {
                name = name.dropFirst()
            } else if name.first == "-" {
                name = name.dropFirst()
                add = false
            }
            guard !name.isEmpty else { return .failure(TagParseError(item: String(item))) }
            changes[String(name)] = add
        }
        return .success(changes)
    }
}

/// An item of a `tags` cell that names no tag (`+` or `-` alone).
public struct TagParseError: Error, Sendable, Hashable {
    public var item: String
}

extension FieldChanges {
    /// A note's payload.
    public static func note(_ body: String) -> FieldChanges { FieldChanges([(.standard("body"), .string(body))]) }

    /// A merge's payload: the user by id, or by external id.
    public static func merge(into target: LeadReference) -> FieldChanges {
        var fields = FieldChanges()
        if let id = target.id { fields[.standard("into_id")] = .string(id) }
        if let external = target.userID { fields[.standard("into_external_id")] = .string(external) }
        return fields
    }

    /// The body of a note's payload.
    public var noteBody: String { self[.standard("body")]?.stringValue ?? "" }

    /// The user a merge's payload names.
    public var mergeTarget: LeadReference {
        LeadReference(id: self[.standard("into_id")]?.stringValue, userID: self[.standard("into_external_id")]?.stringValue)
    }
}
