import LeadModel

/// A tag of the fake workspace, `{"type": "tag", "id", "name"}` (2.14 schema `tag_basic`).
///
/// Named `WorkspaceTag` rather than `Tag` so that tests importing swift-testing (which has
/// its own `Tag`) can name it.
public struct WorkspaceTag: Sendable, Hashable {
    /// Intercom's tag id: digits, as a string.
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// The tag as `GET /tags` and a 1.x lead's `tags.tags` show it.
    var json: JSONValue { ["type": "tag", "id": .string(id), "name": .string(name)] }

    /// The tag as 2.x answers a tagging of a contact (schema `tag`): `applied_at` and
    /// `applied_by` (the admin, `{type, id}`) come with it.
    func appliedJSON(at time: Int64, by adminID: String) -> JSONValue {
        [
            "type": "tag", "id": .string(id), "name": .string(name), "applied_at": .integer(time),
            "applied_by": ["type": "admin", "id": .string(adminID)],
        ]
    }

    /// A contact's 2.x reference to a tag (schema `addressable_list`), as its `tags.data` shows it.
    static func reference(id: String) -> JSONValue {
        ["type": "tag", "id": .string(id), "url": .string("/tags/\(id)")]
    }
}

/// The workspace's tags, oldest first; names are unique without regard to case, as Intercom's are.
///
/// Which leads carry a tag is kept on the leads themselves, in their 1.x `tags` list
/// (``LeadModel/Contact/tagIDs``), so a 1.x read shows it as Intercom would.
struct TagList: Sendable {
    private(set) var tags: [WorkspaceTag] = []
    /// The id the next new tag gets (Intercom's example tag is `17513`).
    private var nextID = 17513

    func tag(id: String) -> WorkspaceTag? { tags.first { $0.id == id } }

    func tag(named name: String) -> WorkspaceTag? {
        let lowered = name.lowercased()
        return tags.first { $0.name.lowercased() == lowered }
    }

    /// The tag with this name, created when there is none, as `POST /tags {"name"}` does.
    mutating func findOrCreate(named name: String) -> WorkspaceTag {
        if let existing = tag(named: name) { return existing }
        let tag = WorkspaceTag(id: String(nextID), name: name)
        nextID += 1
        tags.append(tag)
        return tag
    }

    /// Renames a tag (`POST /tags {"id", "name"}`); nil when no tag has this id.
    mutating func rename(id: String, to name: String) -> WorkspaceTag? {
        guard let index = tags.firstIndex(where: { $0.id == id }) else { return nil }
        tags[index].name = name
        return tags[index]
    }

    /// `GET /tags`: `{"type":"list","data":[...]}` on 2.x (schema `tag_list`), `{"type":"tag.list","tags":[...]}` on 1.x.
    func listJSON(v1: Bool) -> JSONValue {
        let items = JSONValue.array(tags.map(\.json))
        return v1 ? ["type": "tag.list", "tags": items] : ["type": "list", "data": items]
    }
}

extension Contact {
    /// The ids of the tags the lead carries, from its 1.x `tags` list.
    var tagIDs: [String] {
        (tags?.items ?? []).compactMap { $0["id"]?.stringValue }
    }

    /// The lead with the tag added to its 1.x `tags` list; unchanged when it already has it.
    func tagged(with tag: WorkspaceTag) -> Contact {
        guard !tagIDs.contains(tag.id) else { return self }
        var copy = self
        copy.fields["tags"] = ["type": "tag.list", "tags": .array((tags?.items ?? []) + [tag.json])]
        return copy
    }

    /// The lead without the tag with this id; unchanged when it does not carry it.
    func untagged(tagID: String) -> Contact {
        guard tagIDs.contains(tagID) else { return self }
        var copy = self
        let kept = (tags?.items ?? []).filter { $0["id"]?.stringValue != tagID }
        copy.fields["tags"] = ["type": "tag.list", "tags": .array(kept)]
        return copy
    }

    /// The lead with its copy of a renamed tag showing the new name.
    func renaming(tag: WorkspaceTag) -> Contact {
        guard tagIDs.contains(tag.id) else { return self }
        var copy = self
        let items = (tags?.items ?? []).map { $0["id"]?.stringValue == tag.id ? tag.json : $0 }
        copy.fields["tags"] = ["type": "tag.list", "tags": .array(items)]
        return copy
    }
}

extension FakeWorkspace {
    /// The workspace's tags, oldest first (`GET /tags`).
    public var tags: [WorkspaceTag] { backend.tags }

    /// The tag with this name, created when the workspace has none (names compare without regard to case).
    @discardableResult
    public func addTag(named name: String) -> WorkspaceTag { backend.addTag(named: name) }

    /// Tags a lead, as a teammate would in Intercom: the tag is created when missing, and the
    /// lead then shows it (1.x `tags`, 2.x `tags`) and `tag_id` search finds it.
    ///
    /// The lead's `updated_at` is left as it was, so tagging in a test's set-up does not look
    /// like an edit.
    ///
    /// - Returns: the tag; nil (and nothing changes) when no lead has this id.
    @discardableResult
    public func tag(leadID: String, with tagName: String) -> WorkspaceTag? {
        backend.tag(leadID: leadID, with: tagName)
    }

    /// The names of the tags the lead carries, in the order they were applied; empty when it
    /// carries none or no lead has this id.
    public func tagNames(leadID: String) -> [String] { backend.tagNames(leadID: leadID) }
}
